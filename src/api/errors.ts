/** The one error handler: everything leaves as problem+json, with a detail that says what to fix. */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { BadCursorError } from '../db/page.ts';
import { PG_ERRORS, isDatabaseUnavailable, pgErrorCode } from '../db/pool.ts';
import { ApiProblem, type FieldError } from './problem.ts';

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
  table?: string;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type('application/problem+json')
      .send(new ApiProblem(404, 'Not Found', `no route ${request.method} ${request.url.split('?')[0]}`).toDocument());
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    // a dependency out of reach is said in one line per request, without the stack: an outage is not a bug
    if (problem.status === 503) request.log.warn({ err: { message: error.message, code: pgErrorCode(error) } }, 'request refused: a dependency is unavailable');
    else if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    if (problem.status === 503) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    void reply.code(problem.status).type('application/problem+json').send(problem.toDocument());
  });
}

/** What a 503 tells the client to wait before it tries again. */
export const RETRY_AFTER_SECONDS = 5;

function toProblem(error: FastifyError): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (isDatabaseUnavailable(error)) {
    return new ApiProblem(503, 'Service Unavailable', 'the database is busy or out of reach right now; try again in a few seconds');
  }
  if (error instanceof BadCursorError) return new ApiProblem(400, 'Bad Request', error.message, { errors: [{ field: 'querystring/cursor', message: error.message }] });
  if (error.validation) {
    const errors = error.validation.map((v): FieldError => {
      const missing = (v.params as { missingProperty?: string }).missingProperty;
      const extra = (v.params as { additionalProperty?: string }).additionalProperty;
      const path = [error.validationContext, ...v.instancePath.split('/').filter(Boolean), missing ?? extra].filter(Boolean).join('/');
      const message = missing ? 'is required' : extra ? 'is not a known field' : (v.message ?? 'is invalid');
      return { field: path, message };
    });
    const summary = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    return new ApiProblem(400, 'Bad Request', `invalid request: ${summary}`, { errors });
  }
  const code = pgErrorCode(error);
  const pg = error as unknown as PgError;
  if (code === PG_ERRORS.foreignKeyViolation) {
    // insert side: a referenced id does not exist; delete side: rows still depend on this one
    const missing = /Key \((\w+)\)=\(([^)]*)\) is not present in table "(\w+)"/.exec(pg.detail ?? '');
    if (missing) {
      const field = camel(missing[1]!);
      return new ApiProblem(422, 'Unprocessable Content', `${field} ${missing[2]} does not exist in ${missing[3]}`, {
        errors: [{ field: `body/${field}`, message: `no ${singular(missing[3]!)} has this id` }],
      });
    }
    // on a delete, `table` names the referencing table: say which records still point here
    return new ApiProblem(409, 'Conflict', `this record is still referenced by ${pg.table ?? 'other records'}; remove those first`);
  }
  if (code === PG_ERRORS.uniqueViolation) {
    const dup = /Key \(([^)]*)\)=\(([^)]*)\) already exists/.exec(pg.detail ?? '');
    const field = dup ? apiField(dup[1]!.replace(/^lower\((\w+)\)$/, '$1')) : 'value';
    return new ApiProblem(409, 'Conflict', `${field} ${dup ? `"${dup[2]}" ` : ''}is already taken`, {
      errors: [{ field: `body/${field}`, message: 'must be unique' }],
    });
  }
  if (code === PG_ERRORS.checkViolation) {
    return new ApiProblem(422, 'Unprocessable Content', `a value breaks the rule ${pg.constraint ?? '(unnamed)'}`);
  }
  if (code === PG_ERRORS.invalidText || code === '22007' || code === '22008') {
    return new ApiProblem(400, 'Bad Request', `a value is not in the expected form: ${(error as Error).message}`);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiProblem(error.statusCode, STATUS_CODES[error.statusCode] ?? 'Bad Request', error.message || STATUS_CODES[error.statusCode] || 'bad request');
  }
  return new ApiProblem(500, 'Internal Server Error', 'something went wrong on our side; the error is logged');
}

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
/** Columns whose API field is not their camelCase name. */
const API_FIELDS: Record<string, string> = { internet_message_id: 'messageId' };
const apiField = (column: string) => API_FIELDS[column] ?? camel(column);
const singular = (table: string) => table.replace(/ies$/, 'y').replace(/s$/, '');

