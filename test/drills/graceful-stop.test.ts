/**
 * Drills 10 and 11: SIGTERM, as an orchestrator stops a worker (`docker stop`, a rolling
 * deploy), on a service split as "Scaling out" runs it (an `api,scheduler` process and a
 * `worker` process), with the stop bound lowered to 5 s (`SONDE_SHUTDOWN_TIMEOUT_SECONDS`).
 *
 * 10. in the middle of a 4,000-message sync: the worker stops after the batch it is storing
 *     and exits 0 within a few seconds; the mailbox shows no failure; after a restart every
 *     message is stored once.
 * 11. while the SMTP peer holds its reply to DATA for longer than the bound: the worker waits
 *     for the reply, records the probe `sent` (not held), and exits 0; the peer received it once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessages } from '../support/imap.ts';
import { Drill, apiOf, startSonde, waitFor, type DrillApi, type DrillDatabase, type ServiceSettings, type SondeProcess } from '../support/drill-harness.ts';
import { startDrillServers } from '../support/drill-setup.ts';
import { type DrillDovecot } from '../support/drill-servers.ts';
import { type SmtpPeer } from '../support/drill-smtp.ts';
import { HOUR_MS, brandMail, createBrands, createCampaign, createMailbox, createScenario, storedCounts } from '../support/drill-world.ts';

// the stop bound of these drills: short enough to be passed by drill 11's held reply, long enough
// that drill 10's batch under way commits within it when nine drills share two cores (it took 4–5 s)
const BOUND_S = 10;
const drill = new Drill('graceful-stop');
let dovecot: DrillDovecot;
let peer: SmtpPeer;
let db: DrillDatabase;
let settings: ServiceSettings;
let logDir: string;
let worker: SondeProcess;
let api: DrillApi;

beforeAll(async () => {
  ({ logDir, dovecot, peer, db, settings } = await startDrillServers(drill, { SONDE_SHUTDOWN_TIMEOUT_SECONDS: String(BOUND_S) }, { smtp: true }));
  const front = await startSonde(drill, settings, 'api,scheduler', logDir);
  worker = await startSonde(drill, settings, 'worker', logDir);
  api = apiOf(front, settings);
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('drill 10: SIGTERM in the middle of a 4,000-message sync', () => {
  it('stops after the current batch, exits 0 within seconds, and resumes to store every message once', async () => {
    const total = 4000;
    const user = await dovecot.createUser('stop');
    const mailbox = await createMailbox(api, dovecot, user, { enabled: false });
    await appendMessages(dovecot, user, 'INBOX', brandMail(mailbox, [], total, new Date(Date.now() - 2 * 24 * HOUR_MS)));
    await api.patch(`/v1/mailboxes/${mailbox.id}`, { enabled: true });
    await api.post(`/v1/mailboxes/${mailbox.id}/sync`);
    const atSignal = await waitFor(
      'the sync to be part-way',
      async () => {
        const { rows } = await storedCounts(db, mailbox.id);
        return rows > 0 && rows < total ? rows : null;
      },
      120_000,
      20,
    );
    const signalledAt = Date.now();
    const stopping = worker.kill('SIGTERM');
    const exit = await worker.exit;
    const exitS = (Date.now() - signalledAt) / 1000;
    await stopping;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitS).toBeLessThan(BOUND_S);
    const atExit = (await storedCounts(db, mailbox.id)).rows;
    expect(atExit).toBeLessThan(total);
    expect(worker.logs().some((l) => l.msg === 'mailbox sync stopped between batches for a shutdown; the next poll resumes from the checkpoint')).toBe(true);
    // not a failure: no error shown, no backoff
    const [state] = await db.query<{ last_error: string | null; consecutive_failures: number; next_poll_at: Date | null }>(
      'select last_error, consecutive_failures, next_poll_at from mailboxes where id = $1',
      [mailbox.id],
    );
    expect(state).toEqual({ last_error: null, consecutive_failures: 0, next_poll_at: null });

    const restartedAt = Date.now();
    worker = await startSonde(drill, settings, 'worker', logDir);
    // nobody asks: the scheduled polls resume from the checkpoint
    await waitFor('the sync to finish after the restart', async () => (await storedCounts(db, mailbox.id)).rows >= total, 180_000, 250);
    const resumeS = (Date.now() - restartedAt) / 1000;
    const counts = await storedCounts(db, mailbox.id);
    expect(counts).toEqual({ rows: total, distinct: total });
    drill.report({ drill: 10, messages: total, storedAtSignal: atSignal, storedAtExit: atExit, exitS, exitCode: exit.code, lost: total - counts.distinct, doubled: counts.rows - counts.distinct, resumeS });
  }, 420_000);
});

describe('drill 11: SIGTERM while the SMTP peer holds its reply to DATA past the stop bound', () => {
  it('waits for the reply, records the probe sent, and exits 0; the peer received it once', async () => {
    // drill 10 restarts the worker; should it have failed before, this drill still gets one
    if (worker.exited) worker = await startSonde(drill, settings, 'worker', logDir);
    const user = await dovecot.createUser('stopsend');
    const mailbox = await createMailbox(api, dovecot, user, { smtp: peer, pollIntervalSeconds: 30 });
    const brands = await createBrands(api, 1);
    const scenarioId = await createScenario(api);
    const campaignId = await createCampaign(api, { brands, mailboxIds: [mailbox.id], scenarioIds: [scenarioId], probesPerBrand: 1, periodMs: 20_000 });
    peer.holdNext();
    await api.post(`/v1/campaigns/${campaignId}/schedule`);
    const held = await peer.held();

    const signalledAt = Date.now();
    const stopping = worker.kill('SIGTERM');
    // past the bound the worker is still there: it waits for the server's reply
    const holdMs = (BOUND_S + 5) * 1000;
    await sleep(holdMs);
    expect(worker.exited).toBe(false);
    expect(worker.logs().some((l) => l.msg === 'stop bound reached: waiting for the sends under way to be recorded')).toBe(true);
    peer.release();
    const exit = await worker.exit;
    const exitS = (Date.now() - signalledAt) / 1000;
    await stopping;
    expect(exit).toEqual({ code: 0, signal: null });

    const [probe] = await db.query<{ status: string; sent_at: Date | null; internet_message_id: string }>(
      'select status, sent_at, internet_message_id from probes where campaign_id = $1',
      [campaignId],
    );
    expect(probe!.status).toBe('sent');
    expect(probe!.sent_at).not.toBeNull();
    expect(held.messageId).toBe(probe!.internet_message_id.toLowerCase());
    // a restart sends nothing again
    worker = await startSonde(drill, settings, 'worker', logDir);
    await sleep(5_000);
    const sends = peer.count(held.messageId);
    expect(sends).toBe(1);
    drill.report({ drill: 11, probes: 1, heldS: holdMs / 1000, boundS: BOUND_S, exitS, exitCode: exit.code, sends, doubled: sends - 1 });
  }, 300_000);
});
