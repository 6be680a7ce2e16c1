/**
 * OAuth2 access tokens for mailbox logins (XOAUTH2): the refresh-token grant against a
 * provider's token endpoint (RFC 6749 §6), and a per-process cache that refreshes a
 * token before it expires, shares one refresh between concurrent callers, and forgets a
 * token the mail server refused. The HTTP call is injectable (`fetch`), so the decisions
 * are tested without a network; the token server of the integration tests is a real one.
 *
 * Errors are `OAuth2TokenError`, in plain words fit for a mailbox's `lastError`; they
 * never quote a secret (the endpoint's own `error` and `error_description` only).
 */
import { createHash } from 'node:crypto';
import { guardedFetch, refusedHostReason } from './guarded-fetch.ts';

export const OAUTH2_PROVIDERS = ['google', 'microsoft', 'custom'] as const;
export type OAuth2Provider = (typeof OAUTH2_PROVIDERS)[number];

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const microsoftTokenUrl = (tenant: string) => `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;

/** The token endpoint of a preset, or the custom URL given. */
export function tokenEndpoint(provider: OAuth2Provider, options: { tenant?: string | undefined; tokenUrl?: string | undefined }): string {
  if (provider === 'google') return GOOGLE_TOKEN_URL;
  if (provider === 'microsoft') return microsoftTokenUrl(options.tenant ?? 'common');
  if (!options.tokenUrl) throw new Error('a custom OAuth2 provider needs its tokenUrl');
  return options.tokenUrl;
}

/**
 * The scope to ask on refresh when none is configured. Google keeps the consented scope
 * (`https://mail.google.com/`) without one; Microsoft's v2 endpoint wants the resource's.
 */
export function defaultScope(provider: OAuth2Provider, channel: 'imap' | 'smtp'): string | null {
  if (provider !== 'microsoft') return null;
  return channel === 'imap' ? 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access' : 'https://outlook.office.com/SMTP.Send offline_access';
}

export interface OAuth2Credentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface OAuth2Login {
  tokenUrl: string;
  scope: string | null;
  credentials: OAuth2Credentials;
}

export interface AccessToken {
  accessToken: string;
  expiresAt: Date;
  /** A new refresh token, when the endpoint rotated it (Microsoft does): store it in place of the old one. */
  refreshToken: string | null;
}

export class OAuth2TokenError extends Error {
  override name = 'OAuth2TokenError';
  constructor(
    message: string,
    /** The grant itself is refused (revoked, expired, wrong client): retrying changes nothing. */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

type Fetch = typeof fetch;

/** Errors of the token endpoint that no retry cures. */
const PERMANENT_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);
/** When the endpoint gives no lifetime. */
const DEFAULT_LIFETIME_S = 3600;

/** One refresh-token grant. */
export async function refreshAccessToken(login: OAuth2Login, options: { fetch?: Fetch; timeoutMs?: number; now?: () => Date } = {}): Promise<AccessToken> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: login.credentials.refreshToken,
    client_id: login.credentials.clientId,
    client_secret: login.credentials.clientSecret,
  });
  if (login.scope) form.set('scope', login.scope);
  const host = safeHost(login.tokenUrl);
  let response: Response;
  try {
    // the endpoint's host is checked again at connection time (a custom tokenUrl comes from an API client)
    response = await (options.fetch ?? guardedFetch)(login.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string }; message?: string };
    const refused = refusedHostReason(err);
    if (refused) throw new OAuth2TokenError(`the OAuth2 token endpoint ${host} is refused: ${refused}`, false);
    const why = e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.message ?? 'network error');
    throw new OAuth2TokenError(`the OAuth2 token endpoint ${host} could not be reached (${why}); the next poll tries again`, false);
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok || !body || typeof body.access_token !== 'string') {
    const code = typeof body?.error === 'string' ? body.error : null;
    const description = typeof body?.error_description === 'string' ? body.error_description.slice(0, 300) : null;
    const said = code ? `${code}${description ? `: ${description}` : ''}` : `HTTP ${response.status}`;
    if (code && PERMANENT_ERRORS.has(code)) {
      const advice = code === 'invalid_grant' ? 'the refresh token is revoked or expired: obtain a new one and update the mailbox' : 'check the client id and client secret';
      throw new OAuth2TokenError(`the OAuth2 token endpoint ${host} refused the refresh token (${said}); ${advice}`, true);
    }
    throw new OAuth2TokenError(`the OAuth2 token endpoint ${host} gave no access token (${said})`, false);
  }
  const lifetime = Number(body.expires_in);
  const now = (options.now ?? (() => new Date()))();
  const rotated = typeof body.refresh_token === 'string' && body.refresh_token !== login.credentials.refreshToken ? body.refresh_token : null;
  return {
    accessToken: body.access_token,
    expiresAt: new Date(now.getTime() + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : DEFAULT_LIFETIME_S) * 1000),
    refreshToken: rotated,
  };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

export interface TokenCacheOptions {
  fetch?: Fetch;
  now?: () => Date;
  /** Refresh this long before the expiry (capped at half the token's lifetime). */
  marginMs?: number;
  timeoutMs?: number;
}

/**
 * Access tokens in memory, per process, keyed by a hash of the login (so new
 * credentials never meet an old token). A token is refreshed once less than the margin
 * of its life is left; callers asking together share one refresh.
 */
export class AccessTokenCache {
  private readonly tokens = new Map<string, { accessToken: string; expiresAt: number; refreshAt: number }>();
  private readonly inflight = new Map<string, Promise<AccessToken>>();

  constructor(private readonly options: TokenCacheOptions = {}) {}

  /** A valid access token; `fresh: true` refreshes whatever the cache holds (after a refused login). */
  async get(login: OAuth2Login, opts: { fresh?: boolean } = {}): Promise<AccessToken> {
    const key = cacheKey(login);
    const now = this.now();
    const cached = this.tokens.get(key);
    if (cached && !opts.fresh && now < cached.refreshAt) return { accessToken: cached.accessToken, expiresAt: new Date(cached.expiresAt), refreshToken: null };
    const running = this.inflight.get(key);
    if (running) return running;
    const refresh = refreshAccessToken(login, this.options)
      .then((token) => {
        const lifetime = token.expiresAt.getTime() - this.now();
        const margin = Math.min(this.options.marginMs ?? 5 * 60_000, lifetime / 2);
        const entry = { accessToken: token.accessToken, expiresAt: token.expiresAt.getTime(), refreshAt: token.expiresAt.getTime() - margin };
        this.tokens.set(key, entry);
        if (token.refreshToken) this.tokens.set(cacheKey({ ...login, credentials: { ...login.credentials, refreshToken: token.refreshToken } }), entry);
        return token;
      })
      .catch((err: unknown) => {
        this.tokens.delete(key);
        throw err;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, refresh);
    return refresh;
  }

  /** Forgets the token of a login (the server refused it). */
  forget(login: OAuth2Login): void {
    this.tokens.delete(cacheKey(login));
  }

  private now(): number {
    return (this.options.now ?? (() => new Date()))().getTime();
  }
}

function cacheKey(login: OAuth2Login): string {
  const { clientId, clientSecret, refreshToken } = login.credentials;
  return createHash('sha256').update([login.tokenUrl, login.scope ?? '', clientId, clientSecret, refreshToken].join('\u0000')).digest('hex');
}
