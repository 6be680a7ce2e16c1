/**
 * The dashboard, served at `/` by the API's own process: server-rendered pages that work
 * without JavaScript (there is none), behind a sign-in with an API key.
 *
 * - The session is a signed cookie (see `../session.ts`), `HttpOnly`, `SameSite=Strict`,
 *   `Secure` when the request came over TLS (or, with `trustProxy`, through a TLS proxy
 *   that says so in `X-Forwarded-Proto`). Every request checks the key is still valid.
 * - Every form carries a CSRF token bound to the session, checked on every POST; every
 *   action checks the role on the server, whatever the page showed.
 * - Every page has a strict Content-Security-Policy: no script at all, no frame around it.
 *
 * The pages call the flows and repositories the API routes call, so their figures are the
 * API's.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import csrf from '@fastify/csrf-protection';
import type { Pool } from '../../db/pool.ts';
import { findActiveApiKey } from '../../db/api-keys.repo.ts';
import { createKeyIdentifier, hasRole } from '../../flow/identify-key.ts';
import { html } from '../html.ts';
import {
  CSRF_COOKIE,
  SESSION_COOKIE,
  adminKeyTag,
  decodeSession,
  deriveSessionKeys,
  encodeSession,
  newSessionClaim,
  sameTag,
  type SessionKeys,
} from '../session.ts';
import { ANONYMOUS, pageContext, type ContextOptions, type PageContext, type Viewer } from './context.ts';
import { renderPage } from './layout.ts';
import { contentSecurityPolicy, styleElementHashes } from './csp.ts';
import { WebError } from './web-error.ts';
import { campaignPages } from './campaigns.pages.ts';
import { brandPages } from './brand.pages.ts';
import { replyPages } from './reply.pages.ts';
import { reviewPages } from './review.pages.ts';
import type { EventSink } from '../../flow/events.ts';
import { mailboxPages } from './mailboxes.pages.ts';
import { reportPages } from './report.pages.ts';
import { arbitrationPages } from './arbitrations.pages.ts';
import type { PdfRenderer } from '../pdf.ts';
import type { RateLimits } from '../../api/rate-limits.ts';
import { ApiProblem } from '../../api/problem.ts';

export interface DashboardDeps {
  pool: Pool;
  adminKey: string | null;
  /** The service's secret key (`SONDE_SECRET_KEY`); the session keys are derived from it. Random when absent: sessions then last as long as the process. */
  secretKey?: Buffer | undefined;
  /** Trust the TLS-terminating proxy in front (`SONDE_TRUST_PROXY`): `buildApp` sets Fastify's `trustProxy` from it (one hop). */
  trustProxy?: boolean | undefined;
  /** How long a sign-in lasts (`SONDE_SESSION_HOURS`). */
  sessionHours?: number | undefined;
  /** Renders the reports' PDF; the process's shared Chromium renderer when absent. */
  pdfRenderer?: PdfRenderer | undefined;
  /** The API's per-address budgets (`api/rate-limits.ts`), which the sign-in shares: requests, and failed keys. */
  signInLimits: RateLimits;
  /** Where an assignment's events (answer received…) go for the webhooks; none when no queue is wired. */
  events?: EventSink | undefined;
}

/** What the page modules receive. */
export interface PageDeps {
  pool: Pool;
  context: ContextOptions;
  events?: EventSink | undefined;
}

const STYLESHEET = readFileSync(new URL('./assets/dashboard.css', import.meta.url));

