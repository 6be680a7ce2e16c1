import { describe, expect, it } from 'vitest';
import { meanInterval, meansDiffer, medianRanks, significanceGroups, standardDeviation, wilsonInterval } from '../../src/audit/confidence.ts';
import { brandPanel, sectorPanel } from '../../src/audit/panel.ts';

const round4 = (interval: [number, number] | null) => interval && interval.map((bound) => Math.round(bound * 10_000) / 10_000);

/** P(X ≤ k) for X ~ Bin(n, ½), exactly, with big integers: an independent check of the ranks. */
function binomialHalfCdf(n: number, k: number): number {
  let choose = 1n;
  let total = 0n;
  for (let i = 0; i <= k; i++) {
    total += choose;
    choose = (choose * BigInt(n - i)) / BigInt(i + 1);
  }
  // total / 2^n, to double precision
  const scale = 10n ** 18n;
  return Number((total * scale) / 2n ** BigInt(n)) / 1e18;
}

describe('Wilson score interval', () => {
  it('gives 6 answered out of 7 as [0.4869, 0.9743]', () => {
    // p = 6/7, z = 1.96: centre 0.73060, half-width 0.24372. (Issue 14 writes 0.9742 for the upper
    // bound; the exact value is 0.974320…, which rounds to 0.9743.)
    expect(round4(wilsonInterval(6, 7))).toEqual([0.4869, 0.9743]);
  });

  it('keeps a width at 0 % and 100 %, and stays inside 0..1', () => {
    // upper bound at 0 successes: z² / (n + z²)
    expect(round4(wilsonInterval(0, 10))).toEqual([0, 0.2775]);
    expect(round4(wilsonInterval(10, 10))).toEqual([0.7225, 1]);
    expect(round4(wilsonInterval(1, 3))).toEqual([0.0615, 0.7923]);
    expect(round4(wilsonInterval(50, 100))).toEqual([0.4038, 0.5962]);
  });

  it('is null without trials and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(() => wilsonInterval(4, 3)).toThrow(RangeError);
  });
});

describe('distribution-free interval of the median', () => {
  it('takes the order statistics of the published tables', () => {
    expect(medianRanks(5)).toBeNull();
    expect(medianRanks(6)).toEqual({ lower: 1, upper: 6 });
    expect(medianRanks(10)).toEqual({ lower: 2, upper: 9 });
    expect(medianRanks(20)).toEqual({ lower: 6, upper: 15 });
    expect(medianRanks(100)).toEqual({ lower: 40, upper: 61 });
  });

  it('takes the largest rank whose interval still covers 95 %, checked with exact big-integer binomials', () => {
    for (const n of [6, 7, 13, 50, 101, 1000]) {
      const ranks = medianRanks(n)!;
      expect(ranks.upper).toBe(n + 1 - ranks.lower);
      // P(lower ≤ X < upper) = 1 − 2 P(X ≤ lower − 1) ≥ 0.95, and one rank further in would not be
      expect(1 - 2 * binomialHalfCdf(n, ranks.lower - 1)).toBeGreaterThanOrEqual(0.95);
      expect(1 - 2 * binomialHalfCdf(n, ranks.lower)).toBeLessThan(0.95);
    }
  });

  it('copes with millions of values, close to the normal approximation', () => {
    const n = 1_000_000;
    const ranks = medianRanks(n)!;
    expect(Math.abs(ranks.lower - (n / 2 - 1.96 * Math.sqrt(n) / 2))).toBeLessThan(2);
  });
});

describe('mean notes', () => {
  it("gives Student's t interval", () => {
    // t(0.975, 9) = 2.2622: 50 ± 2.2622 × 10 / √10
    const [low, high] = meanInterval(10, 50, 10)!;
    expect(low).toBeCloseTo(42.8464, 3);
    expect(high).toBeCloseTo(57.1536, 3);
    expect(meanInterval(1, 50, 0)).toBeNull();
  });

  it('takes the standard deviation from the sums', () => {
    // 80, 40, 0: mean 40, deviations 40, 0, −40
    expect(standardDeviation(3, 120, 8000)).toBe(40);
    expect(standardDeviation(2, 140, 9800)).toBe(0);
    expect(standardDeviation(1, 90, 8100)).toBeNull();
  });

  it("tells two means apart by Welch's test at 5 %", () => {
    // t = 5 / √(2.5 + 2.5) = 2.236 on 18 degrees of freedom: p = 0.038
    expect(meansDiffer({ n: 10, mean: 80, sd: 5 }, { n: 10, mean: 75, sd: 5 })).toBe(true);
    // t = 1.342: p = 0.196
    expect(meansDiffer({ n: 10, mean: 80, sd: 5 }, { n: 10, mean: 77, sd: 5 })).toBe(false);
    // unequal spreads: 70 ± 20 over 5 against 50 ± 2 over 50: t = 2.22 on about 4 degrees of freedom, p = 0.09
    expect(meansDiffer({ n: 5, mean: 70, sd: 20 }, { n: 50, mean: 50, sd: 2 })).toBe(false);
    expect(meansDiffer({ n: 1, mean: 100, sd: 0 }, { n: 30, mean: 10, sd: 1 })).toBe(false);
    expect(meansDiffer({ n: 3, mean: 60, sd: 0 }, { n: 3, mean: 50, sd: 0 })).toBe(true);
    expect(meansDiffer({ n: 3, mean: 60, sd: 0 }, { n: 3, mean: 60, sd: 0 })).toBe(false);
  });

  it('groups a ranking walking down from the best, and lists each brand\'s ties', () => {
    const brand = (id: string, mean: number) => ({ id, n: 30, mean, sd: 10 });
    // standard error of a difference 2.58: 2 or 4 points apart are ties (t = 0.77, 1.55), 6 or more differ (t ≥ 2.32)
    const groups = significanceGroups([brand('A', 80), brand('B', 78), brand('C', 74), brand('D', 72), brand('E', 60)]);
    expect([...groups].map(([id, s]) => [id, s.group, s.tiedWith])).toEqual([
      ['A', 1, ['B']],
      // tied with A and with C, in A's group: C differs from A, so it opens group 2
      ['B', 1, ['A', 'C']],
      ['C', 2, ['B', 'D']],
      ['D', 2, ['C']],
      ['E', 3, []],
    ]);
  });
});

describe('panel sufficiency', () => {
  it('warns below the minimum, naming the numbers', () => {
    expect(brandPanel(30, 30)).toEqual({ panelSufficient: true, warnings: [] });
    const brand = brandPanel(12, 30);
    expect(brand.panelSufficient).toBe(false);
    expect(brand.warnings).toEqual([{ code: 'panel_too_small', detail: expect.stringMatching(/^12 probes .* the 30 the campaign asks for/) }]);
    expect(sectorPanel(1, 3).warnings[0]?.detail).toMatch(/^1 brand with probes in this sector, fewer than the 3/);
    expect(sectorPanel(3, 3).panelSufficient).toBe(true);
  });
});
