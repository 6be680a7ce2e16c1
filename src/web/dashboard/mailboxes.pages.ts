/** `/mailboxes`: the test mailboxes, their last poll, last error and sending state. */
import type { FastifyPluginAsync } from 'fastify';
import { listMailboxes } from '../../db/mailboxes.repo.ts';
import { html } from '../html.ts';
import { pageContext } from './context.ts';
import { renderPage } from './layout.ts';
import type { PageDeps } from './plugin.ts';

export const mailboxPages: FastifyPluginAsync<{ deps: PageDeps }> = async (app, { deps }) => {
  app.get('/mailboxes', async (request, reply) => {
    const page = await listMailboxes(deps.pool, { limit: 500 });
    const ctx = pageContext(request, reply, deps.context);
    const t = ctx.t.mailboxes;
    const rows = page.items.map((m) => {
      const sync = m.syncState;
      return html`<tr data-mailbox-id="${m.id}">
        <td>${m.label}${m.enabled ? null : html` <span class="muted">(${t.disabled})</span>`}</td>
        <td>${m.address}</td>
        <td>${sync.lastPolledAt ? ctx.fmt.dateTime(sync.lastPolledAt) : t.never}</td>
        <td>${sync.lastError
          ? html`<span class="bad">${sync.lastError}</span><br><span class="muted">${ctx.fmt.dateTime(sync.lastErrorAt)} · ${t.failures(sync.consecutiveFailures)}</span>`
          : html`<span class="good">${t.ok}</span>`}</td>
        <td>${m.sendState.lastError
          ? html`<span class="bad">${m.sendState.lastError}</span><br><span class="muted">${ctx.fmt.dateTime(m.sendState.lastErrorAt)}</span>`
          : html`<span class="good">${t.ok}</span>`}</td>
      </tr>`;
    });
    const body =
      rows.length === 0
        ? html`<p>${t.none}</p>`
        : html`<table>
            <thead><tr><th scope="col">${t.label}</th><th scope="col">${t.address}</th><th scope="col">${t.lastPoll}</th><th scope="col">${t.lastError}</th><th scope="col">${t.sendState}</th></tr></thead>
            <tbody>${rows}</tbody>
          </table>`;
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: t.title, body }));
  });
};
