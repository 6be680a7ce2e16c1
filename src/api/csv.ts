/**
 * CSV answers (RFC 4180): a header row, CRLF line ends, fields quoted when they hold a comma,
 * a quote or a line break, UTF-8. Numbers are written as JSON writes them, so a CSV answer
 * carries the same figures as its JSON twin; null is an empty field. Asked for with
 * `format=csv`, or `Accept: text/csv` (JSON stays the default: a wildcard never picks CSV).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';

export type CsvValue = string | number | boolean | null | undefined;

const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

/** A column: its header and how to read it from a record. */
export interface CsvColumn<T> {
  header: string;
  value: (record: T) => CsvValue;
}

export function toCsv<T>(columns: readonly CsvColumn<T>[], records: Iterable<T>): string {
  const lines = [columns.map((column) => csvField(column.header)).join(',')];
  for (const record of records) lines.push(columns.map((column) => csvField(column.value(record))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Whether the client asked for CSV: `format` decides when given; otherwise `Accept` must name
 * `text/csv` with a weight above zero, and above `application/json`'s when it names that too.
 */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  const weights = acceptWeights(accept ?? '');
  const csv = weights.get('text/csv') ?? 0;
  return csv > 0 && csv > (weights.get('application/json') ?? 0);
}

/** Media types named in an Accept header, with their weights (`q`, default 1). */
function acceptWeights(accept: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (!type) continue;
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(type, Number.isFinite(weight) ? weight : 0);
  }
  return weights;
}

/** Sends `body` as JSON or as CSV, as the request asks; the answer varies with `Accept`. */
export function sendNegotiated<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  body: T,
  csv: (body: T) => string,
  format: string | undefined,
): T | string {
  void reply.header('vary', 'Accept');
  if (!wantsCsv(format, request.headers.accept)) return body;
  void reply.type(CSV_CONTENT_TYPE);
  return csv(body);
}

/** The `format` query parameter of a route that answers in JSON or CSV. */
export const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv, or send Accept: text/csv; json by default' }));
/** A 200 answer in JSON, or in CSV with the same figures. */
export function jsonOrCsv(schema: TSchema) {
  return {
    description: 'JSON, or CSV with a header row when asked for',
    content: { 'application/json': { schema }, 'text/csv': { schema: Type.String() } },
  };
}
