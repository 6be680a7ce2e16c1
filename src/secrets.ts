/**
 * Mailbox passwords at rest: AES-256-GCM with a random 96-bit IV, under a 32-byte key
 * from the environment. The stored form carries a version tag and, since v2, the id of
 * the key that sealed it: `v2:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts), so the
 * scheme can change and keys can rotate (`sonde secrets rotate`) without guessing what a
 * stored value is. A v2 value is bound to its place (`mailboxes:<id>:imap_password`) as
 * GCM additional data: copied into another row or column, it no longer opens. v1 values
 * (`v1:<iv>:<tag>:<ciphertext>`, no key id, no binding) are still read, until rotated.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from './logger.ts';

const VERSION = 'v2';

export interface SecretBox {
  /** A fingerprint of the key (not the key): what a v2 value names as its sealer. */
  readonly keyId: string;
  /** Seals `plain` for one place: `secretContext(table, rowId, column)`. */
  seal(plain: string, context: string): string;
  /** Opens a value sealed for `context`; throws `SecretKeyMismatchError` when this key did not seal it. */
  open(sealed: string, context: string): string;
}

/** Where a sealed value lives: the additional data it is bound to. */
export function secretContext(table: string, rowId: string, column: string): string {
  return `${table}:${rowId}:${column}`;
}

/** A stored secret this process's key cannot open: the key changed, not the password. */
export class SecretKeyMismatchError extends Error {
  override name = 'SecretKeyMismatchError';
  constructor(detail: string) {
    super(`the stored secrets cannot be opened with this SONDE_SECRET_KEY (${detail}); start with the key that sealed them, or rotate with \`sonde secrets rotate\``);
  }
}

/** A value sealed by this key, but not for this place (moved between rows or columns), or damaged. */
export class SecretBindingError extends Error {
  override name = 'SecretBindingError';
  constructor(context: string) {
    super(`the stored secret of ${context} does not belong there (copied from another row, or damaged): set the password again`);
  }
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('sonde-secret-key-id').update(key).digest('base64url').slice(0, 10);
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error(`the secret key must be 32 bytes, got ${key.length}`);
  const keyId = keyIdOf(key);
  return {
    keyId,
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, keyId, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join(':');
    },
    open(sealed, context) {
      const parts = sealed.split(':');
      if (parts[0] === 'v1' && parts.length === 4) {
        const [, iv, tag, body] = parts as [string, string, string, string];
        try {
          return decrypt(key, iv, tag, body, null);
        } catch {
          throw new SecretKeyMismatchError('a v1 value that does not open with it');
        }
      }
      if (parts[0] !== VERSION || parts.length !== 5) throw new Error('unknown secret format (expected v1 or v2)');
      const [, sealedBy, iv, tag, body] = parts as [string, string, string, string, string];
      if (sealedBy !== keyId) throw new SecretKeyMismatchError(`sealed by key ${sealedBy}, this key is ${keyId}`);
      try {
        return decrypt(key, iv, tag, body, context);
      } catch {
        throw new SecretBindingError(context);
      }
    },
  };
}

function decrypt(key: Buffer, iv: string, tag: string, body: string, context: string | null): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  if (context !== null) decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/**
 * The key from `SONDE_SECRET_KEY`, or else from the local key file, generated there once
 * (with a warning: losing that file makes stored passwords unreadable). The file is only
 * generated when this process runs every role: roles split across processes (and
 * machines) would each make a key of their own, so they must be given `SONDE_SECRET_KEY`.
 */
export function resolveSecretKey(
  config: { secretKey: string | null; secretKeyFile: string; roles?: readonly string[] },
  logger?: Logger,
): Buffer {
  if (config.secretKey) return decodeKey(config.secretKey, 'SONDE_SECRET_KEY');
  if (existsSync(config.secretKeyFile)) {
    return decodeKey(readFileSync(config.secretKeyFile, 'utf8').trim(), config.secretKeyFile);
  }
  const roles = config.roles ?? ['api', 'worker', 'scheduler'];
  if (!['api', 'worker', 'scheduler'].every((role) => roles.includes(role))) {
    throw new SecretKeyConfigError(
      `SONDE_SECRET_KEY is not set and SONDE_ROLE=${roles.join(',')} runs the roles in separate processes: each would generate a key of its own. ` +
        'Set SONDE_SECRET_KEY (openssl rand -base64 32) to the same value on every process',
    );
  }
  const key = randomBytes(32);
  mkdirSync(dirname(config.secretKeyFile), { recursive: true });
  try {
    // exclusive: of two processes starting together, the second reads the first's key
    writeFileSync(config.secretKeyFile, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
    return decodeKey(readFileSync(config.secretKeyFile, 'utf8').trim(), config.secretKeyFile);
  }
  logger?.warn(
    { file: config.secretKeyFile },
    'SONDE_SECRET_KEY is not set: generated a key in a local file; keep it (or set SONDE_SECRET_KEY) or stored mailbox passwords become unreadable',
  );
  return key;
}

export class SecretKeyConfigError extends Error {
  override name = 'SecretKeyConfigError';
}

export function decodeKey(text: string, origin: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${origin} must be 32 bytes in base64 (openssl rand -base64 32)`);
  return key;
}
