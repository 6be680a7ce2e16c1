/**
 * Drill 4: PostgreSQL restarted under load, on a private cluster (`initdb` + `pg_ctl` on a
 * free port). While a 3,000-message mailbox syncs, the API is read in a loop and a probe is
 * in the middle of its SMTP conversation (a slow peer holds its reply), the cluster is
 * stopped (`pg_ctl stop -m fast`: every backend cut) and started again. No process exits,
 * the pools reconnect, the batch in flight is read again, nothing is lost or doubled, the
 * probe goes out once; `/health` says PostgreSQL is down while it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessages } from '../support/imap.ts';
import { Drill, apiOf, drillDatabase, serviceSettings, startSonde, waitFor, type DrillApi, type DrillDatabase, type SondeProcess } from '../support/drill-harness.ts';
import { startDrillDovecot, startPostgresCluster, startRedis, type DrillDovecot, type PostgresCluster } from '../support/drill-servers.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/drill-smtp.ts';
import { brandMail, createBrands, createCampaign, createMailbox, createScenario, storedCounts } from '../support/drill-world.ts';

const drill = new Drill('postgres-restart');
let dovecot: DrillDovecot;
let cluster: PostgresCluster;
let peer: SmtpPeer;
let db: DrillDatabase;
let api: DrillApi;
let front: SondeProcess;
let worker: SondeProcess;

beforeAll(async () => {
  const logDir = await drill.dir();
  dovecot = await startDrillDovecot();
  drill.defer(() => dovecot.stop());
  cluster = await startPostgresCluster();
  drill.defer(() => cluster.destroy());
  peer = await startSmtpPeer();
  drill.defer(() => peer.close());
  const redis = await startRedis();
  drill.defer(() => redis.destroy());
  db = drillDatabase(drill, cluster.url('postgres'));
  const settings = serviceSettings(db, redis.url);
  front = await startSonde(drill, settings, 'api,scheduler', logDir);
  worker = await startSonde(drill, settings, 'worker', logDir);
  api = apiOf(front, settings);
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

describe('drill 4: PostgreSQL restarted under load', () => {
  it('keeps every process up, reconnects, re-reads the batch in flight, loses and doubles nothing', async () => {
    const total = 3000;
    const user = await dovecot.createUser('pg');
    const mailbox = await createMailbox(api, dovecot, user, { smtp: peer, pollIntervalSeconds: 5, enabled: false });
    await appendMessages(dovecot, user, 'INBOX', brandMail(mailbox, [], total, new Date(Date.now() - 24 * 3_600_000)));
    const brands = await createBrands(api, 1);
    const scenarioId = await createScenario(api);
    const campaignId = await createCampaign(api, { brands, mailboxIds: [mailbox.id], scenarioIds: [scenarioId], probesPerBrand: 1, periodMs: 10_000 });

    // API traffic all along: what answers, what fails, how many health checks say "down"
    let traffic = true;
    const seen = { ok: 0, failed: 0, healthDown: 0, hung: 0 };
    const load = (async () => {
      while (traffic) {
        const [list, health] = await Promise.all([
          api.request('GET', `/v1/messages?limit=20`).catch(() => ({ status: 0, body: null })),
          api.request('GET', '/health').catch(() => ({ status: 0, body: null })),
        ]);
        if (list.status === 200) seen.ok++;
        else if (list.status === 0) seen.hung++;
        else seen.failed++;
        if (health.body?.postgres === 'down') seen.healthDown++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    peer.holdNext();
    await api.post(`/v1/campaigns/${campaignId}/schedule`);
    await peer.held();
    await api.patch(`/v1/mailboxes/${mailbox.id}`, { enabled: true });
    await waitFor('the sync to be part-way', async () => {
      const { rows } = await storedCounts(db, mailbox.id);
      return rows > 0 && rows < total;
    }, 90_000, 20);

    await cluster.stop('fast');
    const downAt = Date.now();
    await waitFor('/health to say PostgreSQL is down', async () => (await api.request('GET', '/health')).body?.postgres === 'down', 20_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    // the peer answers the held DATA while the database is away: the record waits for it
    peer.release();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await cluster.start();
    const upAt = Date.now();

    await waitFor('every message stored', async () => (await storedCounts(db, mailbox.id)).rows >= total, 240_000, 500);
    const recoverS = (Date.now() - upAt) / 1000;
    const [probe] = await db.query<{ status: string; internet_message_id: string }>('select status, internet_message_id from probes where campaign_id = $1', [campaignId]);
    await waitFor('the probe recorded sent', async () => (await db.query<{ status: string }>('select status from probes where campaign_id = $1', [campaignId]))[0]?.status === 'sent', 240_000, 1000);
    traffic = false;
    await load;

    expect(front.exited).toBe(false);
    expect(worker.exited).toBe(false);
    const counts = await storedCounts(db, mailbox.id);
    expect(counts).toEqual({ rows: total, distinct: total });
    expect(peer.count(probe!.internet_message_id)).toBe(1);
    expect(seen.healthDown).toBeGreaterThan(0);
    expect((await api.request('GET', '/v1/messages?limit=1')).status).toBe(200);
    drill.report({
      drill: 4,
      messages: total,
      faults: 1,
      outageS: (upAt - downAt) / 1000,
      apiOk: seen.ok,
      apiFailed: seen.failed,
      apiHung: seen.hung,
      healthDown: seen.healthDown,
      processExits: Number(front.exited) + Number(worker.exited),
      lost: total - counts.distinct,
      doubled: counts.rows - counts.distinct,
      probeSends: peer.count(probe!.internet_message_id),
      recoverS,
    });
  }, 600_000);
});
