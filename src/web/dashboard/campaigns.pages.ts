/**
 * `/`: the campaigns, with their status, period, probes sent of planned, response rate and
 * median delay. `/campaigns/:id`: one campaign's headline figures, charts, ranking by sector
 * and each brand's figures, narrowed by the filters in the URL (`sectorId`, `from`, `to`) so a
 * page can be shared. The figures are those of `/v1/stats` and `/v1/campaigns/:id/ranking`:
 * the same repository functions compute them. Its raters' agreement per criterion is that of
 * `/v1/campaigns/:id/agreement` (`src/flow/rating-views.ts`). Sends held for review (an
 * interrupted send with no copy in the Sent folder) get a notice at the top and a list.
 */
import type { FastifyPluginAsync } from 'fastify';
import { DateTime } from 'luxon';
import { findCampaign, listCampaigns } from '../../db/campaigns.repo.ts';
import { computeRanking, type SectorRanking } from '../../db/ranking.repo.ts';
import { listSectors } from '../../db/sectors.repo.ts';
import { listHeldSends } from '../../db/held-sends.repo.ts';
import { computeStats, type StatsFilter } from '../../db/stats.repo.ts';
import { campaignAgreement } from '../../flow/rating-views.ts';
import type { Agreement } from '../../audit/agreement.ts';
import { delayHistogramSvg, responseRateByBrandSvg, weeklySeriesSvg } from '../charts.ts';
import { html, type Html } from '../html.ts';
import { t as reportStrings } from '../i18n.ts';
import { cachedChart } from './chart-cache.ts';
import { DAY, UUID, figure, headlineFigures, normLabel, period, queryString, statusBadge } from './components.ts';
import { pageContext, type PageContext } from './context.ts';
import { renderPage } from './layout.ts';
import { heldNotice, heldSection } from './held.view.ts';
import type { PageDeps } from './plugin.ts';
import { WebError } from './web-error.ts';

export interface CampaignFilters {
  sectorId?: string | undefined;
  /** `YYYY-MM-DD`, in the campaign's timezone: probes sent from that day on. */
  from?: string | undefined;
  /** `YYYY-MM-DD`: probes sent before that day. */
  to?: string | undefined;
}

/** The filters of a campaign page, checked; a malformed one is a 400, not a silent whole campaign. */
export function parseFilters(query: Record<string, unknown>): CampaignFilters {
  const text = (name: string) => (typeof query[name] === 'string' && query[name] !== '' ? (query[name] as string) : undefined);
  const filters: CampaignFilters = { sectorId: text('sectorId'), from: text('from'), to: text('to') };
  if (filters.sectorId && !UUID.test(filters.sectorId)) throw new WebError(400, 'sectorId must be an id');
  for (const day of [filters.from, filters.to]) if (day && !(DAY.test(day) && DateTime.fromISO(day).isValid)) throw new WebError(400, 'from and to are days');
  return filters;
}

export function statsFilter(campaignId: string, filters: CampaignFilters, timeZone: string): StatsFilter {
  const day = (value: string | undefined) => (value ? DateTime.fromISO(value, { zone: timeZone }).startOf('day').toJSDate() : undefined);
  return { campaignId, sectorId: filters.sectorId, from: day(filters.from), to: day(filters.to) };
}

