import { describe, expect, it } from 'vitest';
import { FUTURE_SLACK_MS, checkHeldResolution, isRefusal, type HeldSendContext } from '../../src/audit/held-resolution.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const open: HeldSendContext = { notBefore: new Date('2026-03-02T08:00:00Z'), notBeforeWhat: 'the probe was created', campaignClosed: false };
const closed: HeldSendContext = { ...open, campaignClosed: true };

describe('checkHeldResolution', () => {
  it('accepts "sent" with a time between the probe and now, read with its offset', () => {
    expect(checkHeldResolution({ resolution: 'sent', sentAt: '2026-03-03T10:12:00+01:00', note: '  from the log ' }, open, NOW)).toEqual({
      resolution: 'sent',
      sentAt: new Date('2026-03-03T09:12:00Z'),
      note: 'from the log',
    });
    // a clock a little ahead of ours is taken as now; more is the future
    expect(isRefusal(checkHeldResolution({ resolution: 'sent', sentAt: new Date(NOW.getTime() + FUTURE_SLACK_MS) }, open, NOW))).toBe(false);
    const future = checkHeldResolution({ resolution: 'sent', sentAt: new Date(NOW.getTime() + FUTURE_SLACK_MS + 1000) }, open, NOW);
    expect(future).toMatchObject({ status: 422, errors: [{ field: 'body/sentAt', message: expect.stringMatching(/in the future/) }] });
  });

  it('refuses a time before what it follows, naming it', () => {
    const early = checkHeldResolution({ resolution: 'sent', sentAt: '2026-03-02T07:59:59Z' }, open, NOW);
    expect(early).toMatchObject({ status: 422, detail: expect.stringContaining('before the probe was created (2026-03-02T08:00:00.000Z)') });
    expect(isRefusal(checkHeldResolution({ resolution: 'sent', sentAt: '2026-03-02T08:00:00Z' }, open, NOW))).toBe(false);
  });

  it('asks for what each resolution needs, and nothing else (400)', () => {
    expect(checkHeldResolution({ resolution: 'sent' }, open, NOW)).toMatchObject({ status: 400, errors: [{ field: 'body/sentAt' }] });
    expect(checkHeldResolution({ resolution: 'not_sent', sentAt: '2026-03-03T10:00:00Z' }, open, NOW)).toMatchObject({ status: 400, errors: [{ field: 'body/sentAt' }] });
    expect(checkHeldResolution({ resolution: 'failed', note: '   ' }, open, NOW)).toMatchObject({ status: 400, errors: [{ field: 'body/note' }] });
    expect(checkHeldResolution({ resolution: 'sent', sentAt: 'yesterday' }, open, NOW)).toMatchObject({ status: 400 });
    expect(checkHeldResolution({ resolution: 'failed', note: 'never arrived' }, closed, NOW)).toEqual({ resolution: 'failed', sentAt: null, note: 'never arrived' });
  });

  it('sends nothing again for a closed campaign (409), but records it sent or failed', () => {
    expect(checkHeldResolution({ resolution: 'not_sent' }, closed, NOW)).toMatchObject({ status: 409, detail: expect.stringMatching(/closed/) });
    expect(checkHeldResolution({ resolution: 'not_sent' }, open, NOW)).toEqual({ resolution: 'not_sent', sentAt: null, note: null });
    expect(isRefusal(checkHeldResolution({ resolution: 'sent', sentAt: '2026-03-03T10:00:00Z' }, closed, NOW))).toBe(false);
  });
});
