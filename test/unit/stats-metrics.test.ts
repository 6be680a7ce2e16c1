import { describe, expect, it } from 'vitest';
import { rankSector, type RankedBrand } from '../../src/db/ranking.repo.ts';
import { weekStart } from '../../src/db/stats-filters.ts';
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
});

describe('weeks', () => {
  it('start on Monday 00:00 UTC', () => {
    expect(weekStart(new Date('2026-03-08T23:59:59.999Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(weekStart(new Date('2026-03-09T00:00:00Z')).toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(weekStart(new Date('1969-12-31T12:00:00Z')).toISOString()).toBe('1969-12-29T00:00:00.000Z');
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

  it('has no leader and no average when no brand has a note', () => {
    expect(rankSector({ id: 's', name: 'Banque' }, [brand('Alpha', null)])).toMatchObject({ scoreMean: null, leader: null });
  });
});
