import { describe, expect, it } from 'vitest';
import {
  computeOutcome,
  replyDelay,
  threadKinds,
  type OutcomeCampaign,
  type OutcomeReply,
  type ReplyKind,
} from '../../src/audit/outcome.ts';

/** A probe sent on Monday 24 March 2025 at 10:00 in Paris; replies are written as hours after it. */
const SENT_AT = new Date('2025-03-24T10:00:00+01:00');
const hoursAfter = (hours: number) => new Date(SENT_AT.getTime() + hours * 3_600_000);
const reply = (id: string, kind: ReplyKind, hours: number): OutcomeReply => ({ id, kind, receivedAt: hoursAfter(hours) });

const campaign: OutcomeCampaign = {
  norms: [4, 24],
  businessHours: { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' },
  timezone: 'Europe/Paris',
};
const probe = { sentAt: SENT_AT, reminders: [] };

describe('computeOutcome: delays against the norms', () => {
  it.each([
    [3, { '4': true, '24': true }],
    [5, { '4': false, '24': true }],
    [30, { '4': false, '24': false }],
  ])('an answer after %s h', (hours, norms) => {
    const outcome = computeOutcome(probe, [reply('r1', 'answer', hours)], campaign);
    expect(outcome.answeredAt).toEqual(hoursAfter(hours));
    expect(outcome.answerReplyId).toBe('r1');
    expect(outcome.delayHours).toBe(hours);
    expect(outcome.withinNorms).toEqual(norms);
  });

  it('gives business time beside calendar time', () => {
    // Monday 10:00 → Tuesday 16:00: 30 h on the calendar, 8 + 7 = 15 h of opening hours
    const outcome = computeOutcome(probe, [reply('r1', 'answer', 30)], campaign);
    expect(outcome.delayHours).toBe(30);
    expect(outcome.businessDelayHours).toBe(15);
  });

  it('measures business time in the campaign timezone', () => {
    const friday = { sentAt: new Date('2025-03-28T17:00:00+01:00'), reminders: [] };
    const monday: OutcomeReply = { id: 'r1', kind: 'answer', receivedAt: new Date('2025-03-31T10:00:00+02:00') };
    const outcome = computeOutcome(friday, [monday], campaign);
    expect(outcome.delayHours).toBe(64);
    expect(outcome.businessDelayHours).toBe(2);
    expect(outcome.withinNorms).toEqual({ '4': false, '24': false });
  });

  it('meets no norm and has no delay without an answer', () => {
    const outcome = computeOutcome(probe, [], campaign);
    expect(outcome).toMatchObject({
      answeredAt: null,
      answerReplyId: null,
      delayHours: null,
      businessDelayHours: null,
      withinNorms: { '4': false, '24': false },
      followUps: 0,
      bounced: false,
    });
  });
});

describe('computeOutcome: acknowledgements', () => {
  it('records an acknowledgement after 1 min and the answer after 6 h separately', () => {
    const outcome = computeOutcome(probe, [reply('ack', 'acknowledgement', 1 / 60), reply('r1', 'answer', 6)], campaign);
    expect(outcome.acknowledgedAt).toEqual(hoursAfter(1 / 60));
    expect(outcome.ackDelayHours).toBeCloseTo(1 / 60, 12);
    expect(outcome.answerReplyId).toBe('r1');
    expect(outcome.delayHours).toBe(6);
    expect(outcome.withinNorms).toEqual({ '4': false, '24': true });
  });

  it('never counts an acknowledgement as an answer', () => {
    const outcome = computeOutcome(probe, [reply('ack', 'acknowledgement', 0.5)], campaign);
    expect(outcome.acknowledgedAt).toEqual(hoursAfter(0.5));
    expect(outcome.answeredAt).toBeNull();
    expect(outcome.withinNorms).toEqual({ '4': false, '24': false });
  });

  it('never counts a bounce as an answer, and says the probe bounced', () => {
    const outcome = computeOutcome(probe, [reply('b1', 'bounce', 0.01)], campaign);
    expect(outcome.bounced).toBe(true);
    expect(outcome.answeredAt).toBeNull();
    expect(outcome.acknowledgedAt).toBeNull();
  });
});

describe('computeOutcome: reminders', () => {
  const reminded = { sentAt: SENT_AT, reminders: [{ sentAt: hoursAfter(24) }] };

  it('says an answer came after the reminder', () => {
    const outcome = computeOutcome(reminded, [reply('r1', 'answer', 30)], campaign);
    expect(outcome.remindersSent).toBe(1);
    expect(outcome.answeredAfterReminder).toBe(true);
    expect(outcome.delayHours).toBe(30);
  });

  it('does not when the answer came first', () => {
    const outcome = computeOutcome(reminded, [reply('r1', 'answer', 23.5)], campaign);
    expect(outcome.answeredAfterReminder).toBe(false);
  });

  it('does not when an acknowledgement alone came after the reminder', () => {
    const outcome = computeOutcome(reminded, [reply('ack', 'acknowledgement', 25)], campaign);
    expect(outcome.remindersSent).toBe(1);
    expect(outcome.answeredAfterReminder).toBe(false);
  });

  it('counts from the first of several reminders, in whatever order they come', () => {
    const twice = { sentAt: SENT_AT, reminders: [{ sentAt: hoursAfter(48) }, { sentAt: hoursAfter(24) }] };
    const outcome = computeOutcome(twice, [reply('r1', 'answer', 30)], campaign);
    expect(outcome.remindersSent).toBe(2);
    expect(outcome.answeredAfterReminder).toBe(true);
  });
});

describe('computeOutcome: follow-ups', () => {
  it('counts the brand messages after the first answer, whatever the classifier called them', () => {
    const replies = [
      reply('ack', 'acknowledgement', 0.1),
      reply('r1', 'answer', 5),
      reply('survey', 'acknowledgement', 6),
      reply('r2', 'answer', 26),
      reply('closing', 'follow_up', 50),
    ];
    const outcome = computeOutcome(probe, replies, campaign);
    expect(outcome.answerReplyId).toBe('r1');
    expect(outcome.acknowledgedAt).toEqual(hoursAfter(0.1));
    expect(outcome.followUps).toBe(3);
  });

  it('orders replies by arrival, not by the order given', () => {
    const outcome = computeOutcome(probe, [reply('late', 'answer', 40), reply('early', 'answer', 2)], campaign);
    expect(outcome.answerReplyId).toBe('early');
    expect(outcome.delayHours).toBe(2);
    expect(outcome.followUps).toBe(1);
  });

  it('counts no follow-up before any answer', () => {
    const outcome = computeOutcome(probe, [reply('f', 'follow_up', 2), reply('ack', 'acknowledgement', 3)], campaign);
    expect(outcome.followUps).toBe(0);
    expect(outcome.answeredAt).toBeNull();
  });
});

describe('computeOutcome: replies after the campaign closed', () => {
  const closed = { ...campaign, closedAt: hoursAfter(72) };

  it('leaves them out of the frozen figures and lists them', () => {
    const outcome = computeOutcome(probe, [reply('ack', 'acknowledgement', 1), reply('r1', 'answer', 80)], closed);
    expect(outcome.acknowledgedAt).toEqual(hoursAfter(1));
    expect(outcome.answeredAt).toBeNull();
    expect(outcome.delayHours).toBeNull();
    expect(outcome.lateReplyIds).toEqual(['r1']);
  });

  it('keeps an answer received before closing, and no late follow-up counts', () => {
    const replies = [reply('r1', 'answer', 10), reply('r2', 'answer', 100), reply('b', 'bounce', 90)];
    const outcome = computeOutcome(probe, replies, closed);
    expect(outcome.answerReplyId).toBe('r1');
    expect(outcome.followUps).toBe(0);
    expect(outcome.bounced).toBe(false);
    expect(outcome.lateReplyIds).toEqual(['b', 'r2']);
  });

  it('counts only the reminders sent before closing', () => {
    const reminded = { sentAt: SENT_AT, reminders: [{ sentAt: hoursAfter(24) }, { sentAt: hoursAfter(96) }] };
    expect(computeOutcome(reminded, [], closed).remindersSent).toBe(1);
  });

  it('lists nothing as late while the campaign runs', () => {
    expect(computeOutcome(probe, [reply('r1', 'answer', 500)], campaign).lateReplyIds).toEqual([]);
  });
});

describe('computeOutcome: odd clocks', () => {
  it('counts a reply stamped a little before the probe as immediate', () => {
    const outcome = computeOutcome(probe, [reply('ack', 'acknowledgement', -0.02), reply('r1', 'answer', -0.01)], campaign);
    expect(outcome.ackDelayHours).toBe(0);
    expect(outcome.delayHours).toBe(0);
    expect(outcome.businessDelayHours).toBe(0);
    expect(outcome.withinNorms).toEqual({ '4': true, '24': true });
  });

  it('has answers but no delays for a probe without a sending time', () => {
    const unsent = { sentAt: null, reminders: [] };
    const outcome = computeOutcome(unsent, [reply('r1', 'answer', 3)], campaign);
    expect(outcome.answerReplyId).toBe('r1');
    expect(outcome.delayHours).toBeNull();
    expect(outcome.businessDelayHours).toBeNull();
    expect(outcome.withinNorms).toEqual({ '4': false, '24': false });
  });
});

describe('threadKinds', () => {
  it('makes every answer and acknowledgement after the first answer a follow-up', () => {
    const kinds = threadKinds([
      { id: 'ack', kind: 'acknowledgement' },
      { id: 'r1', kind: 'answer' },
      { id: 'survey', kind: 'acknowledgement' },
      { id: 'r2', kind: 'answer' },
      { id: 'b', kind: 'bounce' },
      { id: 'u', kind: 'unknown' },
    ]);
    expect(Object.fromEntries(kinds)).toEqual({
      ack: 'acknowledgement',
      r1: 'answer',
      survey: 'follow_up',
      r2: 'follow_up',
      b: 'bounce',
      u: 'unknown',
    });
  });

  it('leaves acknowledgements alone while nothing is answered', () => {
    const kinds = threadKinds([
      { id: 'a1', kind: 'acknowledgement' },
      { id: 'a2', kind: 'acknowledgement' },
    ]);
    expect([...kinds.values()]).toEqual(['acknowledgement', 'acknowledgement']);
  });
});

describe('replyDelay: one reply, as the outcome and the reply figures both count it', () => {
  it('counts calendar and business hours from the probe', () => {
    // Monday 10:00 to Tuesday 11:00 in Paris: 25 calendar hours, 8 + 2 business hours (09:00-18:00)
    expect(replyDelay(SENT_AT, hoursAfter(25), campaign)).toEqual({ delayHours: 25, businessDelayHours: 10 });
  });
  it('takes a reply stamped before the probe for immediate, and has nothing to count before the probe went out', () => {
    expect(replyDelay(SENT_AT, hoursAfter(-0.5), campaign).delayHours).toBe(0);
    expect(replyDelay(null, hoursAfter(2), campaign)).toEqual({ delayHours: null, businessDelayHours: null });
  });
  it('gives the answer the delay its outcome records', () => {
    const outcome = computeOutcome(probe, [reply('a', 'acknowledgement', 0.1), reply('r', 'answer', 30)], campaign);
    expect(replyDelay(SENT_AT, hoursAfter(30), campaign)).toEqual({ delayHours: outcome.delayHours, businessDelayHours: outcome.businessDelayHours });
    expect(replyDelay(SENT_AT, hoursAfter(0.1), campaign).delayHours).toBe(outcome.ackDelayHours);
  });
});
