/**
 * Webhooks end to end: the API keeps the secret write-only; an emitted event reaches a
 * local receiver signed, is retried with growing waits while the receiver fails, and
 * every attempt is listed; a hanging receiver times out; a webhook that did not ask for
 * an event type, or is disabled, gets nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId, type ProbeEvent, type WebhookEvent } from '../../src/audit/webhook-payload.ts';
import { webhookSecretContext } from '../../src/db/webhooks.repo.ts';
import { emitEvents } from '../../src/flow/events.ts';
import { createLogger } from '../../src/logger.ts';
import { queueEventSink, webhooksProcessor } from '../../src/queue/webhooks.job.ts';
import { startWorkers, type Workers } from '../../src/queue/worker.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createTestQueues, type TestQueues } from '../support/queues.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'whsec-test-0123456789abcdef';
const RETRY_BASE_MS = 300;
const logger = createLogger('silent');

let t: TestContext;
let q: TestQueues;
let workers: Workers;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  t = await createTestContext();
  q = createTestQueues();
  const processor = webhooksProcessor({
    db: t.db.pool,
    secretBox: t.secretBox,
    timeoutMs: 500,
    retryBaseMs: RETRY_BASE_MS,
    queue: q.queues.webhooks,
    logger,
  });
  workers = startWorkers({ connection: q.workerRedis, prefix: q.prefix, concurrency: 4, processors: { webhooks: processor }, logger });
});

afterAll(async () => {
  await workers?.close();
  for (const r of receivers) await r.close();
  await q?.close();
  await t?.close();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(SECRET);
  receivers.push(r);
  return r;
}

async function createWebhook(body: object) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: t.auth(), payload: { secret: SECRET, ...body } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

function probeEvent(type: 'answer.received' | 'probe.overdue', probeId = crypto.randomUUID()): ProbeEvent {
  return {
    id: eventId(type, probeId),
    type,
    occurredAt: new Date().toISOString(),
    probe: { probeId, brandId: crypto.randomUUID(), campaignId: crypto.randomUUID(), mailboxId: crypto.randomUUID(), sentAt: new Date(Date.now() - 7_200_000).toISOString(), delayHours: 2 },
  };
}

const emit = (...events: WebhookEvent[]) => emitEvents(queueEventSink(q.queues.webhooks), events, logger);

async function deliveries(id: string, query = '') {
  const res = await t.app.inject({ method: 'GET', url: `/v1/webhooks/${id}/deliveries${query}`, headers: t.auth() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in time: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhooks API', () => {
  it('creates, reads, patches and deletes; the secret is never returned and is sealed at rest', async () => {
    const created = await createWebhook({ url: 'https://hooks.example.test/sonde', events: ['answer.received', 'mailbox.failing'] });
    expect(created).toMatchObject({ url: 'https://hooks.example.test/sonde', events: ['answer.received', 'mailbox.failing'], enabled: true, format: 'json', consecutiveFailures: 0, lastDeliveryStatus: null });
    expect(JSON.stringify(created)).not.toContain(SECRET);
    expect(created).not.toHaveProperty('secret');

    const patched = await t.app.inject({ method: 'PATCH', url: `/v1/webhooks/${created.id}`, headers: t.auth(), payload: { enabled: false, format: 'slack', secret: 'another-secret-0123456789' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ enabled: false, format: 'slack' });
    expect(patched.body).not.toContain('another-secret');

    const { rows } = await t.db.pool.query<{ secret_enc: string }>('select secret_enc from webhooks where id = $1', [created.id]);
    expect(rows[0]!.secret_enc).toMatch(/^v2:/);
    expect(t.secretBox.open(rows[0]!.secret_enc, webhookSecretContext(created.id))).toBe('another-secret-0123456789');
    // bound to its row: it does not open as another webhook's secret
    expect(() => t.secretBox.open(rows[0]!.secret_enc, webhookSecretContext('00000000-0000-4000-8000-000000000000'))).toThrow();

    const list = await t.app.inject({ method: 'GET', url: '/v1/webhooks', headers: t.auth() });
    expect(list.json().items.map((w: { id: string }) => w.id)).toContain(created.id);
    expect(list.body).not.toContain('secret');

    expect((await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, headers: t.auth() })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `/v1/webhooks/${created.id}`, headers: t.auth() })).statusCode).toBe(404);
  });

  it('refuses a URL that is not http(s), an unknown event, a short secret, and non-admin keys', async () => {
    const post = (payload: object) => t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: t.auth(), payload: { secret: SECRET, url: 'https://x.example.test', events: ['answer.received'], ...payload } });
    expect((await post({ url: 'ftp://files.example.test/x' })).statusCode).toBe(422);
    expect((await post({ url: 'not a url' })).statusCode).toBe(400);
    expect((await post({ events: ['answer.lost'] })).statusCode).toBe(400);
    expect((await post({ events: [] })).statusCode).toBe(400);
    expect((await post({ secret: 'short' })).statusCode).toBe(400);
    const key = await t.app.inject({ method: 'POST', url: '/v1/keys', headers: t.auth(), payload: { label: 'auditrice', role: 'auditor' } });
    const auditor = key.json().key as string;
    expect((await t.app.inject({ method: 'GET', url: '/v1/webhooks', headers: t.auth(auditor) })).statusCode).toBe(403);
  });
});

describe('webhook deliveries', () => {
  it('delivers a signed event, retries with growing waits while the receiver fails, and lists every attempt', async () => {
    const r = await receiver();
    r.respond = (n) => (n <= 2 ? 503 : 200);
    const hook = await createWebhook({ url: `${r.url}/hook`, events: ['answer.received'] });
    const event = probeEvent('answer.received');
    await emit(event);

    const got = await r.waitFor(3);
    expect(got.map((d) => d.signatureValid)).toEqual([true, true, true]);
    const bodies = got.map((d) => JSON.parse(d.body));
    for (const body of bodies) {
      expect(body).toMatchObject({ id: event.id, type: 'answer.received', occurredAt: event.occurredAt, probe: { probeId: event.probe.probeId, delayHours: 2 } });
    }
    expect(got.map((d) => d.headers['x-sonde-attempt'])).toEqual(['1', '2', '3']);
    expect(got.every((d) => Math.abs(Number(d.headers['x-sonde-timestamp']) - d.at / 1000) < 5)).toBe(true);
    // BullMQ never runs a delayed job early: the waits are at least the schedule's
    const firstWait = got[1]!.at - got[0]!.at;
    const secondWait = got[2]!.at - got[1]!.at;
    expect(firstWait).toBeGreaterThanOrEqual(RETRY_BASE_MS - 20);
    expect(secondWait).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS - 20);

    const list = await until(() => deliveries(hook.id), (l) => l.items.length === 3);
    expect(list.items.map((d: { attempt: number; status: string; statusCode: number }) => [d.attempt, d.status, d.statusCode])).toEqual([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'delivered', 200],
    ]);
    expect(list.items[0].nextAttemptAt).not.toBeNull();
    expect(list.items[2].nextAttemptAt).toBeNull();
    expect(list.items.every((d: { eventId: string }) => d.eventId === event.id)).toBe(true);
    expect(list.items[0].error).toContain('503');

    const page = await deliveries(hook.id, '?limit=2');
    expect(page.items).toHaveLength(2);
    expect((await deliveries(hook.id, `?limit=2&cursor=${page.nextCursor}`)).items).toHaveLength(1);

    const shown = (await t.app.inject({ method: 'GET', url: `/v1/webhooks/${hook.id}`, headers: t.auth() })).json();
    expect(shown).toMatchObject({ lastDeliveryStatus: 'delivered', lastStatusCode: 200, consecutiveFailures: 0 });

    // the same event emitted again (a recompute run twice) is not delivered twice
    await emit(event);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.received).toHaveLength(3);
  });

  it('shows a receiver that stays down: failures counted, webhook still enabled, a timeout said as such', async () => {
    const r = await receiver();
    r.respond = () => 'hang';
    const hook = await createWebhook({ url: `${r.url}/down`, events: ['probe.overdue'] });
    await emit(probeEvent('probe.overdue'));
    const shown = await until(
      async () => (await t.app.inject({ method: 'GET', url: `/v1/webhooks/${hook.id}`, headers: t.auth() })).json(),
      (w) => w.consecutiveFailures >= 2,
    );
    expect(shown).toMatchObject({ enabled: true, lastDeliveryStatus: 'failed', lastStatusCode: null });
    expect(shown.lastError).toContain('timeout');
    const list = await deliveries(hook.id);
    expect(list.items[0]).toMatchObject({ status: 'failed', statusCode: null });
    expect(list.items[0].durationMs).toBeGreaterThanOrEqual(450);
  });

  it('sends nothing to a webhook that did not ask for the event type or is disabled; a slack webhook gets text', async () => {
    const r = await receiver();
    const other = await createWebhook({ url: `${r.url}/other`, events: ['campaign.closed'] });
    const off = await createWebhook({ url: `${r.url}/off`, events: ['answer.received'], enabled: false });
    const slack = await createWebhook({ url: `${r.url}/slack`, events: ['answer.received'], format: 'slack' });
    await emit(probeEvent('answer.received'));
    const [got] = await r.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.received.map((d) => d.path)).toEqual(['/slack']);
    const body = JSON.parse(got!.body);
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toMatch(/^Sonde: brand .* answered after 2\.0 h/);
    expect(got!.signatureValid).toBe(true);
    expect((await deliveries(other.id)).items).toEqual([]);
    expect((await deliveries(off.id)).items).toEqual([]);
    expect((await deliveries(slack.id)).items).toHaveLength(1);
  });
});
