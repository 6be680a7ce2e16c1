/**
 * Drills 1 and 6, on one service (an `api,scheduler` process and a `worker` process, as the
 * README's "Scaling out" runs them), a private Dovecot and a private Redis:
 *
 * 1. the worker is SIGKILLed in the middle of syncing a 4,000-message mailbox, then started
 *    again: every message is stored once, and the outcomes and rollups equal those of a
 *    mailbox holding the same story synced without a fault;
 * 6. a mailbox is recreated (new UIDVALIDITY) with the same messages plus new ones: the known
 *    ones are recognised, the new ones stored, nothing doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessages, withImap } from '../support/imap.ts';
import { Drill, apiOf, startSonde, waitFor, type DrillApi, type DrillDatabase, type ServiceSettings, type SondeProcess } from '../support/drill-harness.ts';
import { startDrillServers } from '../support/drill-setup.ts';
import { type DrillDovecot } from '../support/drill-servers.ts';
import { HOUR_MS, brandMail, createBrands, createCampaign, createMailbox, declareSentProbes, storedCounts, type DrillBrand } from '../support/drill-world.ts';

const drill = new Drill('worker-crash');
let dovecot: DrillDovecot;
let db: DrillDatabase;
let settings: ServiceSettings;
let logDir: string;
let worker: SondeProcess;
let api: DrillApi;
let brands: DrillBrand[];
let campaignId: string;
/** When the probes of every mailbox went out, to the second (INTERNALDATE has no finer grain): same story, same figures. */
const storyStart = new Date(Math.floor(Date.now() / 1000) * 1000 - 2 * 24 * HOUR_MS);

