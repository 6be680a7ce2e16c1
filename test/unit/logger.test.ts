import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';

describe('logger', () => {
  it('redacts passwords, keys and Authorization headers', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger('info', sink);
    log.info({ imap: { host: 'imap.example.test', password: 'hunter2-imap' } }, 'connecting');
    log.info({ password: 'hunter2-flat', key: 'sonde_secretkey' }, 'flat');
    log.info({ req: { headers: { authorization: 'Bearer sonde_abcdef' } } }, 'request');
    log.info({ auth: { user: 'u', pass: 'hunter2-smtp' } }, 'smtp');
    const text = lines.join('');
    for (const secret of ['hunter2-imap', 'hunter2-flat', 'sonde_secretkey', 'sonde_abcdef', 'hunter2-smtp']) expect(text).not.toContain(secret);
    expect(text).toContain('imap.example.test');
    expect(text.match(/\[redacted\]/g)?.length).toBe(5);
  });
});
