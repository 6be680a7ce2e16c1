/** A rater's rating of a reply, as the API shows it: shared by the ratings and arbitrations routes. */
import { Type } from '@sinclair/typebox';
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

/** Grouping grades by rater lives with the other views of the double rating. */
export { presentRatings } from '../flow/rating-views.ts';
