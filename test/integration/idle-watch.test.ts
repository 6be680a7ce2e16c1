/**
 * The IDLE watch against a real Dovecot, through the worker's own wiring (`buildProcessors`,
 * real BullMQ workers): new mail stored within seconds while the poll interval is an hour,
 * a server without IDLE left to the polling, the watch back after its session is cut with
 * a poll after the reconnect, and one connection per mailbox however many watchers run.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { IdleWatcher } from '../../src/flow/idle-watch.ts';
import { MailboxSync } from '../../src/flow/sync-mailbox.ts';
import { createLogger } from '../../src/logger.ts';
import { ImapConnectionCache } from '../../src/mail/imap-client.ts';
import { isWatchUp, redisWatchLeases } from '../../src/queue/idle-leases.ts';
import { pollMailbox, type PollDeps } from '../../src/queue/poll-mailbox.job.ts';
import { buildProcessors, type BuiltProcessors } from '../../src/queue/processors.ts';
import type { PollMailboxJob } from '../../src/queue/queues.ts';
import { startWorkers, type Workers } from '../../src/queue/worker.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { waitFor } from '../support/drill-servers.ts';
import { createMailUser, kickUser, listSessions, startDovecot, type DovecotHandle, type DovecotServer, type MailUser } from '../support/dovecot.ts';
import { appendMessage } from '../support/imap.ts';
import { newMessageId, rawMail } from '../support/mail-factory.ts';
import { createTestQueues, type TestQueues } from '../support/queues.ts';

let t: TestContext;
let q: TestQueues;
let built: BuiltProcessors;
let workers: Workers;
let watcher: IdleWatcher;
let noIdle: DovecotServer;
const logger = createLogger('silent');
const HOUR_S = 3600;

beforeAll(async () => {
  t = await createTestContext();
  q = createTestQueues();
  const config = { ...loadConfig({ SONDE_ALLOW_PRIVATE_HOSTS: 'true' }), queuePrefix: q.prefix };
  expect(config.imapIdle).toBe(true); // the default
  built = buildProcessors({ pool: t.db.pool, redis: q.workerRedis, queues: q.queues, secretBox: t.secretBox, logger, config });
  workers = startWorkers({ connection: q.workerRedis, prefix: q.prefix, concurrency: 2, processors: { 'poll-mailbox': built.processors['poll-mailbox']! }, logger });
  watcher = built.idleWatcher!;
  noIdle = await startDovecot({ withoutIdle: true });
});

afterAll(async () => {
  await workers?.close();
  await built?.close();
  await noIdle?.stop();
  await q?.close();
  await t?.close();
});

async function createMailbox(server: Pick<DovecotHandle, 'host' | 'port'>, user: MailUser): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: t.auth(),
    payload: {
      label: user.user,
      address: user.address,
      pollIntervalSeconds: HOUR_S,
      persona: { firstName: 'Marie', lastName: 'Dupont' },
      imap: { host: server.host, port: server.port, secure: false, allowPlaintext: true, user: user.user, password: user.password },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const storedCount = async (mailboxId: string) => Number((await t.db.pool.query('select count(*) from messages where mailbox_id = $1', [mailboxId])).rows[0].count);
const lastPolledAt = async (mailboxId: string) =>
  (await t.db.pool.query<{ last_polled_at: Date | null }>('select last_polled_at from mailboxes where id = $1', [mailboxId])).rows[0]?.last_polled_at ?? null;
const reply = (user: MailUser, subject: string) =>
  rawMail({ from: 'Julie <julie@banque-exemple.fr>', to: user.address, subject, text: 'Bonjour, voici notre réponse.', date: new Date(), messageId: newMessageId('banque-exemple.fr') });
/** The triggers of the poll jobs that ran for the mailbox. */
async function pollTriggers(mailboxId: string): Promise<string[]> {
  const jobs = await q.queues['poll-mailbox'].getJobs(['completed', 'failed', 'active', 'waiting']);
  return jobs.filter((job) => (job.data as PollMailboxJob).mailboxId === mailboxId).map((job) => (job.data as PollMailboxJob).trigger);
}
/** A poll as another worker would run it (its own connections): the scheduler's ticks, played by hand. */
async function pollAs(mailboxId: string, trigger: PollMailboxJob['trigger']) {
  const connections = new ImapConnectionCache();
  const sync = new MailboxSync({ pool: t.db.pool, secretBox: t.secretBox, connections, maxMessageBytes: 25 * 1024 * 1024 });
  const deps: PollDeps = { redis: q.workerRedis, lockPrefix: q.prefix, logger, sync };
  try {
    return await pollMailbox(deps, { mailboxId, trigger });
  } finally {
    await connections.close();
  }
}

