import { describe, expect, it } from 'vitest';
import { delayHistogramSvg, responseRateByBrandSvg, weeklySeriesSvg } from '../../../src/web/charts.ts';
import { createFormatter } from '../../../src/web/format.ts';

const format = createFormatter('fr', 'Europe/Paris');

describe('charts drawn as SVG on the server', () => {
  it('draws one countable bar per brand, a brand without a rate included, labelled as the report writes rates', () => {
    const rows = [
      { brandId: 'b1', brandName: 'Alpha <Co>', rate: 0.714 },
      { brandId: 'b2', brandName: 'Beta', rate: 0.25 },
      { brandId: 'b3', brandName: 'Gamma', rate: null },
    ];
    const svg = responseRateByBrandSvg(rows, { title: 'Taux de réponse', format }).value;
    expect(svg.startsWith('<svg role="img" aria-label="Taux de réponse"')).toBe(true);
    const marks = [...svg.matchAll(/<path[^>]*data-mark="brand-rate"[^>]*data-brand-id="([^"]+)"/g)].map((m) => m[1]);
    expect(marks).toEqual(['b1', 'b2', 'b3']);
    expect(svg).toContain('71,4');
    expect(svg).toContain('Alpha &lt;Co&gt;');
    expect(svg).not.toContain('<script');
  });

  it('draws one bar per delay bucket and one per week, with unique style classes per chart', () => {
    const buckets = [
      { label: '≤ 1 h', count: 3 },
      { label: '1–4 h', count: 0 },
      { label: 'Sans réponse', count: 2, muted: true },
    ];
    const a = delayHistogramSvg(buckets, { title: 'Délais', format }).value;
    expect(a.match(/data-mark="delay-bucket"/g)).toHaveLength(3);
    const b = weeklySeriesSvg(
      [
        { week: '2026-W10', probes: 4, rate: 0.5, delayP50Hours: 3 },
        { week: '2026-W11', probes: 6, rate: null, delayP50Hours: null },
      ],
      { title: 'Semaines', format, probesLabel: 'Sollicitations', rateLabel: 'Taux' },
    ).value;
    expect(b.match(/data-mark="week"/g)).toHaveLength(2);
    const classesOf = (svg: string) => new Set([...svg.matchAll(/class="(zr-[^"]+)"/g)].map((m) => m[1]));
    for (const name of classesOf(a)) expect(classesOf(b).has(name)).toBe(false);
  });
});
