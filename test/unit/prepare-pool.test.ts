/** Parsing on a worker thread gives exactly what parsing in this thread gives. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareMessage } from '../../src/flow/prepare-message.ts';
import { PreparePool } from '../../src/flow/prepare-pool.ts';
import type { FetchedMessage } from '../../src/mail/imap-sync.ts';

const dir = fileURLToPath(new URL('../fixtures/eml/', import.meta.url));
const fetched: FetchedMessage[] = readdirSync(dir)
  .filter((name) => name.endsWith('.eml'))
  .map((name, i) => {
    const source = readFileSync(dir + name);
    return { uid: i + 1, internalDate: new Date(Date.UTC(2026, 2, 2, 9, i)), size: source.length, source, oversize: false };
  });

const pool = new PreparePool();
afterAll(() => pool.close());

describe('PreparePool', () => {
  it('parses a batch on its worker thread as this thread would', async () => {
    const [viaWorker, local] = await Promise.all([pool.prepare(fetched, 25 * 1024 * 1024), Promise.all(fetched.map((m) => prepareMessage(m, 25 * 1024 * 1024)))]);
    expect(pool.threaded).toBe(true);
    expect(viaWorker).toHaveLength(fetched.length);
    for (const [i, prepared] of viaWorker.entries()) {
      expect(Buffer.isBuffer(prepared.sha256) && Buffer.isBuffer(prepared.gz) && Buffer.isBuffer(prepared.fetched.source)).toBe(true);
      expect(prepared.sha256.equals(local[i]!.sha256)).toBe(true);
      expect(prepared.fetched.internalDate).toEqual(fetched[i]!.internalDate);
      expect(prepared.parsed).toEqual(local[i]!.parsed);
      expect(prepared.replyText).toBe(local[i]!.replyText);
    }
  });
});
