/**
 * `/replies/:id`: a reply: the brand's mail in a sandboxed frame (no script, no same origin),
 * its own text with the spelling errors marked, the score grid criterion by criterion with
 * the overrides beside the automatic values, and, for an auditor, the override form, which
 * goes through the same flow as `PUT /v1/replies/:id/evaluation`; the auditors' ratings, blind
 * as `GET /v1/replies/:id/ratings`, and an auditor's own rating form, saved through the same
 * flow as `PUT /v1/replies/:id/ratings/mine` (see `./ratings.view.ts`).
 *
 * `/messages/:id/mail`: the sanitised mail alone, the frame's source, under a CSP of its own
 * (`default-src 'none'; img-src data:; style-src 'unsafe-inline'`): inline `cid:` images show,
 * remote ones are placeholders naming their host, nothing is ever fetched.
 * `/messages/:id/eml`: the raw message as stored.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ReplyAnalysis } from '../../audit/analyse.ts';
import { CRITERIA, CRITERION_MAX, type CriterionId, type ReplyScore } from '../../audit/score.ts';
import { findCampaign } from '../../db/campaigns.repo.ts';
import { findMessage, type StoredMessage } from '../../db/messages.repo.ts';
import { findProbe } from '../../db/probes.repo.ts';
import { findMessageSource } from '../../db/report.repo.ts';
import { findLatestAnalysis, findReply } from '../../db/reply-views.repo.ts';
import { evaluateReply, type CriterionOverrides } from '../../flow/evaluate-reply.ts';
import { rateReply, refusedArbitrations } from '../../flow/rate-reply.ts';
import { ownRating, replyRatings } from '../../flow/rating-views.ts';
import { scoreOfReply, type ScoreViewer, type ViewedScore } from '../../flow/score-reply.ts';
import { hasRole } from '../../flow/identify-key.ts';
import { documentHtml, html, trustedHtml, type Html } from '../html.ts';
import { pickLang, t as reportStrings } from '../i18n.ts';
import { renderSafeMail } from '../mail-view.ts';
import { UUID, figure } from './components.ts';
import { pageContext, type PageContext } from './context.ts';
import { contentSecurityPolicy } from './csp.ts';
import { csrfField, renderPage } from './layout.ts';
import type { PageDeps } from './plugin.ts';
import { ratingForm, ratingsSection, readGrades } from './ratings.view.ts';
import { WebError } from './web-error.ts';

const gunzipAsync = promisify(gunzip);
const MAX_COMMENT = 2000;

type FormBody = Record<string, string | string[] | undefined>;

export const replyPages: FastifyPluginAsync<{ deps: PageDeps }> = async (app, { deps }) => {
  const { pool } = deps;

  async function load(id: string, viewer: ScoreViewer | null = null) {
    if (!UUID.test(id)) throw new WebError(404);
    const reply = await findReply(pool, id);
    if (!reply) throw new WebError(404);
    const [message, analysis, score, probe] = await Promise.all([findMessage(pool, id), findLatestAnalysis(pool, id), scoreOfReply(pool, id, viewer), findProbe(pool, reply.probeId)]);
    const campaign = probe ? await findCampaign(pool, probe.campaignId) : null;
    return { reply, message: message!, analysis, score, probe, campaign };
  }

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    notice: { saved?: boolean; rated?: boolean; errors?: string[]; form?: FormBody; ratingForm?: FormBody } = {},
  ) {
    const viewer = request.viewer;
    const data = await load(id, viewer ?? null);
    const [ratings, mine] = await Promise.all([replyRatings(pool, id, viewer), viewer?.keyId ? ownRating(pool, id, viewer.keyId) : undefined]);
    const canRate = ctxCanRate(viewer);
    const ctx = pageContext(request, reply, deps.context, data.campaign?.timezone);
    const t = ctx.t.reply;
    const result = data.analysis?.result as (ReplyAnalysis & { skipped?: string }) | undefined;
    const analysed = result && !result.skipped ? result : null;
    const back = data.probe && data.campaign ? `/campaigns/${data.campaign.id}/brands/${data.probe.brandId}` : '/';
    const body = html`
      <p><a href="${back}">← ${data.campaign?.name ?? ctx.t.nav.campaigns}</a></p>
      ${notice.saved && html`<p class="notice" role="status">${t.saved}</p>`}
      ${notice.rated && html`<p class="notice" role="status">${t.rated}</p>`}
      ${notice.errors?.length ? html`<div class="error-box" role="alert"><ul>${notice.errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : null}
      <dl class="figures">
        <div><dt>${t.from}</dt><dd>${data.message.from.name ? html`${data.message.from.name} ` : null}${data.message.from.address ?? ctx.t.none}</dd></div>
        <div><dt>${t.received}</dt><dd>${ctx.fmt.dateTime(data.reply.receivedAt)}</dd></div>
        <div><dt>${t.delay}</dt><dd>${figure(ctx, 'delayHours', 'hours', data.reply.delayHours)}</dd></div>
        <div><dt>${t.businessDelay}</dt><dd>${figure(ctx, 'businessDelayHours', 'hours', data.reply.businessDelayHours)}</dd></div>
        <div><dt>${t.note}</dt><dd>${figure(ctx, 'note', 'note', data.score?.note ?? null)}</dd></div>
      </dl>
      <div class="links"><a href="/messages/${id}/eml">${t.eml}</a></div>
      <h2>${t.mail}</h2>
      <iframe class="mail" sandbox src="/messages/${id}/mail" title="${t.mailFrame}"></iframe>
      <h2>${t.text}</h2>
      ${replyText(ctx, data.message, analysed)}
      <h2>${t.grid}</h2>
      ${data.score ? scoreGrid(ctx, data.score) : html`<p>${t.noAnalysis}</p>`}
      ${ratingsSection(ctx, ratings)}
      ${canRate ? ratingForm(ctx, id, mine, notice.ratingForm) : null}
      ${ctx.canAct && data.score ? overrideForm(ctx, id, data.score, notice.form) : null}`;
    const title = `${ctx.t.brand.kind[data.reply.kind] ?? data.reply.kind}${data.message.subject ? ` — ${data.message.subject}` : ''}`;
    return reply.code(notice.errors?.length ? (reply.statusCode === 403 ? 403 : 422) : 200).type('text/html; charset=utf-8').send(renderPage(ctx, { title, body }));
  }

  app.get<{ Params: { id: string }; Querystring: { saved?: string; rated?: string } }>('/replies/:id', async (request, reply) =>
    show(request, reply, request.params.id, { saved: request.query.saved === '1', rated: request.query.rated === '1' }),
  );

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/replies/:id/ratings/mine',
    { config: { dashboardRole: 'auditor' }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const id = request.params.id;
      await load(id);
      const viewer = request.viewer!;
      const t = pageContext(request, reply, deps.context).t;
      // as the API: a rating belongs to a key, and the environment's admin key is nobody's
      if (!viewer.keyId) {
        reply.code(403);
        return show(request, reply, id, { errors: [t.reply.noRatingKey], ratingForm: request.body });
      }
      const { changes, errors } = readGrades(request.body ?? {}, await ownRating(pool, id, viewer.keyId), t);
      if (errors.length > 0) return show(request, reply, id, { errors, ratingForm: request.body });
      await rateReply(pool, id, viewer.keyId, changes);
      return reply.redirect(`/replies/${id}?rated=1`, 303);
    },
  );

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/replies/:id/evaluation',
    { config: { dashboardRole: 'auditor' }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const id = request.params.id;
      const data = await load(id);
      const t = pageContext(request, reply, deps.context).t;
      const { criteria, errors } = readOverrides(request.body ?? {}, t);
      if (errors.length > 0 || !data.score) return show(request, reply, id, { errors, form: request.body });
      // one of the two raters who disagree does not arbitrate their own disagreement (as the API refuses it)
      const values = Object.fromEntries(Object.entries(criteria).flatMap(([c, o]) => (o ? [[c, o.value] as const] : [])));
      const refused = await refusedArbitrations(pool, id, request.viewer!, values);
      if (refused.length > 0) {
        reply.code(403);
        return show(request, reply, id, { errors: [t.reply.ownDispute(refused.join(', '))], form: request.body });
      }
      await evaluateReply(pool, id, criteria, request.viewer!.label);
      return reply.redirect(`/replies/${id}?saved=1`, 303);
    },
  );

  app.get<{ Params: { id: string } }>('/messages/:id/mail', async (request, reply) => {
    const source = await rawSource(request.params.id);
    const lang = pickLang(request.headers['accept-language'], 'fr');
    const safe = await renderSafeMail(source, { remoteImageLabel: reportStrings(lang).remoteImageBlocked });
    const page = documentHtml(html`<html lang="${lang}"><head><meta charset="utf-8"><title>${reportStrings(lang).messageAsReceived}</title></head><body>${trustedHtml(safe.html)}</body></html>`);
    return reply
      .header('content-security-policy', contentSecurityPolicy('mail'))
      .header('x-frame-options', 'SAMEORIGIN')
      .type('text/html; charset=utf-8')
      .send(page);
  });

  app.get<{ Params: { id: string } }>('/messages/:id/eml', async (request, reply) => {
    const source = await rawSource(request.params.id);
    return reply
      .header('content-disposition', `attachment; filename="message-${request.params.id}.eml"`)
      .type('message/rfc822')
      .send(source);
  });

  async function rawSource(id: string): Promise<Buffer> {
    if (!UUID.test(id)) throw new WebError(404);
    const stored = await findMessageSource(pool, id);
    if (!stored?.sourceGz) throw new WebError(404);
    return gunzipAsync(stored.sourceGz);
  }
};

/** Who may rate: an auditor or an admin with a key of its own (the environment's admin key has none). */
const ctxCanRate = (viewer: FastifyRequest['viewer']) => viewer !== null && viewer.keyId !== null && hasRole(viewer.role, 'auditor');

