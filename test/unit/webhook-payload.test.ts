import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  WEBHOOK_MAX_ATTEMPTS,
  eventId,
  renderBody,
  signBody,
  slackText,
  verifySignature,
  webhookRetryDelayMs,
  type WebhookEvent,
} from '../../src/audit/webhook-payload.ts';
import { emitEvents } from '../../src/flow/events.ts';
import { createLogger } from '../../src/logger.ts';

const answer: WebhookEvent = {
  id: eventId('answer.received', 'p1', 'r1'),
  type: 'answer.received',
  occurredAt: '2026-03-02T10:00:00.000Z',
  probe: { probeId: 'p1', brandId: 'b1', campaignId: 'c1', mailboxId: 'm1', sentAt: '2026-03-02T08:00:00.000Z', delayHours: 2, replyId: 'r1', brandName: 'Banque <Exemple> & Cie' },
};

describe('eventId', () => {
  it('is a UUID, stable for the same fact and different for another', () => {
    expect(eventId('answer.received', 'p1', 'r1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventId('answer.received', 'p1', 'r1')).toBe(eventId('answer.received', 'p1', 'r1'));
    expect(eventId('answer.received', 'p1', 'r2')).not.toBe(eventId('answer.received', 'p1', 'r1'));
  });
});

describe('renderBody', () => {
  it('sends the event itself as json', () => {
    expect(JSON.parse(renderBody(answer, 'json'))).toEqual(answer);
  });

  it('sends one escaped text line for Slack and Teams', () => {
    const body = JSON.parse(renderBody(answer, 'slack'));
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toBe('Sonde: Banque &lt;Exemple&gt; &amp; Cie answered after 2.0 h (campaign c1, probe p1)');
  });

  it('names the failing mailbox and its error', () => {
    const failing: WebhookEvent = {
      id: eventId('x'),
      type: 'mailbox.failing',
      occurredAt: '2026-03-02T10:00:00.000Z',
      mailbox: { mailboxId: 'm1', label: 'Marie', address: 'marie@example.test', channel: 'imap', error: 'login refused by the IMAP server' },
    };
    expect(slackText(failing)).toBe('Sonde: Marie &lt;marie@example.test&gt;: sync is failing: login refused by the IMAP server');
  });
});

describe('signature', () => {
  const body = renderBody(answer, 'json');
  it('is the HMAC-SHA256 of "<timestamp>.<body>" in hex', () => {
    const expected = createHmac('sha256', 'a-secret-of-16+chars').update(`1700000000.${body}`).digest('hex');
    expect(signBody('a-secret-of-16+chars', 1700000000, body)).toBe(`sha256=${expected}`);
  });

  it('verifies, and rejects another body, another secret, and an old timestamp', () => {
    const signature = signBody('a-secret-of-16+chars', 1700000000, body);
    const check = (over: Partial<Parameters<typeof verifySignature>[0]>) =>
      verifySignature({ secret: 'a-secret-of-16+chars', body, timestamp: '1700000000', signature, nowSeconds: 1700000010, ...over });
    expect(check({})).toBe(true);
    expect(check({ body: `${body} ` })).toBe(false);
    expect(check({ secret: 'another-secret-of-16' })).toBe(false);
    expect(check({ nowSeconds: 1700000000 + 301 })).toBe(false);
    expect(check({ timestamp: '1700000001' })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
  });
});

describe('webhookRetryDelayMs', () => {
  it('grows, then levels off, and retries for more than a day with the default base', () => {
    const base = 60_000;
    const waits: number[] = [];
    for (let attempt = 1; ; attempt++) {
      const wait = webhookRetryDelayMs(attempt, base);
      if (wait === null) break;
      waits.push(wait);
    }
    expect(waits).toHaveLength(WEBHOOK_MAX_ATTEMPTS - 1);
    expect(waits.slice(0, 4)).toEqual([60_000, 120_000, 240_000, 480_000]);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(Math.max(...waits)).toBe(6 * 3600_000);
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(24 * 3600_000);
  });
});

describe('emitEvents', () => {
  const logger = createLogger('silent');
  it('never throws when the queue fails', async () => {
    await expect(emitEvents({ enqueue: () => Promise.reject(new Error('redis down')) }, [answer], logger)).resolves.toBeUndefined();
  });
  it('does not wait on a queue that hangs', async () => {
    const started = Date.now();
    await emitEvents({ enqueue: () => new Promise(() => {}) }, [answer], logger);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
  it('hands the events to the sink', async () => {
    const seen: WebhookEvent[] = [];
    await emitEvents({ enqueue: async (events) => void seen.push(...events) }, [answer], logger);
    expect(seen).toEqual([answer]);
  });
});
