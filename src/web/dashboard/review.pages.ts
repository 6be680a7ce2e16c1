/**
 * `/review`: the review queue, the messages no rule paired with a probe, each with the
 * probes it most likely answers; an auditor assigns one in a single action, through the
 * same checks and flow as `POST /v1/messages/:id/assign`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { listLikelyProbes, type LikelyProbe } from '../../db/dashboard-views.repo.ts';
import { findMessage, listMessages, type StoredMessage } from '../../db/messages.repo.ts';
import { assignMessage, checkAssignment } from '../../flow/assign-message.ts';
import { html, type Html } from '../html.ts';
import { UUID } from './components.ts';
import { pageContext, type PageContext } from './context.ts';
import { csrfField, renderPage } from './layout.ts';
import type { PageDeps } from './plugin.ts';
import { WebError } from './web-error.ts';

export const reviewPages: FastifyPluginAsync<{ deps: PageDeps }> = async (app, { deps }) => {
  const { pool } = deps;

  app.get<{ Querystring: { assigned?: string } }>('/review', async (request, reply) => {
    const page = await listMessages(pool, { limit: 100 }, { matched: false });
    const likely = await listLikelyProbes(pool, page.items.map((m) => m.id));
    const ctx = pageContext(request, reply, deps.context);
    const t = ctx.t.review;
    const body = html`
      <p>${t.intro}</p>
      ${request.query.assigned === '1' && html`<p class="notice" role="status">${t.assigned}</p>`}
      ${page.items.length === 0
        ? html`<p>${t.none}</p>`
        : page.items.map((m) => messageCard(ctx, m, likely.filter((l) => l.messageId === m.id)))}`;
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: t.title, body }));
  });

  app.post<{ Params: { id: string }; Body: { probeId?: unknown } }>(
    '/review/:id/assign',
    { config: { dashboardRole: 'auditor' }, preHandler: app.csrfProtection },
    async (request, reply) => {
      const { id } = request.params;
      const probeId = typeof request.body?.probeId === 'string' ? request.body.probeId : '';
      if (!UUID.test(id)) throw new WebError(404);
      if (!UUID.test(probeId)) throw new WebError(400, 'probeId must be an id');
      const message = await findMessage(pool, id);
      if (!message) throw new WebError(404);
      if (await checkAssignment(pool, message, probeId)) throw new WebError(400, 'this probe cannot take this message');
      await assignMessage(pool, { messageId: message.id, probeId, by: request.viewer!.label });
      return reply.redirect('/review?assigned=1', 303);
    },
  );
};

function messageCard(ctx: PageContext, message: StoredMessage, likely: LikelyProbe[]): Html {
  const t = ctx.t.review;
  return html`<section class="card" data-message-id="${message.id}" aria-labelledby="msg-${message.id}">
    <h2 id="msg-${message.id}">${message.subject ?? ctx.t.none}</h2>
    <p class="muted">${t.from} ${message.from.name ? html`${message.from.name} ` : null}${message.from.address ?? ctx.t.none} · ${t.received} ${ctx.fmt.dateTime(message.receivedAt)} · ${ctx.t.brand.kind[message.kind] ?? message.kind}</p>
    ${message.replyText ? html`<p class="reply-text">${message.replyText.slice(0, 600)}</p>` : null}
    <p><a href="/messages/${message.id}/eml">${ctx.t.reply.eml}</a></p>
    <h3>${t.likely}</h3>
    ${likely.length === 0
      ? html`<p>${t.noCandidate}</p>`
      : html`<ul>
          ${likely.map(
            (p) => html`<li data-probe-id="${p.probeId}">
              ${p.brandName} · ${p.campaignName} · ${p.subject ?? ctx.t.none} · ${ctx.fmt.dateTime(p.sentAt)}${p.domainMatch ? html` · <strong>${t.domainMatch}</strong>` : null}
              ${ctx.canAct
                ? html`<form method="post" action="/review/${message.id}/assign">
                    ${csrfField(ctx)}
                    <input type="hidden" name="probeId" value="${p.probeId}">
                    <button class="primary" type="submit" aria-label="${t.assignTo(p.brandName, p.subject ?? '')}">${t.assign}</button>
                  </form>`
                : null}
            </li>`,
          )}
        </ul>`}
  </section>`;
}