/** The reply's own text, each spelling error of it in a `<mark>` with its suggestions. */
function replyText(ctx: PageContext, message: StoredMessage, analysis: ReplyAnalysis | null): Html {
  const text = message.replyText ?? '';
  if (!text) return html`<p>${ctx.t.reply.noText}</p>`;
  const errors = (analysis?.spelling.errors ?? [])
    .filter((e) => e.part === 'reply' && text.slice(e.offset, e.offset + e.word.length) === e.word)
    .sort((a, b) => a.offset - b.offset);
  const pieces: Html[] = [];
  let at = 0;
  for (const error of errors) {
    if (error.offset < at) continue;
    pieces.push(html`${text.slice(at, error.offset)}`);
    const hint = error.suggestions.length > 0 ? `${ctx.t.reply.suggestions}: ${error.suggestions.slice(0, 3).join(', ')}` : undefined;
    pieces.push(html`<mark class="spelling" data-spelling-error="${error.word}"${hint ? html` title="${hint}"` : null}>${error.word}</mark>`);
    at = error.offset + error.word.length;
  }
  pieces.push(html`${text.slice(at)}`);
  return html`<p class="muted">${analysis ? ctx.t.reply.errors(errors.length) : ctx.t.reply.noAnalysis}</p><div class="reply-text">${pieces}</div>`;
}

