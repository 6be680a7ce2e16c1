import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBindingError, SecretKeyConfigError, SecretKeyMismatchError, createSecretBox, resolveSecretKey } from '../../src/secrets.ts';

const HERE = 'mailboxes:4f6d…:imap_password';

/** A value in the v1 form (no key id, no binding), as earlier versions stored them. */
function sealV1(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(':');
}

describe('secret box (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);

  it('round-trips, carries the key id, and never stores the clear text', () => {
    const sealed = box.seal('mot de passe très secret', HERE);
    expect(sealed).toMatch(new RegExp(`^v2:${box.keyId}:`));
    expect(box.keyId).not.toContain(key.toString('base64').slice(0, 6));
    expect(sealed).not.toContain('secret');
    expect(box.open(sealed, HERE)).toBe('mot de passe très secret');
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('same', HERE)).not.toBe(box.seal('same', HERE));
  });

  it('binds a value to its place: opened for another row or column, it fails', () => {
    const sealed = box.seal('secret', 'mailboxes:a:imap_password');
    expect(() => box.open(sealed, 'mailboxes:b:imap_password')).toThrow(SecretBindingError);
    expect(() => box.open(sealed, 'mailboxes:a:smtp_password')).toThrow(SecretBindingError);
  });

  it('refuses a tampered value, and says plainly when another key sealed it', () => {
    const sealed = box.seal('secret', HERE);
    const parts = sealed.split(':');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(() => box.open([...parts.slice(0, 4), body.toString('base64url')].join(':'), HERE)).toThrow();
    const other = createSecretBox(randomBytes(32));
    expect(() => other.open(sealed, HERE)).toThrow(SecretKeyMismatchError);
    expect(() => other.open(sealed, HERE)).toThrow(/cannot be opened with this SONDE_SECRET_KEY/);
    expect(() => box.open('v0:a:b:c', HERE)).toThrow(/unknown secret format/);
  });

  it('still reads the v1 form, and says when another key sealed one', () => {
    const legacy = sealV1(key, 'ancien');
    expect(box.open(legacy, HERE)).toBe('ancien');
    expect(() => createSecretBox(randomBytes(32)).open(legacy, HERE)).toThrow(SecretKeyMismatchError);
  });

  it('generates a key file once, private to its owner, and reuses it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sonde-key-')), 'nested', 'secret.key');
    const first = resolveSecretKey({ secretKey: null, secretKeyFile: file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(resolveSecretKey({ secretKey: null, secretKeyFile: file }).equals(first)).toBe(true);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first)).toBe(true);
  });

  it('refuses to generate a key file when the roles run in separate processes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sonde-key-')), 'secret.key');
    expect(() => resolveSecretKey({ secretKey: null, secretKeyFile: file, roles: ['worker'] })).toThrow(SecretKeyConfigError);
    expect(() => resolveSecretKey({ secretKey: null, secretKeyFile: file, roles: ['api', 'scheduler'] })).toThrow(/set SONDE_SECRET_KEY/i);
    expect(existsSync(file)).toBe(false);
    expect(resolveSecretKey({ secretKey: null, secretKeyFile: file, roles: ['scheduler', 'api', 'worker'] })).toHaveLength(32);
  });

  it('explains a key of the wrong size', () => {
    expect(() => resolveSecretKey({ secretKey: Buffer.alloc(16).toString('base64') + 'AAAAAAAAAAAAAAAAAAAA', secretKeyFile: '' })).toThrow(/32 bytes/);
  });
});
