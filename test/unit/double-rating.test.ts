import { describe, expect, it } from 'vitest';
import {
  agreementByCriterion,
  arbitrationsRefused,
  criterionPairs,
  openDisputes,
  resolveCriterion,
  resolveRatings,
  type Grade,
} from '../../src/audit/double-rating.ts';
import { scoreReply, type CriterionId } from '../../src/audit/score.ts';

const T0 = Date.parse('2026-05-04T09:00:00Z');
/** A grade by rater `raterId`, given `minute` minutes after T0. */
const grade = (raterId: string, criterion: CriterionId, value: number, minute = 0): Grade => ({
  criterion,
  raterId,
  rater: `auditor ${raterId}`,
  value,
  comment: null,
  ratedAt: new Date(T0 + minute * 60_000),
  updatedAt: new Date(T0 + minute * 60_000),
});

describe('double rating', () => {
  it('pairs the first two raters of each criterion by time; a third one is left out', () => {
    const grades = [grade('c', 'logo', 0, 1), grade('a', 'logo', 20, 5), grade('b', 'logo', 20, 3), grade('a', 'signature', 10, 0)];
    const pairs = criterionPairs(grades);
    expect(pairs.get('logo')!.map((g) => g.raterId)).toEqual(['c', 'b']);
    expect(pairs.get('signature')!.map((g) => g.raterId)).toEqual(['a']);
  });

  it("resolves each criterion to the raters' agreed value, their mean, or the only rater's", () => {
    const grades = [
      grade('a', 'logo', 20), grade('b', 'logo', 20, 1),
      grade('a', 'signature', 20), grade('b', 'signature', 0, 1),
      grade('a', 'thanks', 15),
      grade('a', 'closing', 20), grade('b', 'closing', 20, 1), grade('c', 'closing', 0, 2),
    ];
    expect(resolveRatings(grades)).toEqual({
      logo: { value: 20, source: 'agreed' },
      signature: { value: 10, source: 'mean' },
      thanks: { value: 15, source: 'rater' },
      closing: { value: 20, source: 'agreed' },
    });
  });

  it('puts the arbitrated value first, then the raters, then the automatic value', () => {
    expect(resolveCriterion(4, { value: 10, source: 'mean' }, 20)).toEqual({ value: 4, source: 'arbitration' });
    expect(resolveCriterion(0, undefined, 20)).toEqual({ value: 0, source: 'arbitration' });
    expect(resolveCriterion(undefined, { value: 10, source: 'mean' }, 20)).toEqual({ value: 10, source: 'mean' });
    expect(resolveCriterion(null, undefined, null)).toEqual({ value: null, source: 'automatic' });
  });

  it('opens a dispute where the two raters disagree on presence, until an override settles it', () => {
    const grades = [
      grade('a', 'logo', 20), grade('b', 'logo', 0, 1),
      grade('a', 'signature', 20), grade('b', 'signature', 12, 1), // both say present
      grade('a', 'thanks', 0), grade('b', 'thanks', 20, 1), grade('c', 'thanks', 20, 2),
    ];
    expect(openDisputes(grades, new Set()).map((d) => [d.criterion, d.grades.map((g) => g.raterId)])).toEqual([
      ['logo', ['a', 'b']],
      ['thanks', ['a', 'b']],
    ]);
    expect(openDisputes(grades, new Set(['logo'])).map((d) => d.criterion)).toEqual(['thanks']);
  });

  it('refuses an arbitration by one of the two raters of the disputed criterion, and only that', () => {
    const grades = [grade('a', 'logo', 20), grade('b', 'logo', 0, 1), grade('a', 'signature', 20), grade('b', 'signature', 20, 1)];
    expect(arbitrationsRefused(grades, 'a', {}, { logo: 20 })).toEqual(['logo']);
    expect(arbitrationsRefused(grades, 'b', { logo: 20 }, {})).toEqual(['logo']); // removing the arbitration
    expect(arbitrationsRefused(grades, 'a', { logo: 20 }, { logo: 20, signature: 0 })).toEqual([]); // logo unchanged
    expect(arbitrationsRefused(grades, 'c', {}, { logo: 0 })).toEqual([]);
    expect(arbitrationsRefused(grades, null, {}, { logo: 0 })).toEqual([]);
  });

  it("measures each criterion's agreement over replies, one pair per reply", () => {
    // the worked example on signature, spread over four replies; a third rater on the first is left out
    const first = [20, 20, 0, 0];
    const second = [20, 0, 0, 0];
    const replies = first.map((value, i) => [grade('a', 'signature', value), grade('b', 'signature', second[i]!, 1), ...(i === 0 ? [grade('c', 'signature', 0, 2)] : [])]);
    replies.push([grade('a', 'logo', 20)]); // one rater: no pair
    const figures = agreementByCriterion(replies, ['signature', 'logo']);
    expect(figures).toEqual({
      signature: { pairs: 4, observed: 0.75, kappa: 0.5, disagreements: 1 },
      logo: { pairs: 0, observed: null, kappa: null, disagreements: 0 },
    });
  });

  it("scores with the raters' values and says where each criterion's value comes from", () => {
    const outcome = { delayHours: null };
    const rated = resolveRatings([grade('a', 'signature', 20), grade('b', 'signature', 0, 1), grade('a', 'logo', 20)]);
    const score = scoreReply(null, outcome, { logo: { value: 0, comment: 'aucun logo', by: 'c', at: '2026-05-04T10:00:00Z' } }, rated);
    const byId = Object.fromEntries(score.criteria.map((c) => [c.id, c]));
    expect(byId.signature).toMatchObject({ automatic: 0, value: 10, source: 'mean', override: null });
    expect(byId.logo).toMatchObject({ automatic: 0, value: 0, source: 'arbitration' });
    expect(byId.thanks).toMatchObject({ value: 0, source: 'automatic' });
    // never answered: everything 0 but the signature's mean, 10 × weight 3 / 20
    expect(score.parts.welcome.value).toBe(1.5);
    expect(score.note).toBe(1.5);
    expect(scoreReply(null, outcome).note).toBe(0);
  });
});