beforeAll(async () => {
  ({ logDir, dovecot, db, settings } = await startDrillServers(drill));
  const front = await startSonde(drill, settings, 'api,scheduler', logDir);
  worker = await startSonde(drill, settings, 'worker', logDir);
  api = apiOf(front, settings);
  brands = await createBrands(api, 4);
  campaignId = await createCampaign(api, { brands, mailboxIds: [] });
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

/** A disabled mailbox with its probes and its mail in place; polled once enabled. */
async function preparedMailbox(total: number, perBrand: number) {
  const user = await dovecot.createUser('drill');
  const mailbox = await createMailbox(api, dovecot, user, { enabled: false });
  const probes = await declareSentProbes(api, campaignId, mailbox, brands, perBrand, storyStart);
  const mail = brandMail(mailbox, probes, total, storyStart);
  await appendMessages(dovecot, user, 'INBOX', mail);
  return { user, mailbox, probes, mail };
}

/** Outcomes keyed by the probe's subject, without ids: two mailboxes with the same story compare equal. */
async function outcomesOf(mailboxId: string) {
  const rows = await db.query(
    `select p.subject, o.sent_at, o.acknowledged_at, o.ack_delay_hours, o.answered_at, o.delay_hours, o.business_delay_hours,
            o.within_norms, o.follow_ups, o.bounced, o.answered_after_reminder
       from outcomes o join probes p on p.id = o.probe_id where o.mailbox_id = $1 order by p.subject`,
    [mailboxId],
  );
  return rows;
}

async function rollupsOf(mailboxId: string) {
  const rows = await db.query(
    `select b.name, r.week, r.probes, r.answered, r.answered_before_reminder, r.acknowledged, r.followed_up,
            r.scored, r.score_sum::text, encode(r.delays, 'hex') as delays
       from outcome_rollups r join brands b on b.id = r.brand_id where r.mailbox_id = $1 order by b.name, r.week`,
    [mailboxId],
  );
  return rows;
}

/** Every answer's analysis done (the rollups' notes depend on it). */
async function analysed(mailboxId: string): Promise<boolean> {
  const pending = await db.count(
    `select count(*) from outcomes o where o.mailbox_id = $1 and o.answered_at is not null and o.scored_reply_id is distinct from o.answer_reply_id`,
    [mailboxId],
  );
  return pending === 0;
}

describe('drill 1: SIGKILL of the worker in the middle of a 4,000-message sync', () => {
  it('stores all 4,000 once, with the outcomes and rollups of a clean run', async () => {
    const total = 4000;
    // the clean run: the same story in another mailbox, synced without a fault
    const clean = await preparedMailbox(total, 10);
    const crashed = await preparedMailbox(total, 10);

    await api.patch(`/v1/mailboxes/${clean.mailbox.id}`, { enabled: true });
    await waitFor('the clean sync', async () => (await storedCounts(db, clean.mailbox.id)).rows === total, 120_000, 250);

    await api.patch(`/v1/mailboxes/${crashed.mailbox.id}`, { enabled: true });
    await api.post(`/v1/mailboxes/${crashed.mailbox.id}/sync`);
    const atKill = await waitFor(
      'the sync to be part-way',
      async () => {
        const { rows } = await storedCounts(db, crashed.mailbox.id);
        return rows > 0 && rows < total ? rows : null;
      },
      120_000,
      20,
    );
    await worker.kill('SIGKILL');
    const killedAt = Date.now();
    const afterKill = (await storedCounts(db, crashed.mailbox.id)).rows;
    expect(afterKill).toBeLessThan(total);

    worker = await startSonde(drill, settings, 'worker', logDir);
    // nobody asks: the scheduler's polls resume the sync from the last checkpoint
    await waitFor('the sync to finish after the restart', async () => (await storedCounts(db, crashed.mailbox.id)).rows >= total, 180_000, 250);
    const recoveredS = (Date.now() - killedAt) / 1000;

    const counts = await storedCounts(db, crashed.mailbox.id);
    const lost = Math.max(0, total - counts.distinct);
    const doubled = counts.rows - counts.distinct;
    expect(counts).toEqual({ rows: total, distinct: total });

    await waitFor('the answers of both mailboxes analysed', async () => (await analysed(clean.mailbox.id)) && (await analysed(crashed.mailbox.id)), 120_000, 500);
    const [cleanOutcomes, crashedOutcomes] = [await outcomesOf(clean.mailbox.id), await outcomesOf(crashed.mailbox.id)];
    expect(crashedOutcomes.length).toBe(clean.probes.length);
    expect(crashedOutcomes.filter((o) => o.answered_at !== null).length).toBeGreaterThan(0);
    expect(crashedOutcomes).toEqual(cleanOutcomes);
    expect(await rollupsOf(crashed.mailbox.id)).toEqual(await rollupsOf(clean.mailbox.id));

    drill.report({ drill: 1, messages: total, faults: 1, storedAtKill: afterKill, firstSeen: atKill, lost, doubled, recoverS: recoveredS });
  }, 420_000);
});

describe('drill 6: UIDVALIDITY changed, the mailbox recreated with the same messages plus new ones', () => {
  it('recognises the known messages, stores the new ones, doubles none', async () => {
    const { user, mailbox, mail } = await preparedMailbox(300, 3);
    await api.patch(`/v1/mailboxes/${mailbox.id}`, { enabled: true });
    await waitFor('the first sync', async () => (await storedCounts(db, mailbox.id)).rows === 300, 60_000, 200);
    await waitFor('the answers analysed', () => analysed(mailbox.id), 60_000, 500);
    const before = await outcomesOf(mailbox.id);
    const knownIds = await db.query<{ id: string }>('select id from messages where mailbox_id = $1 order by id', [mailbox.id]);

    // recreated: everything expunged, the same messages appended again with 50 new ones, a new UIDVALIDITY
    const extra = brandMail(mailbox, [], 50, storyStart).map((m, i) => ({ ...m, raw: m.raw.replace(/Lettre d'information n° (\d+)/, `Nouvelle lettre ${i}`).replace(/Message-ID: <[^>]+>/, `Message-ID: <new-${i}-${Date.now()}@actus.example>`) }));
    const changedAt = Date.now();
    await withImap(dovecot, user, async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageDelete('1:*');
    });
    const uidValidity = await dovecot.resetUidValidity(user.user, 'INBOX');
    await appendMessages(dovecot, user, 'INBOX', [...mail, ...extra]);

    await waitFor('the re-sync', async () => {
      const folder = await db.query<{ uid_validity: number; last_uid: number }>(`select uid_validity, last_uid from mailbox_folders where mailbox_id = $1 and path = 'INBOX'`, [mailbox.id]);
      return Number(folder[0]?.uid_validity) === uidValidity && (await storedCounts(db, mailbox.id)).rows >= 350;
    }, 90_000, 250);
    const recoverS = (Date.now() - changedAt) / 1000;
    const counts = await storedCounts(db, mailbox.id);
    expect(counts).toEqual({ rows: 350, distinct: 350 });
    const stillThere = await db.count('select count(*) from messages where id = any($1::uuid[])', [knownIds.map((r) => r.id)]);
    expect(stillThere).toBe(300);
    await waitFor('the answers analysed', () => analysed(mailbox.id), 60_000, 500);
    expect(await outcomesOf(mailbox.id)).toEqual(before);
    drill.report({ drill: 6, messages: 350, known: 300, new: 50, faults: 1, lost: 350 - counts.distinct, doubled: counts.rows - counts.distinct, recoverS });
  }, 240_000);
});
