/**
 * Mailbox passwords at rest: AES-256-GCM with a random 96-bit IV, under a 32-byte
 * key from the environment. The stored form carries a version tag
 * (`v1:<iv>:<tag>:<ciphertext>`, base64url parts) so the scheme can change and
 * keys can rotate without guessing what a stored value is.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from './logger.ts';

const VERSION = 'v1';

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error(`the secret key must be 32 bytes, got ${key.length}`);
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join(':');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split(':');
      if (version !== VERSION || !iv || !tag || body === undefined) {
        throw new Error(`unknown secret format (expected ${VERSION})`);
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * The key from `SONDE_SECRET_KEY`, or else from the local key file, generated there
 * once (with a warning: losing that file makes stored passwords unreadable).
 */
export function resolveSecretKey(
  config: { secretKey: string | null; secretKeyFile: string },
  logger?: Logger,
): Buffer {
  if (config.secretKey) return decodeKey(config.secretKey, 'SONDE_SECRET_KEY');
  if (existsSync(config.secretKeyFile)) {
    return decodeKey(readFileSync(config.secretKeyFile, 'utf8').trim(), config.secretKeyFile);
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

function decodeKey(text: string, origin: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${origin} must be 32 bytes in base64 (openssl rand -base64 32)`);
  return key;
}
