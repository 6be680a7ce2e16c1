import { describe, expect, it } from 'vitest';
import { rankSector, type RankedBrand } from '../../src/db/ranking.repo.ts';
import { periodEdges } from '../../src/db/stats-filters.ts';
import { isoWeekLabel, weekGroups } from '../../src/db/stats-groups.ts';
import { joinFloat8s, metricsOf, percentilesCont, selectNth, type RollupPart } from '../../src/db/stats-metrics.ts';

/** Delays as PostgreSQL's float8send writes them. */
function float8s(...values: number[]): Buffer {
  const bytes = Buffer.alloc(values.length * 8);
  values.forEach((value, i) => bytes.writeDoubleBE(value, i * 8));
  return bytes;
}

function part(norms: number[], delays: number[], counts: Partial<RollupPart> = {}): RollupPart {
  return {
    norms,
    probes: delays.length,
    answered: delays.length,
    answeredBeforeReminder: 0,
    acknowledged: 0,
    followedUp: 0,
    analysed: 0,
    spellingChecked: 0,
    spellingWithErrors: 0,
    spellingErrors: 0,
    spellingWords: 0,
    withLogo: 0,
    withCharter: 0,
    withNamedSignature: 0,
    personalised: 0,
    scored: 0,
    scoreSum: 0,
    scoreSquareSum: 0,
    delays: float8s(...delays),
    businessDelays: float8s(),
    ...counts,
  };
}

describe('continuous percentiles', () => {
  it("interpolates between the two values around f × (n − 1), as PostgreSQL's percentile_cont", () => {
    // to the last bit: PostgreSQL gives {2.5,7.900000000000001,1,10} for these four values
    expect(percentilesCont(new Float64Array([10, 3, 1, 2]), [0.5, 0.9, 0, 1])).toEqual([2.5, 7.900000000000001, 1, 10]);
    expect(percentilesCont(new Float64Array([4.25]), [0.5, 0.9])).toEqual([4.25, 4.25]);
    expect(percentilesCont(new Float64Array([2, 2, 2, 5]), [0.5])).toEqual([2]);
    expect(percentilesCont(new Float64Array([]), [0.5])).toEqual([]);
  });

  it('selects the value sorting would put at each rank, whatever the order and the repeats', () => {
    let seed = 7;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const size of [1, 2, 3, 10, 101, 1000]) {
      const values = Float64Array.from({ length: size }, () => Math.round(next() * 50) / 2);
      const sorted = [...values].sort((a, b) => a - b);
      for (const nth of [0, Math.floor(size / 2), size - 1]) expect(selectNth(values.slice(), nth)).toBe(sorted[nth]);
    }
  });

  it('decodes big-endian float8 values and joins them in order', () => {
    expect([...joinFloat8s([float8s(1.5, 0.1), float8s(), float8s(1e-9)])]).toEqual([1.5, 0.1, 1e-9]);
    expect(() => joinFloat8s([Buffer.alloc(7)])).toThrow(RangeError);
  });
});

