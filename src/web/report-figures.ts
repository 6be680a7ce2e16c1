/**
 * The report's figures, shown as the API shows them: the same statistics rows, rounded by the
 * same `presentMetrics` as `/v1/stats`, then formatted for people by `format.ts`.
 */
import { presentMetrics } from '../flow/present-metrics.ts';
import type { StatsMetrics } from '../db/stats.repo.ts';
import type { Formatter } from './format.ts';
import { html, type Html } from './html.ts';
import type { ReportMessages } from './i18n.ts';

/** A note as the API shows it (two decimals), before formatting. */
export const shownNote = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

export interface FigureLine {
  label: string;
  value: (m: StatsMetrics) => string;
}

/** The headline figures, in the order the report gives them. */
export function figureLines(msg: ReportMessages, f: Formatter, norms: readonly number[]): FigureLine[] {
  const shown = (read: (m: StatsMetrics) => string) => (m: StatsMetrics) => read(presentMetrics(m));
  return [
    { label: msg.probes, value: shown((m) => f.number(m.probes)) },
    { label: msg.answered, value: shown((m) => f.number(m.answered)) },
    { label: msg.responseRate, value: shown((m) => f.percent(m.responseRate)) },
    { label: msg.responseRateAfterReminder, value: shown((m) => f.percent(m.responseRateAfterReminder)) },
    ...norms.map((norm) => ({ label: msg.normWithin(f.hours(norm)), value: shown((m) => f.percent(m.withinNorm[String(norm)] ?? null)) })),
    { label: msg.delayP50, value: shown((m) => f.hours(m.delayP50Hours)) },
    { label: msg.delayP90, value: shown((m) => f.hours(m.delayP90Hours)) },
    { label: msg.businessDelayP50, value: shown((m) => f.hours(m.businessDelayP50Hours)) },
    { label: msg.ackRate, value: shown((m) => f.percent(m.ackRate)) },
    { label: msg.followUpRate, value: shown((m) => f.percent(m.followUpRate)) },
    { label: msg.spellingErrorRate, value: shown((m) => f.percent(m.spellingErrorRate)) },
    { label: msg.logoRate, value: shown((m) => f.percent(m.logoRate)) },
    { label: msg.charterRate, value: shown((m) => f.percent(m.charterRate)) },
    { label: msg.signatureRate, value: shown((m) => f.percent(m.signatureRate)) },
    { label: msg.personalisedRate, value: shown((m) => f.percent(m.personalisedRate)) },
    { label: msg.scoreMean, value: shown((m) => f.note(m.scoreMean)) },
  ];
}

/** A table of figures, one column per set (the brand, its sector...). */
export function figuresTable(lines: readonly FigureLine[], columns: ReadonlyArray<{ title: string; metrics: StatsMetrics | null }>, figureTitle: string): Html {
  return html`<table class="figures">
    <thead><tr><th>${figureTitle}</th>${columns.map((c) => html`<th class="num">${c.title}</th>`)}</tr></thead>
    <tbody>${lines.map(
      (line) => html`<tr><td>${line.label}</td>${columns.map((c) => html`<td class="num">${c.metrics ? line.value(c.metrics) : '—'}</td>`)}</tr>`,
    )}</tbody>
  </table>`;
}
