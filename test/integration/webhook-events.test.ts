/**
 * Where webhook events come from: the overdue scan (once per probe and norm, nothing
 * for an answered probe or a closed campaign, nothing lost when the queue fails).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../src/audit/webhook-payload.ts';
import type { EventSink } from '../../src/flow/events.ts';
import { reportOverdueProbes } from '../../src/flow/overdue-probes.ts';
import { transitionCampaign } from '../../src/db/campaigns.repo.ts';
import { createLogger } from '../../src/logger.ts';
import { webhooksProcessor } from '../../src/queue/webhooks.job.ts';
import { startWorkers, type Workers } from '../../src/queue/worker.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createTestQueues, type TestQueues } from '../support/queues.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'whsec-events-0123456789';
let t: TestContext;
let q: TestQueues;
let workers: Workers;
let receiver: WebhookReceiver;

beforeAll(async () => {
  q = createTestQueues();
  t = await createTestContext({ queues: q.queues });
  receiver = await startWebhookReceiver(SECRET);
  const logger = createLogger('silent');
  const processor = webhooksProcessor({ db: t.db.pool, secretBox: t.secretBox, timeoutMs: 2000, retryBaseMs: 200, queue: q.queues.webhooks, logger });
  workers = startWorkers({ connection: q.workerRedis, prefix: q.prefix, concurrency: 2, processors: { webhooks: processor }, logger });
});

afterAll(async () => {
  await workers?.close();
  await receiver?.close();
  await q?.close();
  await t?.close();
});

async function api(method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: t.auth(), ...(payload && { payload }) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

function collector(): EventSink & { events: WebhookEvent[] } {
  const events: WebhookEvent[] = [];
  return { events, enqueue: async (batch) => void events.push(...batch) };
}

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe('probe.overdue', () => {
  it('reports each probe once per norm passed without an answer', async () => {
    const sector = await api('POST', '/v1/sectors', { name: 'Banque' });
    const brand = await api('POST', '/v1/brands', { name: 'Banque Exemple', sectorId: sector.id, contactAddresses: ['contact@banque.example'], senderDomains: ['banque.example'] });
    const mailbox = await api('POST', '/v1/mailboxes', {
      label: 'Marie',
      address: 'marie.overdue@example.test',
      persona: { firstName: 'Marie', lastName: 'Dupont' },
      imap: { host: 'imap.example.test', port: 993, secure: true, user: 'marie', password: 'pw' },
    });
    const campaign = await api('POST', '/v1/campaigns', { name: 'Baromètre', norms: [4, 24] });
    const closed = await api('POST', '/v1/campaigns', { name: 'Fini', norms: [4, 24] });
    const probe = (campaignId: string, sentAt: string) =>
      api('POST', '/v1/probes', { campaignId, brandId: brand.id, mailboxId: mailbox.id, channel: 'webform', recipient: 'https://banque.example/contact', sentAt });

    const late = await probe(campaign.id, hoursAgo(5));
    const recent = await probe(campaign.id, hoursAgo(1));
    const answered = await probe(campaign.id, hoursAgo(6));
    await probe(closed.id, hoursAgo(5));
    await t.db.pool.query("update outcomes set answered_at = now() - interval '5 hours' where probe_id = $1", [answered.id]);
    await t.db.pool.query("update campaigns set status = 'closed', closed_at = now() where id = $1", [closed.id]);

    // a queue that fails: nothing is claimed, the next scan finds the probe again
    const failing: EventSink = { enqueue: () => Promise.reject(new Error('redis down')) };
    await expect(reportOverdueProbes({ pool: t.db.pool, events: failing })).rejects.toThrow('redis down');

    const sink = collector();
    expect(await reportOverdueProbes({ pool: t.db.pool, events: sink })).toBe(1);
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]).toMatchObject({
      type: 'probe.overdue',
      probe: { probeId: late.id, brandId: brand.id, campaignId: campaign.id, mailboxId: mailbox.id, normHours: 4 },
    });
    const event = sink.events[0]!;
    if (event.type !== 'probe.overdue') throw new Error('unexpected event');
    expect(event.probe.delayHours).toBeGreaterThanOrEqual(5);
    expect(new Date(event.occurredAt).getTime()).toBe(new Date(late.sentAt).getTime() + 4 * 3_600_000);

    expect(await reportOverdueProbes({ pool: t.db.pool, events: sink })).toBe(0);
    // a day later the 24 h norm has passed for both unanswered probes
    const tomorrow = () => new Date(Date.now() + 24 * 3_600_000);
    expect(await reportOverdueProbes({ pool: t.db.pool, events: sink, now: tomorrow })).toBe(3);
    const reported = sink.events.slice(1).map((e) => (e.type === 'probe.overdue' ? [e.probe.probeId, e.probe.normHours] : null));
    expect(reported).toEqual(expect.arrayContaining([[late.id, 24], [recent.id, 4], [recent.id, 24]]));
  });
});

describe('events from the API', () => {
  it('sends campaign.closed and reminder.sent (a reminder confirmed by hand) to the webhooks that asked', async () => {
    const hook = await api('POST', '/v1/webhooks', { url: `${receiver.url}/events`, secret: SECRET, events: ['campaign.closed', 'reminder.sent'] });
    const sector = await api('POST', '/v1/sectors', { name: 'Assurance' });
    const brand = await api('POST', '/v1/brands', { name: 'Assur Exemple', sectorId: sector.id, senderDomains: ['assur.example'] });
    const mailbox = await api('POST', '/v1/mailboxes', {
      label: 'Marie', address: 'marie.events@example.test', persona: { firstName: 'Marie', lastName: 'Dupont' },
      imap: { host: 'imap.example.test', port: 993, secure: true, user: 'marie', password: 'pw' },
    });
    const campaign = await api('POST', '/v1/campaigns', { name: 'Baromètre assurance', brandIds: [brand.id], reminder: { afterHours: 1, max: 1 } });
    await transitionCampaign(t.db.pool, campaign.id, ['draft'], 'running');
    const probe = await api('POST', '/v1/probes', { campaignId: campaign.id, brandId: brand.id, mailboxId: mailbox.id, channel: 'webform', recipient: 'https://assur.example/contact', sentAt: hoursAgo(2) });
    // the reminder row exists once the send-reminder job ran; here no worker runs it: make it due as the job would
    await t.db.pool.query("insert into reminders (probe_id, seq, due_at, status) values ($1, 1, now() - interval '1 hour', 'due')", [probe.id]);
    await api('POST', `/v1/probes/${probe.id}/reminders/1/confirm`, {});
    await api('POST', `/v1/campaigns/${campaign.id}/close`);

    const got = await receiver.waitFor(2);
    expect(got.every((d) => d.signatureValid)).toBe(true);
    const bodies = got.map((d) => JSON.parse(d.body));
    const reminder = bodies.find((b) => b.type === 'reminder.sent');
    const closed = bodies.find((b) => b.type === 'campaign.closed');
    expect(reminder).toMatchObject({ probe: { probeId: probe.id, brandId: brand.id, campaignId: campaign.id, reminderSeq: 1, brandName: 'Assur Exemple', campaignName: 'Baromètre assurance' } });
    expect(reminder.probe.delayHours).toBeGreaterThanOrEqual(2);
    expect(closed).toMatchObject({ campaign: { campaignId: campaign.id, name: 'Baromètre assurance', status: 'closed' } });
    // each attempt is recorded once the receiver answered: wait for the second record
    let deliveries = await api('GET', `/v1/webhooks/${hook.id}/deliveries`);
    for (let i = 0; i < 100 && deliveries.items.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      deliveries = await api('GET', `/v1/webhooks/${hook.id}/deliveries`);
    }
    expect(deliveries.items.map((d: { eventType: string }) => d.eventType).sort()).toEqual(['campaign.closed', 'reminder.sent']);
  });
});