describe('metrics of a group', () => {
  it('rates each norm over the probes of the campaigns that have it', () => {
    // campaign A (norms 4, 24): 0.5 h, 6 h, unanswered; campaign B (norms 1, 4): 2 h
    const a = { ...part([4, 24], [0.5, 6]), probes: 3 };
    const metrics = metricsOf([a, part([1, 4], [2])], [1, 4, 24]);
    expect(metrics.withinNorm).toEqual({ '1': 0, '4': 2 / 4, '24': 2 / 3 });
    expect(metrics.delayHistogram).toEqual({ within1h: 1, from1To4h: 1, from4To24h: 1, from24To48h: 0, over48h: 0, noAnswer: 1 });
    expect(metrics).toMatchObject({ probes: 4, answered: 3, delayP50Hours: 2, delayMeanHours: 8.5 / 3 });
  });

  it('puts each bound in the bucket below it, as the norms count an answer in exactly 4 h within 4 h', () => {
    expect(metricsOf([part([4], [1, 4, 24, 48, 48.01])], [4]).delayHistogram).toEqual({
      within1h: 1, from1To4h: 1, from4To24h: 1, from24To48h: 1, over48h: 1, noAnswer: 0,
    });
  });

  it('gives null, never 0 or NaN, where nothing can be measured', () => {
    const metrics = metricsOf([], [4]);
    expect(metrics).toMatchObject({ probes: 0, responseRate: null, withinNorm: { '4': null }, delayP50Hours: null, delayMeanHours: null, followUpRate: null, scoreMean: null });
    expect(metricsOf([part([4], [], { probes: 2 })], [4])).toMatchObject({ responseRate: 0, followUpRate: null, errorsPer100Words: null, logoRate: null });
  });

  it('counts spelling over all the words checked, and the note over the probes with one', () => {
    const metrics = metricsOf(
      [part([4], [1], { analysed: 2, spellingChecked: 2, spellingWithErrors: 1, spellingErrors: 3, spellingWords: 200, withLogo: 1, scored: 2, scoreSum: 130 })],
      [4],
    );
    expect(metrics).toMatchObject({ spellingErrorRate: 0.5, errorsPer100Words: 1.5, logoRate: 0.5, scoreMean: 65 });
  });

  const round4 = (interval: [number, number] | null | undefined) => interval && interval.map((bound) => Math.round(bound * 10_000) / 10_000);

  it('gives every rate its Wilson interval over the same numerator and denominator', () => {
    // 7 probes, 6 answered (5 before the reminder), 6 within 24 h, 2 within 4 h; 4 of 5 analysed answers with the logo
    const metrics = metricsOf(
      [part([4, 24], [1, 3, 5, 6, 8, 20], { probes: 7, answeredBeforeReminder: 5, acknowledged: 0, followedUp: 6, analysed: 5, withLogo: 4 })],
      [4, 24],
    );
    expect(metrics.responseRateAfterReminder).toBe(6 / 7);
    expect(round4(metrics.responseRateAfterReminderCi95)).toEqual([0.4869, 0.9743]);
    expect(round4(metrics.responseRateCi95)).toEqual([0.3589, 0.9178]); // 5 of 7
    expect(round4(metrics.ackRateCi95)).toEqual([0, 0.3543]); // 0 of 7
    expect(round4(metrics.withinNormCi95['24'])).toEqual([0.4869, 0.9743]);
    expect(round4(metrics.withinNormCi95['4'])).toEqual([0.0822, 0.6411]); // 2 of 7
    expect(round4(metrics.followUpRateCi95)).toEqual([0.6097, 1]); // 6 of 6 answered
    expect(round4(metrics.logoRateCi95)).toEqual([0.3755, 0.9638]); // 4 of 5 analysed
    expect(metrics.spellingErrorRateCi95).toBeNull();
    expect(metricsOf([], [4])).toMatchObject({ responseRateCi95: null, withinNormCi95: { '4': null }, delayP50HoursCi95: null, scoreMeanCi95: null });
  });

  it("bounds the median delay by the order statistics, across parts, from 6 answers on", () => {
    // ten delays over two campaigns: the 2nd and the 9th smallest, 2 and 30 h
    const ten = metricsOf([part([4], [30, 1, 40, 5]), part([4], [3, 2, 8, 4, 10, 6])], [4]);
    expect(ten.delayP50Hours).toBe(5.5);
    expect(ten.delayP50HoursCi95).toEqual([2, 30]);
    // six: the smallest and the largest
    expect(metricsOf([part([4], [6, 5, 4, 3, 2, 1])], [4]).delayP50HoursCi95).toEqual([1, 6]);
    expect(metricsOf([part([4], [5, 4, 3, 2, 1])], [4]).delayP50HoursCi95).toBeNull();
  });

  it("gives the mean note its t interval, clipped to 0..100, and the notes' spread", () => {
    // notes 80, 40, 0: mean 40, s = 40, t(0.975, 2) = 4.3027, half-width 99.4
    const three = metricsOf([part([4], [], { scored: 3, scoreSum: 120, scoreSquareSum: 8000 })], [4]);
    expect(three).toMatchObject({ scoreMean: 40, scoreStdDev: 40, scoreMeanCi95: [0, 100] });
    // ten notes of mean 50, s = 10: 50 ± 7.15
    const ten = metricsOf([part([4], [], { scored: 10, scoreSum: 500, scoreSquareSum: 10 * 2500 + 9 * 100 })], [4]);
    expect(ten.scoreStdDev).toBeCloseTo(10, 10);
    expect(ten.scoreMeanCi95![0]).toBeCloseTo(42.8464, 3);
    expect(metricsOf([part([4], [], { scored: 1, scoreSum: 90, scoreSquareSum: 8100 })], [4])).toMatchObject({ scoreStdDev: null, scoreMeanCi95: null });
  });
});