function scoreGrid(ctx: PageContext, score: ViewedScore): Html {
  const t = ctx.t.reply;
  const value = (v: number | null) => (v === null ? ctx.t.none : ctx.fmt.number(v, 2));
  return html`${score.ratingsWithheld > 0 ? html`<p class="muted" data-ratings-withheld="${String(score.ratingsWithheld)}">${t.gridWithoutRatings(score.ratingsWithheld)}</p>` : null}<p>${t.note}${ctx.t.colon}<strong>${figure(ctx, 'note', 'note', score.note)}</strong> / 100 ·
      ${(['delay', 'relevance', 'welcome'] as const).map((part, i) => html`${i > 0 ? ' · ' : ''}${ctx.t.parts[part]} ${ctx.fmt.number(score.parts[part].value, 1)} / ${score.parts[part].max}`)}</p>
    <table data-score-grid>
      <thead><tr><th scope="col">${t.criterion}</th><th scope="col" class="num">${t.automatic}</th><th scope="col" class="num">${t.value}</th><th scope="col">${t.source}</th><th scope="col">${t.evidence}</th></tr></thead>
      <tbody>
        ${score.criteria.map(
          (c) => html`<tr data-criterion="${c.id}">
            <th scope="row">${ctx.t.criteria[c.id] ?? c.label}</th>
            <td class="num">${value(c.automatic)}</td>
            <td class="num">${value(c.value)}${c.override ? html`<div class="override">${t.overriddenBy(c.override.by)}${c.override.comment ? html` — ${c.override.comment}` : null}</div>` : null}</td>
            <td data-source="${c.source}">${t.sources[c.source] ?? c.source}</td>
            <td>${c.evidence.length ? html`<ul>${c.evidence.map((e) => html`<li>${e}</li>`)}</ul>` : ctx.t.none}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}

