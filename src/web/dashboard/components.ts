/** Pieces shared by the dashboard's pages: figures, badges, periods. */
import { roundHours } from '../../audit/timing.ts';
import type { Campaign } from '../../db/campaigns.repo.ts';
import type { StatsMetrics } from '../../db/stats.repo.ts';
import { html, type Html } from '../html.ts';
import type { PageContext } from './context.ts';

type Kind = 'count' | 'rate' | 'hours' | 'note';

/** A figure as `/v1/stats` gives it (hours and notes to two decimals), for `data-value`. */
export function apiValue(kind: Kind, value: number | null): number | null {
  if (value === null) return null;
  if (kind === 'hours') return roundHours(value);
  if (kind === 'note') return Math.round(value * 100) / 100;
  return value;
}

export function formatted(ctx: PageContext, kind: Kind, value: number | null): string {
  if (kind === 'rate') return ctx.fmt.percent(value);
  if (kind === 'hours') return ctx.fmt.hours(value);
  if (kind === 'note') return ctx.fmt.number(value, 1);
  return ctx.fmt.number(value);
}

/**
 * A figure in a cell or a list: the text for people, and the API's value in `data-metric` and
 * `data-value`, so that anyone (the browser tests too) can compare the page with `/v1/stats`.
 */
export function figure(ctx: PageContext, metric: string, kind: Kind, value: number | null): Html {
  const raw = apiValue(kind, value);
  return html`<span data-metric="${metric}" data-value="${raw === null ? 'null' : String(raw)}">${formatted(ctx, kind, value)}</span>`;
}

/** The headline figures of a scope, in a definition list. */
export function headlineFigures(ctx: PageContext, m: StatsMetrics, norms: readonly number[]): Html {
  const t = ctx.t.metrics;
  const items: Array<[string, string, Kind, number | null]> = [
    [t.probes, 'probes', 'count', m.probes],
    [t.answered, 'answered', 'count', m.answered],
    [t.responseRate, 'responseRate', 'rate', m.responseRate],
    [t.responseRateAfterReminder, 'responseRateAfterReminder', 'rate', m.responseRateAfterReminder],
    ...norms.map((norm): [string, string, Kind, number | null] => [t.withinNorm(normLabel(ctx, norm)), `withinNorm.${norm}`, 'rate', m.withinNorm[String(norm)] ?? null]),
    [t.delayP50Hours, 'delayP50Hours', 'hours', m.delayP50Hours],
    [t.delayP90Hours, 'delayP90Hours', 'hours', m.delayP90Hours],
    [t.ackRate, 'ackRate', 'rate', m.ackRate],
    [t.followUpRate, 'followUpRate', 'rate', m.followUpRate],
    [t.spellingErrorRate, 'spellingErrorRate', 'rate', m.spellingErrorRate],
    [t.logoRate, 'logoRate', 'rate', m.logoRate],
    [t.charterRate, 'charterRate', 'rate', m.charterRate],
    [t.signatureRate, 'signatureRate', 'rate', m.signatureRate],
    [t.scoreMean, 'scoreMean', 'note', m.scoreMean],
  ];
  return html`<dl class="figures">
    ${items.map(([label, metric, kind, value]) => html`<div><dt>${label}</dt><dd>${figure(ctx, metric, kind, value)}</dd></div>`)}
  </dl>`;
}

export function statusBadge(ctx: PageContext, status: string): Html {
  return html`<span class="status ${status}">${ctx.t.status[status] ?? status}</span>`;
}

export function period(ctx: PageContext, campaign: Pick<Campaign, 'startsAt' | 'endsAt'>): string {
  if (!campaign.startsAt && !campaign.endsAt) return ctx.t.none;
  return ctx.t.campaign.period(ctx.fmt.date(campaign.startsAt), ctx.fmt.date(campaign.endsAt));
}

/** A page's query string from its filters, empty ones left out. */
export function queryString(filters: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A norm as people say it: "4 h", "0,05 h". */
export const normLabel = (ctx: PageContext, hours: number) => `${ctx.fmt.number(hours, Number.isInteger(hours) ? 0 : 2)}\u00a0h`;
