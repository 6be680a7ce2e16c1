/**
 * Sends held for an auditor (an interrupted attempt that left no copy in the Sent folder):
 * found through the API and counted on the campaign, then settled by an auditor — sent at the
 * time established (the outcome's delay counted from it, the next reminder queued), not sent
 * (queued again, its failed job notwithstanding), or failed — each resolution kept with its
 * author and shown in the evidence pack. The hold itself is produced as the send job leaves it
 * (`holdProbe`, `holdReminder`); campaign-sending.test.ts shows a real send ending so.
 */
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdProbe } from '../../src/db/probes.repo.ts';
import { holdReminder } from '../../src/db/reminders.repo.ts';
import { jobIds } from '../../src/queue/queues.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { get as dashboardGet, signIn } from '../support/dashboard-client.ts';
import { HOUR, rawMail } from '../support/mail-factory.ts';
import { createTestQueues, type TestQueues } from '../support/queues.ts';
import { insertCampaignWorld, insertSentProbe, storeReply } from '../support/report-fixture.ts';

const REASON = 'an earlier attempt was interrupted and left no copy in the Sent folder: whether the SMTP server took it is unknown, so it is held for an auditor rather than sent again';
const T0 = new Date('2026-03-03T09:00:00Z');
const C = randomUUID();
const CLOSED = randomUUID();
const M = randomUUID();
const S = randomUUID();
const SECTOR = randomUUID();
const BRAND = randomUUID();

let t: TestContext;
let q: TestQueues;
let worker: Worker;
let auditorKey = '';
let auditorKeyId = '';
let readerKey = '';
/** Runs of the send-probe job, by probe: the first one of a held probe fails for good, as the held attempt did. */
const runs = new Map<string, number>();

beforeAll(async () => {
  q = createTestQueues();
  t = await createTestContext({ queues: q.queues });
  await insertCampaignWorld(t.db.pool, {
    campaignId: C,
    sectors: [{ id: SECTOR, name: 'Banque' }],
    brands: [{ id: BRAND, name: 'Banque Exemple', sectorId: SECTOR, domain: 'banque.example' }],
    mailboxId: M,
    scenarioId: S,
  });
  await t.db.pool.query('update campaigns set reminder_max = 2 where id = $1', [C]);
  await t.db.pool.query(
    `insert into campaigns (id, name, status, starts_at, ends_at, timezone, norms, probes_per_brand, closed_at)
     values ($1, 'Clôturée', 'closed', '2026-03-02T00:00:00Z', '2026-03-31T00:00:00Z', 'Europe/Paris', '{4,24}', 1, now())`,
    [CLOSED],
  );
  for (const [label, role] of [['Claire (audit)', 'auditor'], ['Lecteur', 'reader']] as const) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/keys', headers: t.auth(), payload: { label, role } });
    expect(res.statusCode, res.body).toBe(201);
    if (role === 'auditor') [auditorKey, auditorKeyId] = [res.json().key, res.json().id];
    else readerKey = res.json().key;
  }
  worker = new Worker(
    'send-probe',
    async (job) => {
      const n = (runs.get(job.data.probeId) ?? 0) + 1;
      runs.set(job.data.probeId, n);
      if (n === 1) throw new UnrecoverableError(REASON);
      return 'sent';
    },
    { connection: q.workerRedis, prefix: q.prefix },
  );
});

afterAll(async () => {
  await worker?.close();
  await q?.close();
  await t?.close();
});

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A probe left `sending` by an interrupted attempt, then held, as the send job leaves it; its job failed for good. */
async function heldProbe(campaignId = C): Promise<string> {
  const id = randomUUID();
  await t.db.pool.query(
    `insert into probes (id, campaign_id, brand_id, scenario_id, mailbox_id, channel, recipient, persona_address, subject, body,
                         internet_message_id, scheduled_at, status, created_at)
     values ($1, $2, $3, $4, $5, 'email', 'contact@banque.example', 'marie.dupont@test.example', 'Ma carte bloquée', 'Bonjour',
             $6, $7, 'sending', $8)`,
    [id, campaignId, BRAND, S, M, `${id}@sonde.test`, T0, new Date(T0.getTime() - 48 * HOUR)],
  );
  await holdProbe(t.db.pool, id, REASON);
  await q.queues['send-probe'].add('send', { probeId: id }, { jobId: jobIds.sendProbe(id) });
  await until('the held attempt failed', async () => (await q.queues['send-probe'].getJob(jobIds.sendProbe(id)))?.isFailed());
  return id;
}

