import { describe, expect, it } from 'vitest';
import { campaignClosedEvent, mailboxTransitionEvent, outcomeEvents, probeOverdueEvent, reminderSentEvent } from '../../src/audit/webhook-events.ts';

const keys = { probeId: 'p1', brandId: 'b1', campaignId: 'c1', mailboxId: 'm1', sentAt: new Date('2026-03-02T08:00:00Z') };
const none = { answerReplyId: null, answeredAt: null, delayHours: null, businessDelayHours: null, acknowledgedAt: null, ackDelayHours: null };
const answered = { ...none, answerReplyId: 'r1', answeredAt: new Date('2026-03-02T11:30:00Z'), delayHours: 3.5, businessDelayHours: 3.5 };

describe('outcomeEvents', () => {
  it('reports a new first answer once', () => {
    const [event, ...rest] = outcomeEvents(keys, { before: { answerReplyId: null, acknowledgedAt: null }, after: answered });
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ type: 'answer.received', occurredAt: '2026-03-02T11:30:00.000Z', probe: { probeId: 'p1', brandId: 'b1', campaignId: 'c1', replyId: 'r1', delayHours: 3.5, sentAt: '2026-03-02T08:00:00.000Z' } });
    expect(outcomeEvents(keys, { before: { answerReplyId: 'r1', acknowledgedAt: null }, after: answered })).toEqual([]);
  });

  it('reports another reply becoming the answer, with its own id', () => {
    const first = outcomeEvents(keys, { before: null, after: answered })[0]!;
    const second = outcomeEvents(keys, { before: { answerReplyId: 'r1', acknowledgedAt: null }, after: { ...answered, answerReplyId: 'r0' } })[0]!;
    expect(second.type).toBe('answer.received');
    expect(second.id).not.toBe(first.id);
  });

  it('reports a first acknowledgement, not a later one, and nothing when nothing came', () => {
    const acked = { ...none, acknowledgedAt: new Date('2026-03-02T08:01:00Z'), ackDelayHours: 0.0166 };
    expect(outcomeEvents(keys, { before: null, after: acked }).map((e) => [e.type, e.probe.delayHours])).toEqual([['acknowledgement.received', 0.02]]);
    expect(outcomeEvents(keys, { before: { answerReplyId: null, acknowledgedAt: acked.acknowledgedAt }, after: acked })).toEqual([]);
    expect(outcomeEvents(keys, { before: null, after: none })).toEqual([]);
  });
});

describe('other events', () => {
  it('reminder.sent carries the hours since the probe and a stable id per reminder', () => {
    const e = reminderSentEvent(keys, 1, new Date('2026-03-03T08:00:00Z'));
    expect(e.probe).toMatchObject({ reminderSeq: 1, delayHours: 24 });
    expect(reminderSentEvent(keys, 1, new Date()).id).toBe(e.id);
    expect(reminderSentEvent(keys, 2, new Date()).id).not.toBe(e.id);
  });

  it('probe.overdue happens at the norm', () => {
    const e = probeOverdueEvent({ ...keys, sentAt: keys.sentAt }, 4, new Date('2026-03-02T12:06:00Z'));
    expect(e).toMatchObject({ type: 'probe.overdue', occurredAt: '2026-03-02T12:00:00.000Z', probe: { normHours: 4, delayHours: 4.1 } });
  });

  it('mailbox events only on a transition', () => {
    const at = new Date('2026-03-02T10:00:00Z');
    expect(mailboxTransitionEvent('m1', 'imap', { wasFailing: false, error: 'login refused' }, at)).toMatchObject({ type: 'mailbox.failing', mailbox: { mailboxId: 'm1', channel: 'imap', error: 'login refused' } });
    expect(mailboxTransitionEvent('m1', 'imap', { wasFailing: true, error: 'login refused' }, at)).toBeNull();
    expect(mailboxTransitionEvent('m1', 'smtp', { wasFailing: true, error: null }, at)).toMatchObject({ type: 'mailbox.recovered', mailbox: { channel: 'smtp', error: null } });
    expect(mailboxTransitionEvent('m1', 'smtp', { wasFailing: false, error: null }, at)).toBeNull();
  });

  it('campaign.closed', () => {
    expect(campaignClosedEvent({ id: 'c1', status: 'closed', closedAt: new Date('2026-04-01T00:00:00Z') })).toMatchObject({ type: 'campaign.closed', campaign: { campaignId: 'c1', status: 'closed' } });
  });
});