describe('IMAP IDLE watch', () => {
  let user: MailUser;
  let mailboxId: string;

  it('stores a message appended to INBOX within seconds, with the poll interval an hour long', async () => {
    user = await createMailUser(inject('dovecot'), 'idle');
    mailboxId = await createMailbox(inject('dovecot'), user);
    await watcher.refresh();
    await waitFor('the watch to be up', () => watcher.status()[mailboxId]?.state === 'watching', 10_000);
    // the poll that follows every connect of the watch
    await waitFor('the first poll', () => lastPolledAt(mailboxId), 10_000);
    expect(await isWatchUp(q.workerRedis, q.prefix, mailboxId)).toBe(true);

    const appendedAt = Date.now();
    await appendMessage(inject('dovecot'), user, 'INBOX', reply(user, 'Re: frais de tenue de compte'), new Date());
    await waitFor('the message stored', async () => (await storedCount(mailboxId)) === 1, 10_000, 50);
    const latencyMs = Date.now() - appendedAt;
    expect(latencyMs).toBeLessThan(10_000);
    // no scheduler runs here and the interval is an hour: only the watch asked for these polls
    expect(new Set(await pollTriggers(mailboxId))).toEqual(new Set(['idle']));
  });

  it('spaces out the scheduled polls of a watched mailbox, but runs the ones asked for', async () => {
    expect(await pollAs(mailboxId, 'schedule')).toMatchObject({ status: 'skipped', reason: 'watched' });
    expect(await pollAs(mailboxId, 'api')).toMatchObject({ status: 'done' });
  });

  it('comes back after its session is cut, and polls after the reconnect', async () => {
    const before = watcher.status()[mailboxId]!.connects;
    const polledBefore = (await lastPolledAt(mailboxId))!;
    await kickUser(inject('dovecot'), user.user);
    await waitFor('the watch to reconnect', () => watcher.status()[mailboxId]?.connects === before + 1 && watcher.status()[mailboxId]?.state === 'watching', 15_000);
    await waitFor('a poll after the reconnect', async () => ((await lastPolledAt(mailboxId))?.getTime() ?? 0) > polledBefore.getTime(), 10_000);
    // and the new connection watches: mail is stored without any other poll
    await appendMessage(inject('dovecot'), user, 'INBOX', reply(user, 'Re: suite de votre demande'), new Date());
    await waitFor('the second message stored', async () => (await storedCount(mailboxId)) === 2, 10_000, 50);
  });

  it('leaves a server without IDLE to the polling, holding no connection to it', async () => {
    const plain = await createMailUser(noIdle, 'noidle');
    const plainId = await createMailbox(noIdle, plain);
    await watcher.refresh();
    await waitFor('the watch to find no IDLE', () => watcher.status()[plainId]?.state === 'unsupported', 10_000);
    expect(await listSessions(noIdle, plain.user)).toEqual([]);
    expect(await isWatchUp(q.workerRedis, q.prefix, plainId)).toBe(false);
    // the scheduled poll runs as it always did, and reads the mail
    await appendMessage(noIdle, plain, 'INBOX', reply(plain, 'Re: sans IDLE'), new Date());
    expect(await pollAs(plainId, 'schedule')).toMatchObject({ status: 'done' });
    expect(await storedCount(plainId)).toBe(1);
  });

  it('tries a refused login once, leaves the account to the poll, and comes back with new settings', async () => {
    const wrong = await createMailUser(inject('dovecot'), 'refused');
    const wrongId = await createMailbox(inject('dovecot'), { ...wrong, password: 'not-the-password' });
    await watcher.refresh();
    await waitFor('the refused login', () => watcher.status()[wrongId]?.failures === 1, 10_000);
    // no login of its own any more: the poll's backoff decides, and the watch waits for a poll that works
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(watcher.status()[wrongId]).toMatchObject({ state: 'waiting', failures: 1, connects: 0 });
    expect(await isWatchUp(q.workerRedis, q.prefix, wrongId)).toBe(false);

    const res = await t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${wrongId}`, headers: t.auth(), payload: { imap: { password: wrong.password } } });
    expect(res.statusCode, res.body).toBe(200);
    await watcher.refresh();
    await waitFor('the watch up with the new password', () => watcher.status()[wrongId]?.state === 'watching', 10_000);
  });

  it('closes the watch of a disabled mailbox', async () => {
    const res = await t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${mailboxId}`, headers: t.auth(), payload: { enabled: false } });
    expect(res.statusCode, res.body).toBe(200);
    await watcher.refresh();
    expect(watcher.status()[mailboxId]).toBeUndefined();
    expect(await isWatchUp(q.workerRedis, q.prefix, mailboxId)).toBe(false);
  });

  it('holds one connection per mailbox however many watchers run, and hands it over when one stops', async () => {
    await watcher.close(); // the worker's own watcher out of the way: two new ones share its leases
    const shared = await createMailUser(inject('dovecot'), 'shared');
    const sharedId = await createMailbox(inject('dovecot'), shared);
    const wakes: string[] = [];
    const make = () =>
      new IdleWatcher({
        pool: t.db.pool,
        secretBox: t.secretBox,
        leases: redisWatchLeases(q.workerRedis, q.prefix),
        requestSync: async (id) => void wakes.push(id),
        logger,
      });
    const [a, b] = [make(), make()];
    try {
      await Promise.all([a.refresh(), b.refresh()]);
      const holder = await waitFor('one watch up', () => [a, b].find((w) => w.status()[sharedId]?.state === 'watching'), 10_000);
      const other = holder === a ? b : a;
      expect(other.status()[sharedId]).toBeUndefined();
      expect(await listSessions(inject('dovecot'), shared.user)).toHaveLength(1);
      // the poll after the connect, asked once (the other mailboxes of this file are watched too)
      expect(wakes.filter((id) => id === sharedId)).toHaveLength(1);

      await holder.close();
      await other.refresh();
      await waitFor('the other watcher to take over', () => other.status()[sharedId]?.state === 'watching', 10_000);
      await waitFor('the first connection gone', async () => (await listSessions(inject('dovecot'), shared.user)).length === 1, 5_000);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
