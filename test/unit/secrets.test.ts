import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, resolveSecretKey } from '../../src/secrets.ts';

describe('secret box (AES-256-GCM)', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never stores the clear text', () => {
    const sealed = box.seal('mot de passe très secret');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain('secret');
    expect(box.open(sealed)).toBe('mot de passe très secret');
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses a tampered value and a value sealed under another key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(() => box.open([...parts.slice(0, 3), body.toString('base64url')].join(':'))).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
    expect(() => box.open('v0:a:b:c')).toThrow(/unknown secret format/);
  });

  it('generates a key file once, private to its owner, and reuses it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sonde-key-')), 'nested', 'secret.key');
    const first = resolveSecretKey({ secretKey: null, secretKeyFile: file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(resolveSecretKey({ secretKey: null, secretKeyFile: file }).equals(first)).toBe(true);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first)).toBe(true);
  });

  it('explains a key of the wrong size', () => {
    expect(() => resolveSecretKey({ secretKey: Buffer.alloc(16).toString('base64') + 'AAAAAAAAAAAAAAAAAAAA', secretKeyFile: '' })).toThrow(/32 bytes/);
  });
});
