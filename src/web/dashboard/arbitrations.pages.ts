/**
 * `/arbitrations` (`?campaignId=`): the arbitration queue of the double rating, the replies
 * whose two raters of a criterion disagree and that no arbitration settled, from the same
 * flow as `GET /v1/arbitrations`; each links to its reply page, whose override form
 * arbitrates. Auditors and admins only, as the API: the queue shows the ratings.
 */
import type { FastifyPluginAsync } from 'fastify';
import { findBrand } from '../../db/brands.repo.ts';
import { findCampaign, listCampaigns, type Campaign } from '../../db/campaigns.repo.ts';
import { BadCursorError } from '../../db/page.ts';
import { arbitrationQueue, type QueuedArbitration } from '../../flow/rating-views.ts';
import { html, type Html } from '../html.ts';
import { UUID, queryString } from './components.ts';
import { pageContext, type PageContext } from './context.ts';
import { renderPage } from './layout.ts';
import type { PageDeps } from './plugin.ts';
import { WebError } from './web-error.ts';

/** Replies shown per campaign on one page. */
const PAGE = 100;

export const arbitrationPages: FastifyPluginAsync<{ deps: PageDeps }> = async (app, { deps }) => {
  const { pool } = deps;

  app.get<{ Querystring: { campaignId?: string; cursor?: string } }>('/arbitrations', { config: { dashboardRole: 'auditor' } }, async (request, reply) => {
    const { campaignId, cursor } = request.query;
    if (campaignId && !UUID.test(campaignId)) throw new WebError(400, 'campaignId must be an id');
    const campaigns = (await listCampaigns(pool, { limit: 500 }, {})).items.reverse();
    const chosen = campaignId ? await findCampaign(pool, campaignId) : null;
    if (campaignId && !chosen) throw new WebError(404);
    const ctx = pageContext(request, reply, deps.context, chosen?.timezone);
    const t = ctx.t.arbitrations;

    const queues: Array<{ campaign: Campaign; items: QueuedArbitration[]; nextCursor: string | null }> = [];
    for (const campaign of chosen ? [chosen] : campaigns) {
      try {
        const page = await arbitrationQueue(pool, campaign.id, { limit: PAGE, cursor: chosen ? cursor : undefined }, request.viewer?.keyId ?? null);
        if (page.items.length > 0 || chosen) queues.push({ campaign, ...page });
      } catch (error) {
        if (error instanceof BadCursorError) throw new WebError(400, error.message);
        throw error;
      }
    }
    const brandIds = [...new Set(queues.flatMap((q) => q.items.map((i) => i.reply.brandId)))];
    const brands = new Map((await Promise.all(brandIds.map((id) => findBrand(pool, id)))).flatMap((b) => (b ? [[b.id, b.name] as const] : [])));

    const body = html`
      <p>${t.intro}</p>
      <form class="filters" method="get" action="/arbitrations" aria-label="${t.campaign}">
        <label>${t.campaign}
          <select name="campaignId">
            <option value="">${t.allCampaigns}</option>
            ${campaigns.map((c) => html`<option value="${c.id}"${c.id === chosen?.id ? html` selected` : null}>${c.name}</option>`)}
          </select>
        </label>
        <button class="primary" type="submit">${t.show}</button>
      </form>
      ${queues.every((q) => q.items.length === 0)
        ? html`<p>${t.none}</p>`
        : queues.map((q) => queueTable(ctx, q.campaign, q.items, brands, q.nextCursor, Boolean(chosen)))}`;
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: chosen ? `${t.title} — ${chosen.name}` : t.title, body }));
  });
};

function queueTable(ctx: PageContext, campaign: Campaign, items: QueuedArbitration[], brands: Map<string, string>, nextCursor: string | null, alone: boolean): Html {
  const t = ctx.t.arbitrations;
  const value = (v: number) => ctx.fmt.number(v, Number.isInteger(v) ? 0 : 2);
  return html`<section class="card" data-campaign-id="${campaign.id}" aria-labelledby="queue-${campaign.id}">
    <h2 id="queue-${campaign.id}"><a href="/campaigns/${campaign.id}">${campaign.name}</a></h2>
    ${items.length === 0
      ? html`<p>${t.none}</p>`
      : html`<table>
          <thead><tr><th scope="col">${ctx.t.campaign.brand}</th><th scope="col">${t.received}</th><th scope="col">${t.disputes}</th><th scope="col">${t.reply}</th></tr></thead>
          <tbody>
            ${items.map(
              (item) => html`<tr data-reply-id="${item.reply.id}">
                <td>${brands.get(item.reply.brandId) ?? ctx.t.none}</td>
                <td>${ctx.fmt.dateTime(item.reply.receivedAt)}</td>
                <td><ul>${item.disputes.map(
                  (d) => html`<li data-criterion="${d.criterion}">${ctx.t.criteria[d.criterion] ?? d.criterion}${ctx.t.colon}${d.grades.map((g, i) => html`${i > 0 ? ' · ' : ''}${g.rater} ${value(g.value)}`)}</li>`,
                )}</ul></td>
                <td><a href="/replies/${item.reply.id}">${t.open}</a></td>
              </tr>`,
            )}
          </tbody>
        </table>`}
    ${nextCursor
      ? alone
        ? html`<p><a href="/arbitrations${queryString({ campaignId: campaign.id, cursor: nextCursor })}">${t.next}</a></p>`
        : html`<p class="muted"><a href="/arbitrations${queryString({ campaignId: campaign.id })}">${t.more(items.length)}</a></p>`
      : null}
  </section>`;
}
