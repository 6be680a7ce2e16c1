/**
 * Drill 3: Redis lost (SIGKILL, no persistence) and started again empty, with a campaign
 * under way: probes planned before, during and after the outage, reminders due after it, a
 * mailbox polled every 5 s. While Redis is down the API keeps answering and `/health` says
 * Redis is down; once it is back, polling, planned probes and reminders resume by themselves
 * (the reconciler rebuilds every schedule): each probe and reminder sent once, none missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessage } from '../support/imap.ts';
import { Drill, apiOf, drillDatabase, serviceSettings, startSonde, waitFor, type DrillApi, type DrillDatabase } from '../support/drill-harness.ts';
import { startDrillDovecot, startRedis, type DrillDovecot, type RedisServer } from '../support/drill-servers.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/drill-smtp.ts';
import { createBrands, createCampaign, createMailbox, createScenario, storedCounts } from '../support/drill-world.ts';
import { rawMail } from '../support/mail-factory.ts';

const drill = new Drill('redis-loss');
let dovecot: DrillDovecot;
let peer: SmtpPeer;
let redis: RedisServer;
let db: DrillDatabase;
let api: DrillApi;

beforeAll(async () => {
  const logDir = await drill.dir();
  dovecot = await startDrillDovecot();
  drill.defer(() => dovecot.stop());
  peer = await startSmtpPeer();
  drill.defer(() => peer.close());
  redis = await startRedis();
  drill.defer(() => redis.destroy());
  db = drillDatabase(drill);
  const settings = serviceSettings(db, redis.url);
  const front = await startSonde(drill, settings, 'api,scheduler', logDir);
  await startSonde(drill, settings, 'worker', logDir);
  api = apiOf(front, settings);
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

describe('drill 3: Redis lost and restarted empty', () => {
  it('keeps the API up, says Redis is down, then resumes polling, probes and reminders, each sent once', async () => {
    const user = await dovecot.createUser('redis');
    const mailbox = await createMailbox(api, dovecot, user, { smtp: peer, pollIntervalSeconds: 5 });
    const brands = await createBrands(api, 6);
    const scenarioId = await createScenario(api);
    // six probes over 90 s, a reminder 0.02 h (72 s) after each one left unanswered
    const campaignId = await createCampaign(api, {
      brands,
      mailboxIds: [mailbox.id],
      scenarioIds: [scenarioId],
      probesPerBrand: 1,
      periodMs: 90_000,
      reminderAfterHours: 0.02,
      reminderMax: 1,
    });
    await api.post(`/v1/campaigns/${campaignId}/schedule`);
    const probes = await waitFor('the plan', async () => {
      const rows = await db.query<{ id: string; scheduled_at: Date }>('select id, scheduled_at from probes where campaign_id = $1 order by scheduled_at', [campaignId]);
      return rows.length === 6 ? rows : null;
    }, 60_000, 250);
    await waitFor('a first probe out', () => peer.received.length >= 1, 120_000, 250);

    await redis.kill();
    const downAt = Date.now();
    const health = await waitFor('/health to say Redis is down', async () => {
      const { status, body } = await api.request('GET', '/health');
      return status === 503 && body.redis === 'down' ? body : null;
    }, 30_000, 500);
    expect(health.postgres).toBe('up');
    // the API answers what needs no queue
    const listed = await api.request('GET', `/v1/probes?campaignId=${campaignId}`);
    expect(listed.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    await redis.start();
    const upAt = Date.now();
    await waitFor('/health to say Redis is up', async () => (await api.request('GET', '/health')).body.redis === 'up', 30_000, 500);

    // polling resumes: a reply arriving now is stored
    const before = (await storedCounts(db, mailbox.id)).rows;
    await appendMessage(dovecot, user, 'INBOX', rawMail({ from: 'lettre@actus.example', to: user.address, subject: 'Après la panne', text: 'Bonjour' }), new Date());
    await waitFor('polling to resume', async () => (await storedCounts(db, mailbox.id)).rows > before, 120_000, 500);
    const pollingBackS = (Date.now() - upAt) / 1000;

    // every probe and every reminder goes out, once
    const lastDue = Math.max(...probes.map((p) => p.scheduled_at.getTime())) + 0.02 * 3_600_000;
    await waitFor(
      'every probe and reminder sent',
      async () => {
        const sent = await db.count(`select count(*) from probes where campaign_id = $1 and status = 'sent'`, [campaignId]);
        const reminders = await db.count(`select count(*) from reminders r join probes p on p.id = r.probe_id where p.campaign_id = $1 and r.status = 'sent'`, [campaignId]);
        return sent === 6 && reminders === 6;
      },
      Math.max(0, lastDue - Date.now()) + 150_000,
      1000,
    );
    const recoverS = (Date.now() - upAt) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const ids = await db.query<{ internet_message_id: string }>(
      `select internet_message_id from probes where campaign_id = $1
       union all select r.internet_message_id from reminders r join probes p on p.id = r.probe_id where p.campaign_id = $1`,
      [campaignId],
    );
    const counts = ids.map((r) => peer.count(r.internet_message_id));
    expect(counts).toEqual(Array(12).fill(1));
    expect(peer.received.length).toBe(12);
    drill.report({
      drill: 3,
      probes: 6,
      reminders: 6,
      faults: 1,
      outageS: (upAt - downAt) / 1000,
      pollingBackS,
      lost: counts.filter((c) => c === 0).length,
      doubled: counts.filter((c) => c > 1).length,
      allSentAfterReturnS: recoverS,
    });
  }, 600_000);
});
