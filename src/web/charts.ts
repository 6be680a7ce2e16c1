/**
 * Charts drawn on the server as SVG by Apache ECharts' server-side renderer: no DOM, no
 * script in the page, and the same markup prints in the PDF. Each function returns `Html`
 * ready for a page (through `trustedHtml`: the markup is the library's, every label we give it
 * is escaped by its SVG writer).
 *
 * Counting the marks (for tests and for anyone reading the SVG): every bar of
 * `responseRateByBrandSvg` is a `<path data-mark="brand-rate" data-brand-id="…">`, one per
 * brand given, whatever its rate (a brand without a rate gets a flat grey bar labelled "—");
 * `delayHistogramSvg` draws `data-mark="delay-bucket"` bars, one per bucket; `weeklySeriesSvg`
 * draws `data-mark="week"` bars, one per week, under the response-rate line.
 */
import * as echarts from 'echarts';
import { escapeHtml, trustedHtml, type Html } from './html.ts';
import type { Formatter } from './format.ts';

export interface ChartOptions {
  /** What the chart shows, for its `<title>` and `aria-label`. */
  title: string;
  width?: number;
  height?: number;
}

const PALETTE = { bar: '#2f5d8a', muted: '#b8c0cc', line: '#c0392b', axis: '#4a4f57', grid: '#e1e4e8', text: '#1f2328' };
const FONT = { fontFamily: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', fontSize: 11, color: PALETTE.text };

let chartCounter = 0;

/**
 * Renders one ECharts option to SVG, then tags the marks of series 0 with `markOf(index)`
 * attributes, gives the chart a unique CSS class prefix (two charts on a page must not share
 * the hover rules ECharts writes) and an accessible name.
 */
function renderSvg(option: echarts.EChartsOption, opts: ChartOptions, marks: Array<{ series: number; attrs: (index: number) => Record<string, string> }>): Html {
  const width = opts.width ?? 720;
  const height = opts.height ?? 300;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  let svg: string;
  try {
    chart.setOption({ animation: false, textStyle: FONT, ...option });
    svg = chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
  const id = `c${++chartCounter}`;
  svg = svg.replace(/zr\d+-cls-/g, `zr-${id}-cls-`);
  for (const mark of marks) {
    svg = svg.replace(new RegExp(`ecmeta_series_index="${mark.series}" ecmeta_data_index="(\\d+)" ecmeta_ssr_type="chart"`, 'g'), (whole, index: string) => {
      const attrs = Object.entries(mark.attrs(Number(index)))
        .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
        .join('');
      return `${whole}${attrs}`;
    });
  }
  const label = escapeHtml(opts.title);
  svg = svg.replace(/^<svg /, `<svg role="img" aria-label="${label}" class="chart" `).replace(/(<svg[^>]*>)/, `$1<title>${label}</title>`);
  return trustedHtml(svg);
}

const axisLabel = { color: PALETTE.axis, fontFamily: FONT.fontFamily, fontSize: 10 };

export interface HistogramBucket {
  label: string;
  count: number;
  /** Shown greyed (the "no answer" bucket). */
  muted?: boolean;
}

/** Probes by delay of their first answer, one bar per bucket, each labelled with its count. */
export function delayHistogramSvg(buckets: readonly HistogramBucket[], opts: ChartOptions & { format: Formatter }): Html {
  return renderSvg(
    {
      grid: { left: 48, right: 16, top: 24, bottom: 36 },
      xAxis: { type: 'category', data: buckets.map((b) => b.label), axisLabel, axisLine: { lineStyle: { color: PALETTE.axis } } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { ...axisLabel, formatter: (v: number) => opts.format.number(v) }, splitLine: { lineStyle: { color: PALETTE.grid } } },
      series: [
        {
          type: 'bar',
          barMinHeight: 1,
          data: buckets.map((b) => ({ value: b.count, itemStyle: { color: b.muted ? PALETTE.muted : PALETTE.bar } })),
          label: { show: true, position: 'top', ...axisLabel, formatter: (p: { value: unknown }) => opts.format.number(Number(p.value)) },
        },
      ],
    },
    opts,
    [{ series: 0, attrs: (i) => ({ 'data-mark': 'delay-bucket', 'data-bucket': buckets[i]?.label ?? '' }) }],
  );
}

export interface BrandRate {
  brandId: string;
  brandName: string;
  /** 0..1, or null when the brand has no probe. */
  rate: number | null;
}

/** One bar per brand, in the order given, labelled with its percentage. */
export function responseRateByBrandSvg(rows: readonly BrandRate[], opts: ChartOptions & { format: Formatter }): Html {
  const height = opts.height ?? Math.max(160, 40 + rows.length * 24);
  return renderSvg(
    {
      grid: { left: 150, right: 56, top: 12, bottom: 28 },
      yAxis: {
        type: 'category',
        inverse: true,
        data: rows.map((r) => r.brandName),
        axisLabel: { ...axisLabel, width: 140, overflow: 'truncate' },
        axisLine: { lineStyle: { color: PALETTE.axis } },
      },
      xAxis: { type: 'value', min: 0, max: 1, axisLabel: { ...axisLabel, formatter: (v: number) => opts.format.percent(v) }, splitLine: { lineStyle: { color: PALETTE.grid } } },
      series: [
        {
          type: 'bar',
          barMinHeight: 2,
          barMaxWidth: 18,
          data: rows.map((r) => ({ value: r.rate ?? 0, itemStyle: { color: r.rate === null ? PALETTE.muted : PALETTE.bar } })),
          label: {
            show: true,
            position: 'right',
            ...axisLabel,
            formatter: (p: { dataIndex: number }) => opts.format.percent(rows[p.dataIndex]?.rate ?? null),
          },
        },
      ],
    },
    { ...opts, height },
    [{ series: 0, attrs: (i) => ({ 'data-mark': 'brand-rate', 'data-brand-id': rows[i]?.brandId ?? '' }) }],
  );
}

export interface WeekFigure {
  /** ISO week, `2026-W10`. */
  week: string;
  probes: number;
  /** Response rate after reminder, 0..1, or null. */
  rate: number | null;
  /** Median delay, hours, or null. */
  delayP50Hours: number | null;
}

/** Probes sent each week (bars, left axis) and the week's response rate (line, right axis). */
export function weeklySeriesSvg(
  weeks: readonly WeekFigure[],
  opts: ChartOptions & { format: Formatter; probesLabel: string; rateLabel: string },
): Html {
  return renderSvg(
    {
      grid: { left: 48, right: 56, top: 32, bottom: 36 },
      legend: { top: 0, textStyle: axisLabel, data: [opts.probesLabel, opts.rateLabel] },
      xAxis: { type: 'category', data: weeks.map((w) => w.week), axisLabel, axisLine: { lineStyle: { color: PALETTE.axis } } },
      yAxis: [
        { type: 'value', minInterval: 1, axisLabel: { ...axisLabel, formatter: (v: number) => opts.format.number(v) }, splitLine: { lineStyle: { color: PALETTE.grid } } },
        { type: 'value', min: 0, max: 1, axisLabel: { ...axisLabel, formatter: (v: number) => opts.format.percent(v) }, splitLine: { show: false } },
      ],
      series: [
        { name: opts.probesLabel, type: 'bar', barMinHeight: 1, data: weeks.map((w) => w.probes), itemStyle: { color: PALETTE.muted } },
        {
          name: opts.rateLabel,
          type: 'line',
          yAxisIndex: 1,
          data: weeks.map((w) => w.rate),
          itemStyle: { color: PALETTE.line },
          lineStyle: { color: PALETTE.line, width: 2 },
          connectNulls: false,
        },
      ],
    },
    opts,
    [{ series: 0, attrs: (i) => ({ 'data-mark': 'week', 'data-week': weeks[i]?.week ?? '' }) }],
  );
}
