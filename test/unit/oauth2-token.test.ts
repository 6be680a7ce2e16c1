import { describe, expect, it } from 'vitest';
import {
  AccessTokenCache,
  OAuth2TokenError,
  defaultScope,
  refreshAccessToken,
  tokenEndpoint,
  type OAuth2Login,
} from '../../src/http/oauth2-token.ts';

const login: OAuth2Login = {
  tokenUrl: 'https://login.example.test/token',
  scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
  credentials: { clientId: 'the-client', clientSecret: 'the-client-secret', refreshToken: 'the-refresh-token' },
};

/** A token endpoint in a function: records the forms it gets, answers from a script. */
function endpoint(answer: (form: URLSearchParams, n: number) => { status: number; body: unknown }) {
  const forms: URLSearchParams[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    const form = new URLSearchParams(String(init.body));
    forms.push(form);
    const { status, body } = answer(form, forms.length);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { forms, fetch: fetchImpl };
}

describe('tokenEndpoint and defaultScope', () => {
  it('knows the presets', () => {
    expect(tokenEndpoint('google', {})).toBe('https://oauth2.googleapis.com/token');
    expect(tokenEndpoint('microsoft', { tenant: 'contoso.onmicrosoft.com' })).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(tokenEndpoint('microsoft', {})).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
    expect(tokenEndpoint('custom', { tokenUrl: 'https://idp.example.test/t' })).toBe('https://idp.example.test/t');
    expect(() => tokenEndpoint('custom', {})).toThrow(/tokenUrl/);
    expect(defaultScope('google', 'imap')).toBeNull();
    expect(defaultScope('microsoft', 'smtp')).toBe('https://outlook.office.com/SMTP.Send offline_access');
  });
});

describe('refreshAccessToken', () => {
  it('sends the refresh-token grant and reads the lifetime and a rotated refresh token', async () => {
    const e = endpoint(() => ({ status: 200, body: { access_token: 'at-1', expires_in: 120, refresh_token: 'rt-2' } }));
    const token = await refreshAccessToken(login, { fetch: e.fetch, now: () => new Date('2026-01-01T00:00:00Z') });
    expect(Object.fromEntries(e.forms[0]!)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'the-refresh-token',
      client_id: 'the-client',
      client_secret: 'the-client-secret',
      scope: login.scope,
    });
    expect(token).toEqual({ accessToken: 'at-1', expiresAt: new Date('2026-01-01T00:02:00Z'), refreshToken: 'rt-2' });
  });

  it('says a revoked grant in plain words, permanent, without a secret', async () => {
    const e = endpoint(() => ({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } }));
    const err = await refreshAccessToken(login, { fetch: e.fetch }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(OAuth2TokenError);
    expect((err as OAuth2TokenError).permanent).toBe(true);
    expect((err as Error).message).toBe(
      'the OAuth2 token endpoint login.example.test refused the refresh token (invalid_grant: Token has been expired or revoked.); the refresh token is revoked or expired: obtain a new one and update the mailbox',
    );
    expect((err as Error).message).not.toMatch(/the-refresh-token|the-client-secret/);
  });

  it('calls a server error or an unreachable endpoint temporary', async () => {
    const e = endpoint(() => ({ status: 503, body: {} }));
    const err = (await refreshAccessToken(login, { fetch: e.fetch }).catch((x: unknown) => x)) as OAuth2TokenError;
    expect(err.permanent).toBe(false);
    expect(err.message).toContain('HTTP 503');
    const down = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as unknown as typeof fetch;
    const unreachable = (await refreshAccessToken(login, { fetch: down }).catch((x: unknown) => x)) as OAuth2TokenError;
    expect(unreachable.permanent).toBe(false);
    expect(unreachable.message).toContain('could not be reached (ECONNREFUSED)');
  });
});

describe('AccessTokenCache', () => {
  it('reuses a token until the margin before its expiry, then refreshes', async () => {
    let now = new Date('2026-01-01T00:00:00Z').getTime();
    const e = endpoint((_form, n) => ({ status: 200, body: { access_token: `at-${n}`, expires_in: 3600 } }));
    const cache = new AccessTokenCache({ fetch: e.fetch, now: () => new Date(now), marginMs: 5 * 60_000 });
    expect((await cache.get(login)).accessToken).toBe('at-1');
    now += 54 * 60_000;
    expect((await cache.get(login)).accessToken).toBe('at-1');
    now += 2 * 60_000; // 4 minutes left: inside the margin
    expect((await cache.get(login)).accessToken).toBe('at-2');
    expect(e.forms).toHaveLength(2);
  });

  it('shares one refresh between callers, refreshes on demand, and keeps logins apart', async () => {
    const e = endpoint((_form, n) => ({ status: 200, body: { access_token: `at-${n}`, expires_in: 3600 } }));
    const cache = new AccessTokenCache({ fetch: e.fetch });
    const [a, b] = await Promise.all([cache.get(login), cache.get(login)]);
    expect([a.accessToken, b.accessToken]).toEqual(['at-1', 'at-1']);
    expect((await cache.get(login, { fresh: true })).accessToken).toBe('at-2');
    const other = { ...login, credentials: { ...login.credentials, refreshToken: 'another' } };
    expect((await cache.get(other)).accessToken).toBe('at-3');
    cache.forget(login);
    expect((await cache.get(login)).accessToken).toBe('at-4');
  });

  it('caps the margin at half a short lifetime, and retries after a failed refresh', async () => {
    let now = 0;
    let fail = true;
    const e = endpoint((_f, n) => (fail ? { status: 500, body: {} } : { status: 200, body: { access_token: `at-${n}`, expires_in: 60 } }));
    const cache = new AccessTokenCache({ fetch: e.fetch, now: () => new Date(now), marginMs: 5 * 60_000 });
    await expect(cache.get(login)).rejects.toBeInstanceOf(OAuth2TokenError);
    fail = false;
    expect((await cache.get(login)).accessToken).toBe('at-2');
    now += 29_000;
    expect((await cache.get(login)).accessToken).toBe('at-2');
    now += 2_000;
    expect((await cache.get(login)).accessToken).toBe('at-3');
  });
});