export const dashboardPlugin: FastifyPluginAsync<{ deps: DashboardDeps }> = async (app, { deps }) => {
  const keys: SessionKeys = deriveSessionKeys(deps.secretKey ?? randomBytes(32));
  const sessionHours = deps.sessionHours ?? 12;
  const identify = createKeyIdentifier({ db: deps.pool, adminKey: deps.adminKey });
  const adminTag = deps.adminKey ? adminKeyTag(keys, deps.adminKey) : null;

  // behind SONDE_TRUST_PROXY the app trusts the proxy's X-Forwarded-Proto (`buildApp`): Fastify's protocol says it
  const secure = (request: FastifyRequest): boolean => request.protocol === 'https';
  const context: ContextOptions = { secure };
  const cookieOptions = (request: FastifyRequest) => ({ path: '/', httpOnly: true, sameSite: 'strict' as const, secure: secure(request), signed: true });

  // HTML pages, not part of the REST API: kept out of the OpenAPI description
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  await app.register(cookie, { secret: keys.cookieSecret });
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', signed: true },
    getUserInfo: (request: FastifyRequest) => request.viewer?.sid ?? ANONYMOUS,
    csrfOpts: { hmacKey: keys.csrfKey },
  });
  if (!app.hasRequestDecorator('viewer')) app.decorateRequest('viewer', null);

  /** The session's key as the database (or the environment) says now; null ends the session. */
  async function resolveViewer(request: FastifyRequest): Promise<Viewer | null> {
    const raw = request.cookies[SESSION_COOKIE];
    if (!raw) return null;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return null;
    const claim = decodeSession(unsigned.value, new Date());
    if (!claim) return null;
    if (claim.keyId) {
      const key = await findActiveApiKey(deps.pool, claim.keyId);
      return key ? { sid: claim.sid, keyId: key.id, role: key.role, label: key.label } : null;
    }
    if (claim.adminTag && adminTag && sameTag(claim.adminTag, adminTag)) return { sid: claim.sid, keyId: null, role: 'admin', label: claim.label };
    return null;
  }

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config.dashboardAsset) return;
    request.viewer = await resolveViewer(request);
    if (!request.viewer && request.cookies[SESSION_COOKIE]) void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    if (config.dashboardPublic) return;
    if (!request.viewer) {
      if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect('/login', 303);
      throw new WebError(401);
    }
    if (config.dashboardRole && !hasRole(request.viewer.role, config.dashboardRole)) throw new WebError(403);
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('content-security-policy')) {
      const styles = typeof payload === 'string' ? styleElementHashes(payload) : [];
      void reply.header('content-security-policy', contentSecurityPolicy('page', styles));
    }
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('x-frame-options')) void reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    void reply.header('vary', 'Accept-Language, Cookie');
    return payload;
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status =
      error instanceof WebError || error instanceof ApiProblem ? error.status : error.code?.startsWith('FST_CSRF') ? 403 : error.validation ? 400 : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error }, 'dashboard page failed');
    const ctx = pageContext(request, reply, context);
    const message = errorMessage(ctx.t.errors, status, error, Number(reply.getHeader('retry-after')));
    const back = ctx.viewer ? '/' : '/login';
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(renderPage(ctx, { title: message, body: html`<p><a href="${back}">${ctx.t.errors.back}</a></p>` }));
  });

  app.get('/assets/dashboard.css', { config: { dashboardPublic: true, dashboardAsset: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );

  const loginPage = (request: FastifyRequest, reply: FastifyReply, notice: 'wrong' | 'signedOut' | null) => {
    const ctx = pageContext(request, reply, context);
    const t = ctx.t.login;
    return renderPage(ctx, {
      title: t.title,
      body: html`<div class="login card">
        <p>${t.intro}</p>
        ${notice === 'wrong' && html`<p class="error-box" role="alert">${t.wrongKey}</p>`}
        ${notice === 'signedOut' && html`<p class="notice" role="status">${t.signedOut}</p>`}
        <form method="post" action="/login">
          <input type="hidden" name="_csrf" value="${ctx.csrfToken}">
          <label for="key">${t.key}</label>
          <input id="key" name="key" type="password" autocomplete="current-password" required>
          <button class="primary" type="submit">${t.submit}</button>
        </form>
      </div>`,
    });
  };

  app.get<{ Querystring: { signedOut?: string } }>('/login', { config: { dashboardPublic: true } }, async (request, reply) => {
    if (request.viewer) return reply.redirect('/', 303);
    return reply.type('text/html; charset=utf-8').send(loginPage(request, reply, request.query.signedOut ? 'signedOut' : null));
  });

  app.post<{ Body: { key?: unknown } }>(
    '/login',
    {
      config: { dashboardPublic: true },
      // before the form's CSRF check and the key's lookup: an address over its budget costs nothing
      onRequest: deps.signInLimits.guard,
      preHandler: app.csrfProtection,
    },
    async (request, reply) => {
      const key = typeof request.body?.key === 'string' ? request.body.key.trim() : '';
      const holder = key ? await identify(key) : null;
      if (!holder) {
        await deps.signInLimits.countFailure(request);
        request.viewer = null;
        return reply.code(401).type('text/html; charset=utf-8').send(loginPage(request, reply, 'wrong'));
      }
      const claim = newSessionClaim({ ...holder, adminTag: holder.keyId ? null : adminTag }, new Date(), sessionHours);
      void reply.setCookie(SESSION_COOKIE, encodeSession(claim), { ...cookieOptions(request), maxAge: sessionHours * 3600 });
      return reply.redirect('/', 303);
    },
  );

  app.post('/logout', { preHandler: app.csrfProtection }, async (request, reply) => {
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    void reply.clearCookie(CSRF_COOKIE, { path: '/' });
    return reply.redirect('/login?signedOut=1', 303);
  });

  const pageDeps: PageDeps = { pool: deps.pool, context, events: deps.events };
  await app.register(campaignPages, { deps: pageDeps });
  await app.register(brandPages, { deps: pageDeps });
  await app.register(replyPages, { deps: pageDeps });
  await app.register(reviewPages, { deps: pageDeps });
  await app.register(mailboxPages, { deps: pageDeps });
  await app.register(arbitrationPages, { deps: pageDeps });
  await app.register(reportPages, { deps: { ...pageDeps, pdfRenderer: deps.pdfRenderer } });
};

/** The error page's words for `status`. */
function errorMessage(t: PageContext['t']['errors'], status: number, error: FastifyError, retryAfterSeconds: number): string {
  if (status === 429) return t.tooMany(Number.isFinite(retryAfterSeconds) ? retryAfterSeconds : 60);
  if (status === 404) return t.notFound;
  if (status === 401) return t.signIn;
  if (status === 403) return error.code?.startsWith('FST_CSRF') ? t.csrf : t.forbidden;
  return status < 500 ? t.badRequest : t.server;
}
