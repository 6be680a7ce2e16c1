/**
 * The demo's last word: one row per brand from `GET /v1/stats?groupBy=brand` and the
 * campaign's ranking, and the table they print as. The rows are the figures themselves
 * (rates 0..1, hours), so a test checks numbers, and the table only formats them.
 */
import type { BehaviourName } from '../devtools/brand-behaviours.ts';
import type { ApiClient } from './api-client.ts';
import type { DemoBrand } from './demo-world.ts';

export interface DemoRow {
  brand: string;
  behaviour: BehaviourName;
  probes: number;
  /** Answered before any reminder / probes. */
  answered: number | null;
  /** Answered within 4 h / probes. */
  within4h: number | null;
  within24h: number | null;
  /** Answered at all, reminder or not / probes. */
  afterReminder: number | null;
  medianDelayHours: number | null;
  /** Spelling errors per 100 words of the answers. */
  errorsPer100Words: number | null;
  /** Answers showing the brand's logo / answers. */
  logoRate: number | null;
  /** Mean note out of 100, an unanswered probe scoring 0. */
  score: number | null;
  /** Within the sector, 1 for the best note. */
  rank: number | null;
}

interface StatsRow {
  group: { key: string | null };
  probes: number;
  responseRate: number | null;
  responseRateAfterReminder: number | null;
  withinNorm: Record<string, number | null>;
  delayP50Hours: number | null;
  errorsPer100Words: number | null;
  logoRate: number | null;
  scoreMean: number | null;
}

interface Ranking {
  sectors: { ranking: { brandId: string; rank: number | null }[] }[];
}

/** The campaign's figures per brand, best ranked first. */
export async function fetchResults(api: ApiClient, campaignId: string, brands: ReadonlyMap<string, DemoBrand>): Promise<DemoRow[]> {
  const [stats, ranking] = await Promise.all([
    api.get<{ rows: StatsRow[] }>(`/v1/stats?campaignId=${campaignId}&groupBy=brand`),
    api.get<Ranking>(`/v1/campaigns/${campaignId}/ranking`),
  ]);
  const ranks = new Map(ranking.sectors.flatMap((sector) => sector.ranking.map((r) => [r.brandId, r.rank] as const)));
  const rows = stats.rows.flatMap((row): DemoRow[] => {
    const brand = row.group.key === null ? undefined : brands.get(row.group.key);
    if (!brand || row.group.key === null) return [];
    return [
      {
        brand: brand.name,
        behaviour: brand.behaviour,
        probes: row.probes,
        answered: row.responseRate,
        within4h: row.withinNorm['4'] ?? null,
        within24h: row.withinNorm['24'] ?? null,
        afterReminder: row.responseRateAfterReminder,
        medianDelayHours: row.delayP50Hours,
        errorsPer100Words: row.errorsPer100Words,
        logoRate: row.logoRate,
        score: row.scoreMean,
        rank: ranks.get(row.group.key) ?? null,
      },
    ];
  });
  return rows.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.brand.localeCompare(b.brand, 'fr'));
}

type Align = 'left' | 'right';

const COLUMNS: ReadonlyArray<{ header: string; align: Align; cell: (row: DemoRow) => string }> = [
  { header: 'Brand', align: 'left', cell: (r) => r.brand },
  { header: 'Answered', align: 'right', cell: (r) => percent(r.answered) },
  { header: '≤ 4 h', align: 'right', cell: (r) => percent(r.within4h) },
  { header: '≤ 24 h', align: 'right', cell: (r) => percent(r.within24h) },
  { header: 'After reminder', align: 'right', cell: (r) => percent(r.afterReminder) },
  { header: 'Median delay', align: 'right', cell: (r) => (r.medianDelayHours === null ? '—' : `${r.medianDelayHours.toFixed(1)} h`) },
  { header: 'Spelling errors', align: 'right', cell: (r) => spelling(r.errorsPer100Words) },
  { header: 'Logo', align: 'left', cell: (r) => logo(r.logoRate) },
  { header: 'Score', align: 'right', cell: (r) => (r.score === null ? '—' : r.score.toFixed(1)) },
  { header: 'Rank', align: 'right', cell: (r) => (r.rank === null ? '—' : String(r.rank)) },
];

/** The rows as a table for a terminal: a header, a rule, one line per brand, then what the columns mean. */
export function formatTable(rows: readonly DemoRow[]): string[] {
  const cells = rows.map((row) => COLUMNS.map((column) => column.cell(row)));
  const widths = COLUMNS.map((column, i) => Math.max(column.header.length, ...cells.map((line) => (line[i] ?? '').length)));
  const render = (values: readonly string[]) =>
    values.map((value, i) => (COLUMNS[i]!.align === 'right' ? value.padStart(widths[i]!) : value.padEnd(widths[i]!))).join('  ').trimEnd();
  return [
    render(COLUMNS.map((column) => column.header)),
    widths.map((width) => '─'.repeat(width)).join('  '),
    ...cells.map(render),
    '',
    'Answered: before any reminder. After reminder: answered at all, the reminder going out 24 h after the probe.',
    'Rates are shares of the probes; delays from the probe to the first answer; score out of 100, ranked within the sector.',
  ];
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)} %`;
}

function spelling(per100Words: number | null): string {
  if (per100Words === null) return '—';
  return per100Words === 0 ? 'none' : `${per100Words.toFixed(1)} /100 words`;
}

function logo(rate: number | null): string {
  if (rate === null) return '—';
  return rate === 1 ? 'yes' : rate === 0 ? 'no' : percent(rate);
}
