/** The frame of every dashboard page: language, navigation, who is signed in, the sign-out form. */
import { documentHtml, html, type Html } from '../html.ts';
import type { PageContext } from './context.ts';

export interface PageOptions {
  title: string;
  /** Shown under the title. */
  subtitle?: Html | string | null;
  body: Html;
}

export function renderPage(ctx: PageContext, opts: PageOptions): string {
  const { t, viewer } = ctx;
  const nav =
    viewer &&
    html`<nav aria-label="${t.nav.label}">
        <ul>
          <li><a href="/">${t.nav.campaigns}</a></li>
          <li><a href="/review">${t.nav.review}</a></li>
          <li><a href="/mailboxes">${t.nav.mailboxes}</a></li>
          ${ctx.canAct ? html`<li><a href="/arbitrations">${t.nav.arbitrations}</a></li>` : null}
        </ul>
      </nav>
      <div class="who">
        <span>${t.signedInAs(viewer.label, t.roles[viewer.role] ?? viewer.role)}</span>
        <form method="post" action="/logout">
          <input type="hidden" name="_csrf" value="${ctx.csrfToken}">
          <button type="submit">${t.signOut}</button>
        </form>
      </div>`;
  return documentHtml(html`<html lang="${ctx.lang}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${opts.title} · Sonde</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/assets/dashboard.css">
  </head>
  <body>
    <a class="skip" href="#main">${t.skip}</a>
    <header class="top">
      <a class="app" href="/">Sonde</a>
      ${nav}
    </header>
    <main id="main">
      <h1>${opts.title}</h1>
      ${opts.subtitle ? html`<p class="sub">${opts.subtitle}</p>` : null}
      ${opts.body}
    </main>
  </body>
</html>`);
}

/** A hidden CSRF field, for every form. */
export const csrfField = (ctx: PageContext) => html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
