/**
 * Bearer API keys and roles. `admin` does everything (keys included), `auditor`
 * runs campaigns, probes, review and evaluations, `reader` only reads. A route
 * states the role its writes need with `config: { writeRole }`; reads need `reader`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiRole } from '../db/api-keys.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { createKeyIdentifier } from '../flow/identify-key.ts';
import { ApiProblem } from './problem.ts';

export interface Caller {
  keyId: string | null;
  role: ApiRole;
  label: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** Role needed for anything but GET/HEAD; defaults to `admin`. */
    writeRole?: ApiRole;
    /** Role needed for every method, reads included (keys are admin only). */
    role?: ApiRole;
  }
}

const RANK: Record<ApiRole, number> = { reader: 1, auditor: 2, admin: 3 };

export function registerAuth(
  app: FastifyInstance,
  deps: { db: Queryable; adminKey: string | null; onFailure?: (request: FastifyRequest) => Promise<void> },
): void {
  const identify = createKeyIdentifier(deps);
  if (!app.hasRequestDecorator('caller')) app.decorateRequest('caller', null);

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    const key = bearerKey(request);
    if (!key) {
      await deps.onFailure?.(request);
      throw unauthorized('send an API key as "Authorization: Bearer <key>"');
    }
    request.caller = await identify(key);
    if (!request.caller) {
      await deps.onFailure?.(request);
      throw unauthorized('this API key is unknown or revoked');
    }
    const needed = config.role ?? (isRead(request.method) ? 'reader' : (config.writeRole ?? 'admin'));
    if (RANK[request.caller.role] < RANK[needed]) {
      throw new ApiProblem(403, 'Forbidden', `this needs the ${needed} role; the key "${request.caller.label}" has ${request.caller.role}`);
    }
  });
}

function bearerKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

const unauthorized = (detail: string) => new ApiProblem(401, 'Unauthorized', detail);
