/**
 * The campaign page's held sends: a short notice at the top ("3 sends held for review") that
 * links to the list below it, each send with its brand, when it was held and why, linked to
 * the probe on the brand's page. Settling one is the API's (`…/held-resolution`).
 */
import type { HeldSend } from '../../db/held-sends.repo.ts';
import { html, type Html } from '../html.ts';
import type { PageContext } from './context.ts';

export function heldNotice(ctx: PageContext, sends: readonly HeldSend[]): Html | null {
  if (sends.length === 0) return null;
  return html`<p class="warning" role="status"><a href="#held-sends">${ctx.t.held.notice(sends.length)}</a></p>`;
}

export function heldSection(ctx: PageContext, campaignId: string, sends: readonly HeldSend[]): Html | null {
  if (sends.length === 0) return null;
  const t = ctx.t.held;
  return html`<section class="card" id="held-sends" aria-labelledby="held-title">
    <h2 id="held-title">${t.title}</h2>
    <p class="muted">${t.help}</p>
    <table>
      <thead><tr><th scope="col">${t.probe}</th><th scope="col">${t.brand}</th><th scope="col">${t.subject}</th><th scope="col">${t.since}</th><th scope="col">${t.reason}</th></tr></thead>
      <tbody>
        ${sends.map(
          (s) => html`<tr data-held-probe-id="${s.probeId}"${s.reminderSeq === null ? null : html` data-held-reminder-seq="${String(s.reminderSeq)}"`}>
            <td><a href="/campaigns/${campaignId}/brands/${s.brandId}#probe-${s.probeId}">${s.reminderSeq === null ? t.probe : t.reminder(s.reminderSeq)}</a> <code>${s.probeId}</code></td>
            <td>${s.brandName}</td>
            <td>${s.subject ?? '—'}</td>
            <td>${ctx.fmt.dateTime(s.heldAt)}</td>
            <td>${s.reason ?? '—'}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