/** A sent probe whose reminder `seq` was interrupted and held. */
async function heldReminder(seq = 1): Promise<string> {
  const id = randomUUID();
  await insertSentProbe(t.db.pool, { id, campaignId: C, brandId: BRAND, mailboxId: M, scenarioId: S, subject: 'Relance', recipient: 'contact@banque.example', sentAt: T0, messageId: `${id}@sonde.test` });
  await t.db.pool.query(`insert into reminders (probe_id, seq, due_at, status, internet_message_id) values ($1, $2, $3, 'sending', $4)`, [
    id,
    seq,
    new Date(T0.getTime() + 24 * HOUR),
    `${id}-r${seq}@sonde.test`,
  ]);
  const { rows } = await t.db.pool.query<{ id: string }>('select id from reminders where probe_id = $1 and seq = $2', [id, seq]);
  await holdReminder(t.db.pool, rows[0]!.id, REASON);
  return id;
}

async function post(url: string, payload: unknown, key = auditorKey) {
  const res = await t.app.inject({ method: 'POST', url, headers: t.auth(key), payload: payload as object });
  return { status: res.statusCode, body: res.json() };
}

async function get(url: string) {
  const res = await t.app.inject({ method: 'GET', url, headers: t.auth() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('finding held sends', () => {
  it('lists held probes and reminders with when and why, and counts them on the campaign', async () => {
    const probeId = await heldProbe();
    const reminderProbeId = await heldReminder();
    const held = await get(`/v1/probes?campaignId=${C}&held=true`);
    const mine = held.items.find((p: { id: string }) => p.id === probeId);
    expect(mine).toMatchObject({ status: 'sending', heldReason: REASON, heldResolution: null });
    expect(new Date(mine.heldAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(held.items.every((p: { heldAt: string | null }) => p.heldAt !== null)).toBe(true);
    const notHeld = await get(`/v1/probes?campaignId=${C}&held=false`);
    expect(notHeld.items.map((p: { id: string }) => p.id)).toContain(reminderProbeId);
    expect(notHeld.items.map((p: { id: string }) => p.id)).not.toContain(probeId);
    expect((await get(`/v1/probes/${probeId}`)).heldReason).toBe(REASON);

    const reminders = await get(`/v1/reminders?campaignId=${C}&held=true`);
    expect(reminders.items.find((r: { probeId: string }) => r.probeId === reminderProbeId)).toMatchObject({ seq: 1, status: 'sending', heldReason: REASON });

    const campaign = await get(`/v1/campaigns/${C}`);
    const counted = await t.db.pool.query<{ probes: number; reminders: number }>(
      `select (select count(*)::int from probes where campaign_id = $1 and held_at is not null) as probes,
              (select count(*)::int from reminders r join probes p on p.id = r.probe_id where p.campaign_id = $1 and r.held_at is not null) as reminders`,
      [C],
    );
    expect(campaign.heldSends).toEqual(counted.rows[0]);
    expect(campaign.heldSends.probes).toBeGreaterThanOrEqual(1);
  });

  it('shows a notice with the held sends on the dashboard campaign page', async () => {
    const probeId = await heldProbe();
    const jar = await signIn(t.app, auditorKey);
    const page = await dashboardGet(t.app, jar, `/campaigns/${C}`, { 'accept-language': 'en' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/\d+ sends? held for review/);
    expect(page.body).toContain(`data-held-probe-id="${probeId}"`);
    expect(page.body).toContain('href="#held-sends"');
    // the link leads to the probe on its brand's page, which says it is held
    const brandPage = await dashboardGet(t.app, jar, `/campaigns/${C}/brands/${BRAND}`, { 'accept-language': 'en' });
    const card = brandPage.body.slice(brandPage.body.indexOf(`data-probe-id="${probeId}"`));
    expect(card.slice(0, card.indexOf('</section>'))).toMatch(/<span class="bad" data-held>Held for review<\/span>/);
  });
});

describe('settling a held probe', () => {
  it('refuses what cannot be recorded, saying what to fix', async () => {
    const probeId = await heldProbe();
    const url = `/v1/probes/${probeId}/held-resolution`;
    expect((await post(`/v1/probes/${randomUUID()}/held-resolution`, { resolution: 'failed', note: 'x' })).status).toBe(404);
    expect((await post(url, { resolution: 'failed', note: 'x' }, readerKey)).status).toBe(403);
    const noTime = await post(url, { resolution: 'sent' });
    expect(noTime.status).toBe(400);
    expect(noTime.body.errors).toEqual([expect.objectContaining({ field: 'body/sentAt' })]);
    expect((await post(url, { resolution: 'maybe' })).status).toBe(400);
    expect((await post(url, { resolution: 'not_sent', sentAt: T0.toISOString() })).status).toBe(400);
    const noNote = await post(url, { resolution: 'failed' });
    expect(noNote.status).toBe(400);
    expect(noNote.body.detail).toMatch(/note is required/);
    const future = await post(url, { resolution: 'sent', sentAt: new Date(Date.now() + 3 * HOUR).toISOString() });
    expect(future.status).toBe(422);
    expect(future.body.detail).toMatch(/in the future/);
    const early = await post(url, { resolution: 'sent', sentAt: new Date(T0.getTime() - 72 * HOUR).toISOString() });
    expect(early.status).toBe(422);
    expect(early.body.detail).toMatch(/before the probe was created/);
    // nothing changed
    expect((await get(`/v1/probes/${probeId}`)).heldAt).not.toBeNull();

    const sent = randomUUID();
    await insertSentProbe(t.db.pool, { id: sent, campaignId: C, brandId: BRAND, mailboxId: M, scenarioId: S, subject: 's', recipient: 'contact@banque.example', sentAt: T0, messageId: `${sent}@sonde.test` });
    const notHeld = await post(`/v1/probes/${sent}/held-resolution`, { resolution: 'failed', note: 'x' });
    expect(notHeld.status).toBe(409);
    expect(notHeld.body.detail).toContain(`it is sent (at ${T0.toISOString()})`);

    const closed = await heldProbe(CLOSED);
    const again = await post(`/v1/probes/${closed}/held-resolution`, { resolution: 'not_sent' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/campaign is closed/);
  });

  it('records a probe of a closed campaign sent without any reminder to come, even after a reopen', async () => {
    const probeId = await heldProbe(CLOSED);
    const res = await post(`/v1/probes/${probeId}/held-resolution`, { resolution: 'sent', sentAt: T0.toISOString() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.status).toBe('sent');
    expect(await q.queues['send-reminder'].getJob(jobIds.sendReminder(probeId, 1))).toBeUndefined();
    const { rows } = await t.db.pool.query('select seq, status from reminders where probe_id = $1', [probeId]);
    expect(rows).toEqual([{ seq: 1, status: 'cancelled' }]);
  });

  it('records it sent at the established time: the delay counts from it, the first reminder is queued, the resolution is kept and shown', async () => {
    const probeId = await heldProbe();
    // the brand answered the probe it did get, three hours after it went out
    await storeReply(t.db.pool, {
      mailboxId: M,
      probeId,
      receivedAt: new Date(T0.getTime() + 3 * HOUR),
      kind: 'answer',
      source: Buffer.from(rawMail({ from: 'service@banque.example', to: 'marie.dupont@test.example', subject: 'Re: Ma carte bloquée', text: 'Bonjour Madame Dupont, votre carte est débloquée. Cordialement, Paul Martin' })),
    });
    const sentAt = new Date(T0.getTime() + 5 * 60_000);
    const res = await post(`/v1/probes/${probeId}/held-resolution`, { resolution: 'sent', sentAt: '2026-03-03T10:05:00+01:00', note: 'found in the provider log' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'sent', heldAt: null, heldReason: null, error: null });
    expect(new Date(res.body.sentAt)).toEqual(sentAt);
    expect(res.body.heldResolution).toMatchObject({ resolution: 'sent', note: 'found in the provider log', heldReason: REASON, resolvedBy: { keyId: auditorKeyId, label: 'Claire (audit)' } });
    expect(new Date(res.body.heldResolution.sentAt)).toEqual(sentAt);
    expect(res.body.outcome.delayHours).toBeCloseTo(3 - 5 / 60, 2);

    const reminderJob = await q.queues['send-reminder'].getJob(jobIds.sendReminder(probeId, 1));
    expect(reminderJob?.data).toEqual({ probeId, seq: 1 });
    const kept = await t.db.pool.query('select resolution, resolved_by, resolved_by_key_id, held_reason from held_resolutions where probe_id = $1', [probeId]);
    expect(kept.rows).toEqual([{ resolution: 'sent', resolved_by: 'Claire (audit)', resolved_by_key_id: auditorKeyId, held_reason: REASON }]);

    // once settled, it is no longer held
    const twice = await post(`/v1/probes/${probeId}/held-resolution`, { resolution: 'failed', note: 'x' });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toMatch(/not held.*it is sent/);

    // the evidence pack shows how the sending time was established
    const report = await t.app.inject({ method: 'GET', url: `/v1/campaigns/${C}/report?brandId=${BRAND}&lang=en`, headers: t.auth() });
    expect(report.statusCode).toBe(200);
    const card = report.body.slice(report.body.indexOf(`data-probe-id="${probeId}"`));
    const article = card.slice(0, card.indexOf('</article>'));
    expect(article).toMatch(/Send held for review<\/dt><dd[^>]*>Probe, held since [^<]*, settled by Claire \(audit\) on [^<]*: sent at [^<]*found in the provider log/);
    expect(article).toContain('time established by Claire (audit)');
  });

  it('sends it again when it did not go out: planned for now, its failed job replaced', async () => {
    const probeId = await heldProbe();
    expect(runs.get(probeId)).toBe(1);
    const before = Date.now();
    const res = await post(`/v1/probes/${probeId}/held-resolution`, { resolution: 'not_sent', note: 'not in the provider log' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'planned', heldAt: null, error: null, sentAt: null, heldResolution: { resolution: 'not_sent', sentAt: null } });
    expect(new Date(res.body.scheduledAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
    // the same Message-ID goes out, so a late answer to the first attempt still threads
    expect(res.body.messageId).toBe(`${probeId}@sonde.test`);
    await until('the send job ran again', async () => runs.get(probeId) === 2);
  });

  it('marks it failed with the note', async () => {
    const probeId = await heldProbe();
    const res = await post(`/v1/probes/${probeId}/held-resolution`, { resolution: 'failed', note: 'the brand says it never came; the form is used instead' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', heldAt: null, error: 'the brand says it never came; the form is used instead', heldResolution: { resolution: 'failed' } });
    expect(runs.get(probeId)).toBe(1);
  });
});

describe('settling a held reminder', () => {
  it('records it sent: counted in the outcome, the next reminder queued; refuses a time before the probe', async () => {
    const probeId = await heldReminder();
    const url = `/v1/probes/${probeId}/reminders/1/held-resolution`;
    expect((await post(`/v1/probes/${probeId}/reminders/2/held-resolution`, { resolution: 'failed', note: 'x' })).status).toBe(404);
    const early = await post(url, { resolution: 'sent', sentAt: new Date(T0.getTime() - HOUR).toISOString() });
    expect(early.status).toBe(422);
    expect(early.body.detail).toMatch(/before the probe was sent/);

    const sentAt = new Date(T0.getTime() + 25 * HOUR);
    const res = await post(url, { resolution: 'sent', sentAt: sentAt.toISOString() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ seq: 1, status: 'sent', heldAt: null, heldResolution: { resolution: 'sent', resolvedBy: { label: 'Claire (audit)' } } });
    expect(new Date(res.body.sentAt)).toEqual(sentAt);
    expect((await get(`/v1/probes/${probeId}`)).outcome.remindersSent).toBe(1);
    expect(await q.queues['send-reminder'].getJob(jobIds.sendReminder(probeId, 2))).toBeDefined();
    const listed = await get(`/v1/reminders?probeId=${probeId}`);
    expect(listed.items[0].heldResolution).toMatchObject({ resolution: 'sent' });

    const twice = await post(url, { resolution: 'not_sent' });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toContain(`it is sent (sent at ${sentAt.toISOString()})`);
  });

  it('puts it back due when it did not go out', async () => {
    const probeId = await heldReminder();
    const res = await post(`/v1/probes/${probeId}/reminders/1/held-resolution`, { resolution: 'not_sent' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'due', heldAt: null, error: null });
    expect((await q.queues['send-reminder'].getJob(jobIds.sendReminder(probeId, 1)))?.data).toEqual({ probeId, seq: 1 });
  });
});

describe('the OpenAPI description', () => {
  it('documents both resolutions and the held fields', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    const doc = res.json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/probes/{id}/held-resolution', '/v1/probes/{id}/reminders/{seq}/held-resolution']));
    const probe = Object.values(doc.components.schemas as Record<string, { properties?: Record<string, unknown> }>).find((s) => s.properties && 'personaAddress' in s.properties && 'replies' in s.properties);
    expect(Object.keys(probe?.properties ?? {})).toEqual(expect.arrayContaining(['heldAt', 'heldReason', 'heldResolution']));
  });
});