export const campaignPages: FastifyPluginAsync<{ deps: PageDeps }> = async (app, { deps }) => {
  const { pool } = deps;

  app.get('/', async (request, reply) => {
    const ctx = pageContext(request, reply, deps.context);
    const [campaigns, stats] = await Promise.all([
      listCampaigns(pool, { limit: 500 }, {}),
      computeStats(pool, { filter: {}, groupBy: 'campaign', series: null }),
    ]);
    const byCampaign = new Map(stats.rows.map((row) => [row.group.key, row]));
    const t = ctx.t.campaigns;
    const rows = [...campaigns.items].reverse().map((c) => {
      const m = byCampaign.get(c.id);
      const planned = c.probesPerBrand * c.brandIds.length;
      return html`<tr>
        <td><a href="/campaigns/${c.id}">${c.name}</a></td>
        <td>${statusBadge(ctx, c.status)}</td>
        <td>${period(ctx, c)}</td>
        <td class="num">${figure(ctx, 'probes', 'count', m?.probes ?? 0)} / ${ctx.fmt.number(planned)}</td>
        <td class="num">${figure(ctx, 'responseRate', 'rate', m?.responseRate ?? null)}</td>
        <td class="num">${figure(ctx, 'delayP50Hours', 'hours', m?.delayP50Hours ?? null)}</td>
      </tr>`;
    });
    const body =
      rows.length === 0
        ? html`<p>${t.none}</p>`
        : html`<table>
            <thead><tr><th scope="col">${t.name}</th><th scope="col">${t.status}</th><th scope="col">${t.period}</th><th scope="col" class="num">${t.sent}</th><th scope="col" class="num">${t.responseRate}</th><th scope="col" class="num">${t.medianDelay}</th></tr></thead>
            <tbody>${rows}</tbody>
          </table>`;
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: t.title, body }));
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>('/campaigns/:id', async (request, reply) => {
    if (!UUID.test(request.params.id)) throw new WebError(404);
    const campaign = await findCampaign(pool, request.params.id);
    if (!campaign) throw new WebError(404);
    const filters = parseFilters(request.query);
    const filter = statsFilter(campaign.id, filters, campaign.timezone);
    const { campaignId: _, ...narrow } = filter;
    const [headline, ranking, sectors, agreement, held] = await Promise.all([
      computeStats(pool, { filter, groupBy: null, series: 'week' }),
      computeRanking(pool, campaign.id, narrow),
      listSectors(pool, { limit: 500 }),
      campaignAgreement(pool, campaign.id, false),
      listHeldSends(pool, campaign.id),
    ]);
    const ctx = pageContext(request, reply, deps.context, campaign.timezone);
    const t = ctx.t.campaign;
    const whole = headline.rows[0]!;
    const r = reportStrings(ctx.lang);
    const brands = (ranking?.sectors ?? []).flatMap((s) => s.ranking);
    const query = queryString({ ...filters });

    const histogram = (Object.keys(r.histogram) as (keyof typeof r.histogram)[]).map((bucket) => ({ label: r.histogram[bucket], count: whole.delayHistogram[bucket], muted: bucket === 'noAnswer' }));
    const rates = brands.map((b) => ({ brandId: b.brand.id, brandName: b.brand.name, rate: b.metrics.responseRate }));
    const weeks = (whole.series ?? []).map((w) => ({ week: w.week, probes: w.probes, rate: w.responseRateAfterReminder, delayP50Hours: w.delayP50Hours }));
    const weekLabels = { probesLabel: ctx.t.metrics.probes, rateLabel: ctx.t.metrics.responseRateAfterReminder };
    const charts = html`<div class="charts">
      <figure>
        <figcaption>${t.delayChart}</figcaption>
        ${cachedChart('delays', [ctx.lang, t.delayChart, histogram], () => delayHistogramSvg(histogram, { title: t.delayChart, format: ctx.fmt, width: 520, height: 260 }))}
      </figure>
      <figure>
        <figcaption>${t.brandChart}</figcaption>
        ${cachedChart('rates', [ctx.lang, t.brandChart, rates], () => responseRateByBrandSvg(rates, { title: t.brandChart, format: ctx.fmt, width: 520 }))}
      </figure>
      <figure>
        <figcaption>${t.weeklyChart}</figcaption>
        ${cachedChart('weeks', [ctx.lang, t.weeklyChart, weekLabels, weeks], () =>
          weeklySeriesSvg(weeks, { title: t.weeklyChart, format: ctx.fmt, width: 520, height: 260, ...weekLabels }),
        )}
      </figure>
    </div>`;

    const body = html`
      ${heldNotice(ctx, held)}
      <div class="links">
        <a class="button" href="/campaigns/${campaign.id}/report">${t.report}</a>
        <a class="button" href="/campaigns/${campaign.id}/report?format=pdf">${t.reportPdf}</a>
      </div>
      ${filterForm(ctx, campaign.id, filters, sectors.items)}
      <h2>${t.headline}</h2>
      ${headlineFigures(ctx, whole, headline.norms)}
      <h2>${t.charts}</h2>
      ${charts}
      <h2>${t.ranking}</h2>
      ${ranking && ranking.sectors.length > 0 ? ranking.sectors.map((s) => sectorTable(ctx, campaign.id, s, headline.norms, query)) : html`<p>${t.noData}</p>`}
      ${agreementTable(ctx, campaign.id, agreement)}
      ${heldSection(ctx, campaign.id, held)}`;
    return reply.type('text/html; charset=utf-8').send(
      renderPage(ctx, {
        title: campaign.name,
        subtitle: html`${statusBadge(ctx, campaign.status)} ${period(ctx, campaign)} · ${t.timezone} ${campaign.timezone}`,
        body,
      }),
    );
  });
};

function filterForm(ctx: PageContext, campaignId: string, filters: CampaignFilters, sectors: readonly { id: string; name: string }[]): Html {
  const t = ctx.t.campaign;
  return html`<form class="filters" method="get" action="/campaigns/${campaignId}" aria-label="${t.filters}">
    <label>${t.sector}
      <select name="sectorId">
        <option value="">${t.allSectors}</option>
        ${sectors.map((s) => html`<option value="${s.id}"${s.id === filters.sectorId ? html` selected` : null}>${s.name}</option>`)}
      </select>
    </label>
    <label>${t.from} <input type="date" name="from" value="${filters.from ?? ''}"></label>
    <label>${t.to} <input type="date" name="to" value="${filters.to ?? ''}"></label>
    <button class="primary" type="submit">${t.apply}</button>
    <a href="/campaigns/${campaignId}">${t.reset}</a>
  </form>`;
}

