/**
 * Drill 5: the IMAP server stopped in the middle of a sync, and started again. The mailbox
 * shows the error within a minute and clears it within five minutes of the server's return
 * (a connection fault backs off to five minutes at most), nothing lost or doubled. Then a
 * server reached through a link that drops the connection after every N commands: the sync
 * still finishes, each connection moving the checkpoint on by what it stored.
 *
 * The mailboxes poll every 5 s (the API's minimum): the README's default of 60 s would only
 * stretch the same story.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessages } from '../support/imap.ts';
import { Drill, apiOf, startSonde, waitFor, type DrillApi, type DrillDatabase } from '../support/drill-harness.ts';
import { startDrillServers } from '../support/drill-setup.ts';
import { startDroppingProxy, type DrillDovecot } from '../support/drill-servers.ts';
import { brandMail, createMailbox, storedCounts } from '../support/drill-world.ts';

const drill = new Drill('imap-outage');
let dovecot: DrillDovecot;
let db: DrillDatabase;
let api: DrillApi;

beforeAll(async () => {
  const servers = await startDrillServers(drill);
  ({ dovecot, db } = servers);
  const { logDir, settings } = servers;
  // one process with every role, as `npm start` runs it
  const service = await startSonde(drill, settings, 'api,worker,scheduler', logDir);
  api = apiOf(service, settings);
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

interface SyncState {
  lastError: string | null;
  consecutiveFailures: number;
}
const syncState = async (mailboxId: string) => (await api.get<{ syncState: SyncState }>(`/v1/mailboxes/${mailboxId}`)).syncState;

describe('drill 5: IMAP server stopped mid-sync and started again', () => {
  it('shows the error within a minute, clears it within five minutes of the return, loses and doubles nothing', async () => {
    const total = 3000;
    const user = await dovecot.createUser('outage');
    const mailbox = await createMailbox(api, dovecot, user, { enabled: false });
    await appendMessages(dovecot, user, 'INBOX', brandMail(mailbox, [], total, new Date(Date.now() - 24 * 3_600_000)));
    await api.patch(`/v1/mailboxes/${mailbox.id}`, { enabled: true });
    await waitFor('the sync to be part-way', async () => {
      const { rows } = await storedCounts(db, mailbox.id);
      return rows > 0 && rows < total;
    }, 90_000, 20);

    await dovecot.halt();
    const stoppedAt = Date.now();
    const storedWhileDown = (await storedCounts(db, mailbox.id)).rows;
    await waitFor('the mailbox to show the error', async () => (await syncState(mailbox.id)).lastError !== null, 60_000, 500);
    const errorShownS = (Date.now() - stoppedAt) / 1000;
    const shown = await syncState(mailbox.id);
    // what a user reads: the server is unreachable, in words, no stack trace
    expect(shown.lastError).toMatch(/refused|closed|connect/i);
    // down for a while longer: several failed polls, a grown backoff
    await new Promise((resolve) => setTimeout(resolve, 40_000));
    const failuresWhileDown = (await syncState(mailbox.id)).consecutiveFailures;

    await dovecot.resume();
    const resumedAt = Date.now();
    await waitFor('the error to clear', async () => (await syncState(mailbox.id)).lastError === null, 300_000, 500);
    const clearedS = (Date.now() - resumedAt) / 1000;
    await waitFor('every message stored', async () => (await storedCounts(db, mailbox.id)).rows >= total, 120_000, 250);
    const counts = await storedCounts(db, mailbox.id);
    expect(counts).toEqual({ rows: total, distinct: total });
    expect(failuresWhileDown).toBeGreaterThan(1);
    expect(errorShownS).toBeLessThan(60);
    expect(clearedS).toBeLessThan(300);
    drill.report({
      drill: '5a',
      messages: total,
      faults: 1,
      storedWhenStopped: storedWhileDown,
      failuresWhileDown,
      errorShownS,
      clearedAfterReturnS: clearedS,
      lost: total - counts.distinct,
      doubled: counts.rows - counts.distinct,
    });
  }, 600_000);

  it('finishes a sync through a link that drops the connection after every N commands', async () => {
    const total = 2000;
    // a fresh session spends about a dozen commands before its first FETCH of sources (login, LIST, STATUS, EXAMINE…)
    const everyCommands = 16;
    const proxy = await startDroppingProxy(dovecot, everyCommands);
    drill.defer(() => proxy.destroy());
    const user = await dovecot.createUser('flaky');
    const mailbox = await createMailbox(api, { host: '127.0.0.1', port: proxy.port }, user, { enabled: false });
    await appendMessages(dovecot, user, 'INBOX', brandMail(mailbox, [], total, new Date(Date.now() - 24 * 3_600_000)));
    const startedAt = Date.now();
    await api.patch(`/v1/mailboxes/${mailbox.id}`, { enabled: true });
    await waitFor('every message stored through the flaky link', async () => (await storedCounts(db, mailbox.id)).rows >= total, 300_000, 250);
    const counts = await storedCounts(db, mailbox.id);
    expect(counts).toEqual({ rows: total, distinct: total });
    expect(proxy.drops).toBeGreaterThan(0);
    drill.report({ drill: '5b', messages: total, everyCommands, faults: proxy.drops, lost: total - counts.distinct, doubled: counts.rows - counts.distinct, finishS: (Date.now() - startedAt) / 1000 });
  }, 420_000);
});