function overrideForm(ctx: PageContext, replyId: string, score: ReplyScore, posted: FormBody | undefined): Html {
  const t = ctx.t.reply;
  const field = (name: string) => {
    const v = posted?.[name];
    return typeof v === 'string' ? v : undefined;
  };
  return html`<h2 id="override-title">${t.overrideTitle}</h2>
    <form method="post" action="/replies/${replyId}/evaluation" aria-labelledby="override-title">
      ${csrfField(ctx)}
      <p class="muted">${t.overrideHelp}</p>
      <table>
        <thead><tr><th scope="col">${t.criterion}</th><th scope="col">${t.value}</th><th scope="col">${ctx.t.reply.evidence}</th></tr></thead>
        <tbody>
          ${score.criteria.map((c) => {
            const label = ctx.t.criteria[c.id] ?? c.label;
            return html`<tr>
              <th scope="row">${label}</th>
              <td><input type="number" min="0" max="${CRITERION_MAX}" step="any" name="value.${c.id}" aria-label="${t.overrideValue(label)}" value="${field(`value.${c.id}`) ?? (c.override ? String(c.override.value) : '')}"></td>
              <td><input type="text" maxlength="${MAX_COMMENT}" name="comment.${c.id}" aria-label="${t.overrideComment(label)}" value="${field(`comment.${c.id}`) ?? c.override?.comment ?? ''}"></td>
            </tr>`;
          })}
        </tbody>
      </table>
      <p><button class="primary" type="submit">${t.save}</button></p>
    </form>`;
}

/** The overrides of the form: a criterion with a value is overridden, and must say why. */
export function readOverrides(body: FormBody, t: PageContext['t']): { criteria: CriterionOverrides; errors: string[] } {
  const criteria: CriterionOverrides = {};
  const errors: string[] = [];
  const text = (name: string) => {
    const v = body[name];
    return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
  };
  for (const c of CRITERIA) {
    const id = c.id as CriterionId;
    const raw = text(`value.${id}`);
    if (raw === '') continue;
    const label = t.criteria[id] ?? c.label;
    const value = Number(raw.replace(',', '.'));
    if (!Number.isFinite(value) || value < 0 || value > CRITERION_MAX) {
      errors.push(t.reply.badValue(label));
      continue;
    }
    const comment = text(`comment.${id}`).slice(0, MAX_COMMENT);
    if (!comment) {
      errors.push(t.reply.needsComment(label));
      continue;
    }
    criteria[id] = { value, comment };
  }
  return { criteria, errors };
}
