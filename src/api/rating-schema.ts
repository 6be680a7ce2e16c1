/** A rater's rating of a reply, as the API shows it: shared by the ratings and arbitrations routes. */
import { Type } from '@sinclair/typebox';
import type { Grade } from '../audit/double-rating.ts';
import { Nullable, Timestamp, Uuid } from './schemas.ts';

const RatingGrade = Type.Object({
  value: Type.Number(),
  comment: Nullable(Type.String()),
  ratedAt: Timestamp,
  updatedAt: Timestamp,
});

export const Rating = Type.Object(
  {
    rater: Type.String({ description: "the rating key's label" }),
    raterKeyId: Uuid,
    mine: Type.Boolean({ description: "the caller's own rating" }),
    criteria: Type.Record(Type.String(), RatingGrade, { description: 'grades out of 20, criterion by criterion' }),
    ratedAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Rating' },
);

/** Groups grades by rater, first rater first. */
export function presentRatings(grades: readonly Grade[], callerKeyId: string | null) {
  const byRater = new Map<string, Grade[]>();
  for (const grade of grades) byRater.set(grade.raterId, [...(byRater.get(grade.raterId) ?? []), grade]);
  return [...byRater.values()]
    .map((own) => ({
      rater: own[0]!.rater,
      raterKeyId: own[0]!.raterId,
      mine: own[0]!.raterId === callerKeyId,
      criteria: Object.fromEntries(own.map((g) => [g.criterion, { value: g.value, comment: g.comment, ratedAt: g.ratedAt, updatedAt: g.updatedAt }])),
      ratedAt: new Date(Math.min(...own.map((g) => g.ratedAt.getTime()))),
      updatedAt: new Date(Math.max(...own.map((g) => g.updatedAt.getTime()))),
    }))
    .sort((a, b) => a.ratedAt.getTime() - b.ratedAt.getTime());
}

