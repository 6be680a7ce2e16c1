import { describe, expect, it } from 'vitest';
import { agreement, disagreeOnPresence, isPresent } from '../../src/audit/agreement.ts';

const pairs = (first: number[], second: number[]) => first.map((value, i) => [value, second[i]!] as const);

describe('agreement', () => {
  it("gives the issue's worked example: observed 0.75, kappa 0.5, one disagreement", () => {
    expect(agreement(pairs([20, 20, 0, 0], [20, 0, 0, 0]))).toEqual({ pairs: 4, observed: 0.75, kappa: 0.5, disagreements: 1 });
  });

  it('compares grades as present (> 10) or absent by default', () => {
    expect(isPresent(10)).toBe(false);
    expect(isPresent(10.5)).toBe(true);
    expect(disagreeOnPresence(12, 20)).toBe(false);
    expect(disagreeOnPresence(10, 11)).toBe(true);
    // 12 and 20, 0 and 10 agree on presence; po = 1, and the marginals are 1/2 each: pe = 0.5
    expect(agreement(pairs([12, 0, 20, 5], [20, 10, 15, 0]))).toEqual({ pairs: 4, observed: 1, kappa: 1, disagreements: 0 });
  });

  it('is -1 when the raters always say the opposite, 0 when they agree as chance would', () => {
    expect(agreement(pairs([20, 0], [0, 20]))).toMatchObject({ observed: 0, kappa: -1, disagreements: 2 });
    // present/absent by rater one: a a p p, by rater two: a p p a: po = 0.5, pe = 0.5
    expect(agreement(pairs([0, 10, 20, 20], [0, 20, 20, 10]))).toMatchObject({ observed: 0.5, kappa: 0, disagreements: 2 });
  });

  it('has no kappa when the expected agreement is 1, nor anything without pairs', () => {
    expect(agreement(pairs([20, 20, 20], [20, 15, 18]))).toEqual({ pairs: 3, observed: 1, kappa: null, disagreements: 0 });
    expect(agreement([])).toEqual({ pairs: 0, observed: null, kappa: null, disagreements: 0 });
    expect(agreement(pairs([7, 7], [7, 7]), { weighted: true })).toEqual({ pairs: 2, observed: 1, kappa: null, disagreements: 0 });
  });

  it('weights the raw grades linearly over the categories when asked', () => {
    // categories 0 < 10 < 20, weights 1 / 0.5 / 0; pairs (0,0) (10,20) (20,20) (20,10):
    // po = (1 + 0.5 + 1 + 0.5) / 4 = 0.75; both marginals are 1/4, 1/4, 1/2:
    // pe = 1/16 + 2 × 0.5/16 + 1/16 + 2 × 0.5/8 + 1/4 = 0.5625; kappa = 0.1875 / 0.4375 = 3/7
    expect(agreement(pairs([0, 10, 20, 20], [0, 20, 20, 10]), { weighted: true })).toEqual({
      pairs: 4,
      observed: 0.75,
      kappa: 0.4286,
      disagreements: 2,
    });
    // with two grades only, the weighted kappa is Cohen's own
    expect(agreement(pairs([20, 20, 0, 0], [20, 0, 0, 0]), { weighted: true })).toEqual({ pairs: 4, observed: 0.75, kappa: 0.5, disagreements: 1 });
  });
});
