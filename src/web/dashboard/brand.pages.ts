/**
 * `/campaigns/:id/brands/:brandId`: a brand within a campaign: its figures (those of
 * `/v1/stats?campaignId=…&brandId=…`), then each probe with its timeline: sent, the
 * acknowledgement, reminders, the answer and its delay, follow-ups, each reply linked to its
 * page.
 */
import type { FastifyPluginAsync } from 'fastify';
import { findBrand } from '../../db/brands.repo.ts';
import { findCampaign } from '../../db/campaigns.repo.ts';
import { listProbeReplies, type ThreadReply } from '../../db/dashboard-views.repo.ts';
import { listReportProbes, listReportReminders, type ReportProbe, type ReportReminder } from '../../db/report.repo.ts';
import { computeStats } from '../../db/stats.repo.ts';
import { html, type Html } from '../html.ts';
import { parseFilters, statsFilter } from './campaigns.pages.ts';
import { UUID, figure, headlineFigures, queryString } from './components.ts';
import { pageContext, type PageContext } from './context.ts';
import { renderPage } from './layout.ts';
import type { PageDeps } from './plugin.ts';
import { WebError } from './web-error.ts';

export const brandPages: FastifyPluginAsync<{ deps: PageDeps }> = async (app, { deps }) => {
  const { pool } = deps;

  app.get<{ Params: { id: string; brandId: string }; Querystring: Record<string, unknown> }>('/campaigns/:id/brands/:brandId', async (request, reply) => {
    const { id, brandId } = request.params;
    if (!UUID.test(id) || !UUID.test(brandId)) throw new WebError(404);
    const [campaign, brand] = await Promise.all([findCampaign(pool, id), findBrand(pool, brandId)]);
    if (!campaign || !brand || !campaign.brandIds.includes(brand.id)) throw new WebError(404);
    const filters = parseFilters(request.query);
    const [stats, probes] = await Promise.all([
      computeStats(pool, { filter: { ...statsFilter(id, filters, campaign.timezone), brandId }, groupBy: null, series: null }),
      listReportProbes(pool, id, brandId),
    ]);
    const ids = probes.map((p) => p.id);
    const [replies, reminders] = await Promise.all([listProbeReplies(pool, ids), listReportReminders(pool, ids)]);
    const ctx = pageContext(request, reply, deps.context, campaign.timezone);
    const t = ctx.t.brand;
    const repliesOf = group(replies, (r) => r.probeId);
    const remindersOf = group(reminders, (r) => r.probeId);
    const report = `/campaigns/${id}/report?brandId=${brandId}`;
    const body = html`
      <p><a href="/campaigns/${id}${queryString({ ...filters })}">← ${campaign.name}</a></p>
      <div class="links">
        <a class="button" href="${report}">${t.evidence}</a>
        <a class="button" href="${report}&format=pdf">${t.evidencePdf}</a>
      </div>
      <h2>${t.figures}</h2>
      ${headlineFigures(ctx, stats.rows[0]!, stats.norms)}
      <h2>${t.probes}</h2>
      ${probes.length === 0 ? html`<p>${t.none}</p>` : probes.map((p, index) => probeCard(ctx, index + 1, p, repliesOf.get(p.id) ?? [], remindersOf.get(p.id) ?? []))}`;
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: brand.name, subtitle: campaign.name, body }));
  });
};

function group<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(key(item));
    if (list) list.push(item);
    else map.set(key(item), [item]);
  }
  return map;
}

interface TimelineEvent {
  at: Date;
  content: Html;
}

function probeCard(ctx: PageContext, n: number, probe: ReportProbe, replies: ThreadReply[], reminders: ReportReminder[]): Html {
  const t = ctx.t.brand;
  const outcome = probe.outcome;
  const events: TimelineEvent[] = [];
  for (const reminder of reminders) {
    if (reminder.sentAt) events.push({ at: reminder.sentAt, content: html`${ctx.fmt.dateTime(reminder.sentAt)} · ${t.reminder(reminder.seq)}` });
  }
  for (const r of replies) {
    events.push({
      at: r.receivedAt,
      content: html`${ctx.fmt.dateTime(r.receivedAt)} · <a href="/replies/${r.id}">${t.kind[r.kind] ?? r.kind}</a>${r.delayHours !== null ? html` · ${t.delay} ${ctx.fmt.hours(r.delayHours)}` : null}${r.late ? html` · <span class="bad">${t.late}</span>` : null}`,
    });
  }
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  const start = probe.sentAt
    ? html`${ctx.fmt.dateTime(probe.sentAt)} · ${t.sent}`
    : probe.heldAt
      ? html`<span class="bad" data-held>${ctx.t.held.label}</span>${ctx.t.colon}${ctx.t.held.since} ${ctx.fmt.dateTime(probe.heldAt)} — ${probe.heldReason ?? ''}`
      : probe.status === 'failed'
        ? html`<span class="bad">${t.failed}</span>${probe.smtpResponse ? html`${ctx.t.colon}${probe.smtpResponse}` : null}`
        : html`${t.planned} ${ctx.fmt.dateTime(probe.scheduledAt)}`;
  const answered = Boolean(outcome?.answeredAt);
  return html`<section class="card" data-probe-id="${probe.id}" aria-labelledby="probe-${probe.id}">
    <h3 id="probe-${probe.id}">${t.probe} ${n}${probe.subject ? html` — ${probe.subject}` : null}</h3>
    <p class="muted">${probe.recipient ? html`${t.to} ${probe.recipient} · ` : null}${probe.scenarioName ? html`${t.scenario} ${probe.scenarioName} · ` : null}${t.mailbox} ${probe.mailboxAddress}</p>
    <ol class="timeline" aria-label="${t.timeline}">
      <li>${start}</li>
      ${events.map((e) => html`<li>${e.content}</li>`)}
      ${probe.sentAt && !answered ? html`<li class="bad">${t.unanswered}</li>` : null}
    </ol>
    ${outcome
      ? html`<p>${ctx.t.reply.delay}${ctx.t.colon}${figure(ctx, 'delayHours', 'hours', outcome.delayHours)} · ${ctx.t.reply.note}${ctx.t.colon}${figure(ctx, 'score', 'note', outcome.score)}</p>`
      : null}
  </section>`;
}