function sectorTable(ctx: PageContext, campaignId: string, sector: SectorRanking, norms: readonly number[], query: string): Html {
  const t = ctx.t.campaign;
  const m = ctx.t.metrics;
  const firstNorm = norms[0];
  return html`<section class="card" aria-labelledby="sector-${sector.sector.id}">
    <h3 id="sector-${sector.sector.id}">${sector.sector.name}</h3>
    <p>${t.sectorMean}${ctx.t.colon}${figure(ctx, 'sectorScoreMean', 'note', sector.scoreMean)}${sector.leader ? html` · ${t.leader}${ctx.t.colon}${sector.leader.brand.name}` : null}</p>
    <table>
      <thead><tr>
        <th scope="col" class="num">${t.rank}</th><th scope="col">${t.brand}</th><th scope="col" class="num">${t.note}</th>
        <th scope="col" class="num">${m.probes}</th><th scope="col" class="num">${m.responseRate}</th><th scope="col" class="num">${m.responseRateAfterReminder}</th>
        ${firstNorm !== undefined ? html`<th scope="col" class="num">${m.withinNorm(normLabel(ctx, firstNorm))}</th>` : null}
        <th scope="col" class="num">${m.delayP50Hours}</th><th scope="col" class="num">${m.ackRate}</th><th scope="col" class="num">${m.spellingErrorRate}</th>
      </tr></thead>
      <tbody>
        ${sector.ranking.map(
          (b) => html`<tr data-brand-id="${b.brand.id}">
            <td class="num">${b.rank ?? ctx.t.none}</td>
            <td><a href="/campaigns/${campaignId}/brands/${b.brand.id}${query}">${b.brand.name}</a></td>
            <td class="num">${figure(ctx, 'scoreMean', 'note', b.metrics.scoreMean)}</td>
            <td class="num">${figure(ctx, 'probes', 'count', b.metrics.probes)}</td>
            <td class="num">${figure(ctx, 'responseRate', 'rate', b.metrics.responseRate)}</td>
            <td class="num">${figure(ctx, 'responseRateAfterReminder', 'rate', b.metrics.responseRateAfterReminder)}</td>
            ${firstNorm !== undefined ? html`<td class="num">${figure(ctx, `withinNorm.${firstNorm}`, 'rate', b.metrics.withinNorm[String(firstNorm)] ?? null)}</td>` : null}
            <td class="num">${figure(ctx, 'delayP50Hours', 'hours', b.metrics.delayP50Hours)}</td>
            <td class="num">${figure(ctx, 'ackRate', 'rate', b.metrics.ackRate)}</td>
            <td class="num">${figure(ctx, 'spellingErrorRate', 'rate', b.metrics.spellingErrorRate)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

/** The raters' agreement, criterion by criterion, for the criteria rated twice at least once. */
function agreementTable(ctx: PageContext, campaignId: string, agreement: Record<string, Agreement>): Html {
  const t = ctx.t.campaign;
  const rated = Object.entries(agreement).filter(([, a]) => a.pairs > 0);
  return html`<h2 id="agreement-title">${t.agreement}</h2>
    ${ctx.canAct ? html`<div class="links"><a href="/arbitrations?campaignId=${campaignId}">${t.arbitrations}</a></div>` : null}
    ${rated.length === 0
      ? html`<p>${t.noAgreement}</p>`
      : html`<p class="muted">${t.agreementHelp}</p>
        <table data-agreement aria-labelledby="agreement-title">
          <thead><tr><th scope="col">${ctx.t.reply.criterion}</th><th scope="col" class="num">${t.pairs}</th><th scope="col" class="num">${t.observed}</th><th scope="col" class="num">${t.kappa}</th><th scope="col" class="num">${t.disagreements}</th></tr></thead>
          <tbody>
            ${rated.map(
              ([criterion, a]) => html`<tr data-criterion="${criterion}">
                <th scope="row">${ctx.t.criteria[criterion] ?? criterion}</th>
                <td class="num" data-value="${String(a.pairs)}">${ctx.fmt.number(a.pairs)}</td>
                <td class="num" data-value="${String(a.observed)}">${ctx.fmt.percent(a.observed)}</td>
                <td class="num" data-value="${String(a.kappa)}">${ctx.fmt.number(a.kappa, 2)}</td>
                <td class="num" data-value="${String(a.disagreements)}">${ctx.fmt.number(a.disagreements)}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}`;
}
