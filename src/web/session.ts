/**
 * The dashboard's session: a cookie signed with a key derived from the service's secret
 * key (HKDF-SHA-256), holding who signed in (the API key's id, or a tag of the admin key
 * from the environment), with which role, and until when. Nothing in it is secret; the
 * signature makes it unforgeable, and every request checks it against the database again,
 * so a revoked key's session ends at its next request.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiRole } from '../db/api-keys.repo.ts';

export const SESSION_COOKIE = 'sonde_session';
export const CSRF_COOKIE = 'sonde_csrf';

/** Keys derived from the service's secret key, one per use. */
export interface SessionKeys {
  /** Signs the session and CSRF cookies. */
  cookieSecret: Buffer;
  /** Binds CSRF tokens to the session (the HMAC of @fastify/csrf). */
  csrfKey: Buffer;
  /** Tags a session opened with `SONDE_ADMIN_KEY`, without putting the key in the cookie. */
  adminTagKey: Buffer;
}

const derive = (secret: Buffer, info: string) => Buffer.from(hkdfSync('sha256', secret, 'sonde', info, 32));

export function deriveSessionKeys(secretKey: Buffer): SessionKeys {
  return {
    cookieSecret: derive(secretKey, 'dashboard session cookie'),
    csrfKey: derive(secretKey, 'dashboard csrf'),
    adminTagKey: derive(secretKey, 'dashboard admin key tag'),
  };
}

/** What the session cookie holds. */
export interface SessionClaim {
  /** Random id of this sign-in: CSRF tokens are bound to it. */
  sid: string;
  /** The API key's id; null for the admin key from the environment. */
  keyId: string | null;
  /** For the environment's admin key: its tag (see `adminKeyTag`). */
  adminTag: string | null;
  role: ApiRole;
  label: string;
  /** Expiry, milliseconds since the epoch. */
  exp: number;
}

export function newSessionClaim(who: { keyId: string | null; role: ApiRole; label: string; adminTag: string | null }, now: Date, hours: number): SessionClaim {
  return { sid: randomBytes(16).toString('base64url'), ...who, exp: now.getTime() + hours * 3600_000 };
}

export function adminKeyTag(keys: SessionKeys, adminKey: string): string {
  return createHmac('sha256', keys.adminTagKey).update(adminKey, 'utf8').digest('base64url');
}

export function sameTag(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function encodeSession(claim: SessionClaim): string {
  return Buffer.from(JSON.stringify(claim), 'utf8').toString('base64url');
}

const ROLES: readonly string[] = ['admin', 'auditor', 'reader'];

/** The claim of a (signature-checked) cookie value, or null when malformed or expired. */
export function decodeSession(value: string, now: Date): SessionClaim | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const c = parsed as Record<string, unknown>;
  const valid =
    typeof c.sid === 'string' &&
    (typeof c.keyId === 'string' || c.keyId === null) &&
    (typeof c.adminTag === 'string' || c.adminTag === null) &&
    typeof c.role === 'string' &&
    ROLES.includes(c.role) &&
    typeof c.label === 'string' &&
    typeof c.exp === 'number';
  if (!valid || (c.exp as number) <= now.getTime()) return null;
  return c as unknown as SessionClaim;
}
