/** The outcome of a probe as the API shows it: hours rounded to two decimals. */
import { Type } from '@sinclair/typebox';
import { roundHours } from '../audit/timing.ts';
import type { StoredOutcome } from '../db/outcomes.repo.ts';
import { Nullable, Timestamp } from './schemas.ts';

const Hours = Nullable(Type.Number({ description: 'hours, two decimals' }));

export const OutcomeSchema = Type.Object(
  {
    acknowledgedAt: Nullable(Timestamp),
    ackDelayHours: Hours,
    answeredAt: Nullable(Timestamp),
    delayHours: Hours,
    businessDelayHours: Hours,
    withinNorms: Type.Record(Type.String(), Type.Boolean(), { description: 'per norm in hours, e.g. {"4": true, "24": true}' }),
    remindersSent: Type.Integer(),
    answeredAfterReminder: Type.Boolean(),
    followUps: Type.Integer(),
    bounced: Type.Boolean(),
    score: Nullable(Type.Number({ description: 'out of 100' })),
    frozen: Type.Boolean({ description: 'the campaign is closed: these figures no longer change' }),
  },
  { $id: 'Outcome' },
);

const round = (hours: number | null) => (hours === null ? null : roundHours(hours));

export function presentOutcome(o: StoredOutcome) {
  return {
    acknowledgedAt: o.acknowledgedAt,
    ackDelayHours: round(o.ackDelayHours),
    answeredAt: o.answeredAt,
    delayHours: round(o.delayHours),
    businessDelayHours: round(o.businessDelayHours),
    withinNorms: o.withinNorms,
    remindersSent: o.remindersSent,
    answeredAfterReminder: o.answeredAfterReminder,
    followUps: o.followUps,
    bounced: o.bounced,
    score: o.score,
    frozen: o.frozen,
  };
}