describe('weeks', () => {
  const day = 24 * 3600 * 1000;
  const at = (iso: string) => new Date(iso);
  it('are cut by a period only within its first and last eight days, merged when they meet', () => {
    const from = at('2026-03-04T12:00:00Z');
    const to = at('2026-04-01T00:00:00Z');
    expect(periodEdges(from, to)).toEqual([
      { from, to: new Date(from.getTime() + 8 * day) },
      { from: new Date(to.getTime() - 8 * day), to },
    ]);
    expect(periodEdges(from, new Date(from.getTime() + 16 * day))).toEqual([{ from, to: new Date(from.getTime() + 16 * day) }]);
    expect(periodEdges(from, new Date(from.getTime() + 3 * day))).toEqual([{ from, to: new Date(from.getTime() + 3 * day) }]);
    expect(periodEdges(from, undefined)).toEqual([{ from, to: new Date(from.getTime() + 8 * day) }]);
    expect(periodEdges(undefined, to)).toEqual([{ from: new Date(to.getTime() - 8 * day), to }]);
    expect(periodEdges(undefined, undefined)).toEqual([]);
  });

  it('are labelled with the ISO week, whose year is that of its Thursday', () => {
    expect(isoWeekLabel('2026-03-02')).toBe('2026-W10');
    expect(isoWeekLabel('2024-12-30')).toBe('2025-W01');
    expect(isoWeekLabel('2020-12-28')).toBe('2020-W53');
    expect(isoWeekLabel('2021-01-04')).toBe('2021-W01');
  });

  it('run without a gap from the first to the last', () => {
    expect(weekGroups(['2026-03-23', '2026-03-02', '2026-03-02']).map((w) => w.key)).toEqual(['2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23']);
    expect(weekGroups([])).toEqual([]);
  });
});

describe('ranking within a sector', () => {
  const brand = (name: string, scoreMean: number | null): RankedBrand => ({
    rank: null,
    brand: { id: name, name },
    metrics: { ...metricsOf([], []), scoreMean },
    panel: { panelSufficient: true, warnings: [] },
    significanceGroup: null,
    tiedWith: [],
  });

  it('shares a rank between equal notes, skips the ranks they take, and puts brands without a note last', () => {
    const sector = rankSector({ id: 's', name: 'Banque' }, [brand('Delta', null), brand('Beta', 71.004), brand('Alpha', 71), brand('Gamma', 64.5)]);
    expect(sector.ranking.map((b) => [b.brand.name, b.rank])).toEqual([
      ['Alpha', 1],
      ['Beta', 1],
      ['Gamma', 3],
      ['Delta', null],
    ]);
    expect(sector.leader?.brand.name).toBe('Alpha');
    expect(sector.scoreMean).toBeCloseTo((71.004 + 71 + 64.5) / 3, 10);
  });

  it('shares a significance group between brands whose notes cannot be told apart, and checks the sector panel', () => {
    const noted = (name: string, scoreMean: number, probes: number): RankedBrand => {
      const b = brand(name, scoreMean);
      return { ...b, metrics: { ...b.metrics, probes, scoredProbes: probes, scoreStdDev: 10 } };
    };
    // 40 notes each, s = 10: 71 and 70 are ties (t = 0.45), 64 differs from 71 (t = 3.1)
    const sector = rankSector({ id: 's', name: 'Banque' }, [noted('Gamma', 64, 40), noted('Alpha', 71, 40), noted('Beta', 70, 40), brand('Delta', null)], 4);
    expect(sector.ranking.map((b) => [b.brand.name, b.rank, b.significanceGroup, b.tiedWith])).toEqual([
      ['Alpha', 1, 1, ['Beta']],
      ['Beta', 2, 1, ['Alpha']],
      ['Gamma', 3, 2, []],
      ['Delta', null, null, []],
    ]);
    // Delta has no probe: three brands audited, fewer than the four asked for
    expect(sector.brands).toBe(3);
    expect(sector.panel).toMatchObject({ panelSufficient: false, warnings: [{ code: 'panel_too_small' }] });
    expect(rankSector({ id: 's', name: 'Banque' }, [noted('Alpha', 71, 40)], 1).panel).toEqual({ panelSufficient: true, warnings: [] });
  });

  it('has no leader and no average when no brand has a note', () => {
    expect(rankSector({ id: 's', name: 'Banque' }, [brand('Alpha', null)])).toMatchObject({ scoreMean: null, leader: null });
  });
});
