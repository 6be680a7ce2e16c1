/**
 * The IDLE figures of `bench:ingest`:
 * - latency: a worker running the IDLE watch and the poll job (BullMQ, as the worker role
 *   wires them), no scheduler at all and the mailbox's poll interval a day long, so only
 *   the watch can explain a sync; messages appended one at a time, each timed from the
 *   APPEND to its row seen in the database;
 * - holding: `count` mailboxes watched by one worker process of its own (`idle-holder.ts`),
 *   its IMAP connections counted on the server (`doveadm who`) and its resident memory
 *   read with the watches up and before any.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/logger.ts';
import { IdleWatcher } from '../../src/flow/idle-watch.ts';
import { redisWatchLeases } from '../../src/queue/idle-leases.ts';
import { pollMailboxProcessor } from '../../src/queue/poll-mailbox.job.ts';
import { closeQueues, createQueues, redisConnection, requestSync } from '../../src/queue/queues.ts';
import { startWorkers } from '../../src/queue/worker.ts';
import { createSecretBox } from '../../src/secrets.ts';
import { databaseUrl } from '../../test/support/database.ts';
import { listSessions } from '../../test/support/dovecot.ts';
import { connectImap } from '../../test/support/imap.ts';
import type { IngestBench } from './ingest-fixture.ts';

const PERSONA = { firstName: 'Marie', lastName: 'Dupont' };
const DAY_S = 86_400;
const logger = createLogger('silent');

/** Only these mailboxes stay enabled: the watch takes every enabled one. */
async function enableOnly(bench: IngestBench, ids: readonly string[]): Promise<void> {
  await bench.pool.query('update mailboxes set enabled = (id = any($1::uuid[]))', [ids]);
}

async function until<T>(what: string, check: () => Promise<T | null | false> | T | null | false, timeoutMs: number, everyMs = 5): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Milliseconds from each APPEND to its message row, `sources.length` messages one at a time. */
export async function measureIdleLatency(bench: IngestBench, sources: readonly Buffer[]): Promise<number[]> {
  const box = await bench.createMailbox('Marie – IDLE', PERSONA, { pollIntervalSeconds: DAY_S });
  await enableOnly(bench, [box.mailboxId]);
  const producer = redisConnection(bench.redisUrl, 'producer');
  const workerRedis = redisConnection(bench.redisUrl, 'worker');
  const queues = createQueues(producer, bench.keyPrefix);
  const workers = startWorkers({ connection: workerRedis, prefix: bench.keyPrefix, concurrency: 1, processors: { 'poll-mailbox': pollMailboxProcessor(bench.deps) }, logger });
  const watcher = new IdleWatcher({
    pool: bench.pool,
    secretBox: createSecretBox(bench.secretKey),
    leases: redisWatchLeases(workerRedis, bench.keyPrefix),
    requestSync: (mailboxId) => requestSync(queues, mailboxId, 'idle'),
    logger,
  });
  const stored = async () => Number((await bench.pool.query('select count(*) from messages where mailbox_id = $1', [box.mailboxId])).rows[0].count);
  const appender = await connectImap(bench.dovecot, box.user);
  try {
    await watcher.refresh();
    await until('the watch', () => watcher.status()[box.mailboxId]?.state === 'watching', 10_000, 20);
    // the poll that follows the connect, before the first message
    await until('the first poll', async () => (await bench.pool.query('select last_polled_at from mailboxes where id = $1', [box.mailboxId])).rows[0].last_polled_at, 10_000, 20);
    const latencies: number[] = [];
    for (const [index, source] of sources.entries()) {
      const start = performance.now();
      await appender.append('INBOX', source, [], new Date());
      await until(`message ${index + 1} stored`, async () => (await stored()) > index, 30_000);
      latencies.push(performance.now() - start);
      await sleep(20);
    }
    return latencies;
  } finally {
    await appender.logout().catch(() => appender.close());
    await watcher.close();
    await workers.close();
    await closeQueues(queues);
    producer.disconnect();
    workerRedis.disconnect();
  }
}

export interface IdleHolding {
  mailboxes: number;
  /** IMAP sessions of those mailboxes on the server while the watches are up. */
  connections: number;
  rssMb: number;
  /** The same worker before its first watch. */
  rssNoneMb: number;
  upMs: number;
}

/** `count` mailboxes watched by one worker process of its own. */
export async function measureIdleHolding(bench: IngestBench, count: number): Promise<IdleHolding> {
  const boxes = [];
  for (let i = 0; i < count; i++) boxes.push(await bench.createMailbox(`Marie – veille ${i + 1}`, PERSONA, { pollIntervalSeconds: DAY_S }));
  await enableOnly(bench, boxes.map((b) => b.mailboxId));
  const users = new Set(boxes.map((b) => b.user.user));
  const holder = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./idle-holder.ts', import.meta.url))], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl(bench.databaseName),
      REDIS_URL: bench.redisUrl,
      IDLE_PREFIX: bench.keyPrefix,
      IDLE_SECRET_KEY: bench.secretKey.toString('base64'),
      IDLE_EXPECT: String(count),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  try {
    const lines = createInterface({ input: holder.stdout! });
    let report: { watching: number; upMs: number; rssNoneMb: number; rssMb: number } | null = null;
    for await (const line of lines) {
      if (line.startsWith('{')) {
        report = JSON.parse(line);
        break;
      }
    }
    if (!report) throw new Error('the IDLE holder ended without a report');
    if (report.watching !== count) throw new Error(`the IDLE holder watched ${report.watching} mailboxes, not ${count}`);
    const connections = (await listSessions(bench.dovecot)).filter((s) => users.has(s.user)).length;
    return { mailboxes: count, connections, rssMb: report.rssMb, rssNoneMb: report.rssNoneMb, upMs: report.upMs };
  } finally {
    holder.stdin!.end('stop\n');
    await Promise.race([exited, sleep(15_000)]);
    if (holder.exitCode === null) holder.kill('SIGKILL');
  }
}
