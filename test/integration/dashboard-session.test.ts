/**
 * The dashboard's sign-in, session and guards, through `inject` on a real app and database:
 * a wrong key signs nobody in, a right one gets a signed, HttpOnly, SameSite=Strict cookie
 * (Secure behind a trusted TLS proxy), a revoked key's session ends, every POST needs its
 * CSRF token, every action its role, and every page carries a strict CSP.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.ts';
import { csrfOf, get, newJar, post } from '../support/dashboard-client.ts';

let t: TestContext;
let proxied: TestContext;
let readerKey: string;
let auditorKey: string;

/** Signs in with `key`, whatever the outcome: the tests look at the answer (a wrong key is one of them). */
async function signIn(app: TestContext['app'], key: string, headers: Record<string, string> = {}) {
  const jar = newJar();
  const form = await get(app, jar, '/login', headers);
  const res = await post(app, jar, '/login', { _csrf: csrfOf(form.body), key }, headers);
  return { jar, res };
}

beforeAll(async () => {
  t = await createTestContext({ dashboard: { secretKey: randomBytes(32) } });
  proxied = await createTestContext({ dashboard: { secretKey: randomBytes(32), trustProxy: true } });
  const reader = await t.app.inject({ method: 'POST', url: '/v1/keys', headers: t.auth(), payload: { label: 'Lectrice', role: 'reader' } });
  readerKey = reader.json().key;
  const auditor = await t.app.inject({ method: 'POST', url: '/v1/keys', headers: t.auth(), payload: { label: 'Auditeur', role: 'auditor' } });
  auditorKey = auditor.json().key;
});

afterAll(async () => {
  await t?.close();
  await proxied?.close();
});

describe('signing in to the dashboard', () => {
  it('sends a visitor without a session to the sign-in form, in French first', async () => {
    const jar = newJar();
    const home = await get(t.app, jar, '/');
    expect(home.statusCode).toBe(303);
    expect(home.headers.location).toBe('/login');
    const form = await get(t.app, jar, '/login');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<html lang="fr">');
    expect(form.body).toContain('Clé d&#39;API');
    const english = await get(t.app, newJar(), '/login', { 'accept-language': 'en-GB,en;q=0.9' });
    expect(english.body).toContain('<html lang="en">');
    expect(english.body).toContain('API key');
  });

  it('signs nobody in with a wrong key, and says so with a 401', async () => {
    const { jar, res } = await signIn(t.app, 'sonde_not-a-key-at-all');
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('inconnue ou révoquée');
    expect(jar.cookies.has('sonde_session')).toBe(false);
    expect((await get(t.app, jar, '/')).statusCode).toBe(303);
  });

  it("shares the API's budget of failed keys per address: guesses in the form and in headers add up, then even a good key waits", async () => {
    const guarded = await createTestContext({ dashboard: { secretKey: randomBytes(32) }, authFailuresPerMinute: 3, rateLimitPerMinute: 1000 });
    try {
      const reader = (await guarded.app.inject({ method: 'POST', url: '/v1/keys', headers: guarded.auth(), payload: { label: 'Lectrice', role: 'reader' } })).json().key as string;
      expect((await signIn(guarded.app, 'sonde_guess-1')).res.statusCode).toBe(401);
      expect((await guarded.app.inject({ url: '/v1/sectors', headers: guarded.auth('sonde_guess-2') })).statusCode).toBe(401);
      expect((await signIn(guarded.app, 'sonde_guess-3')).res.statusCode).toBe(401);
      const refused = await signIn(guarded.app, reader);
      expect(refused.res.statusCode).toBe(429);
      expect(refused.res.headers['content-type']).toMatch(/text\/html/);
      expect(refused.res.body).toMatch(/Trop de tentatives depuis cette adresse : réessayez dans \d+ s/);
      expect(refused.jar.cookies.has('sonde_session')).toBe(false);
      expect((await guarded.app.inject({ url: '/v1/sectors', headers: guarded.auth(reader) })).statusCode).toBe(429);
      // another address is not concerned
      const other = await guarded.app.inject({ url: '/v1/sectors', headers: guarded.auth(reader), remoteAddress: '203.0.113.9' });
      expect(other.statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('refuses a sign-in without its CSRF token', async () => {
    const jar = newJar();
    await get(t.app, jar, '/login');
    const res = await post(t.app, jar, '/login', { key: readerKey });
    expect(res.statusCode).toBe(403);
    expect(jar.cookies.has('sonde_session')).toBe(false);
  });

  it('signs a key in with a signed, HttpOnly, SameSite=Strict cookie, and out again', async () => {
    const { jar, res } = await signIn(t.app, auditorKey);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    const line = [res.headers['set-cookie']].flat().find((c) => c!.startsWith('sonde_session='))!;
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Strict/i);
    expect(line).not.toMatch(/Secure/i);
    const home = await get(t.app, jar, '/');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('Auditeur (auditeur)');

    // a session cookie whose content was changed (the role raised) is no session
    const forged = newJar();
    const [value] = jar.cookies.get('sonde_session')!.split('.');
    const claim = JSON.parse(Buffer.from(decodeURIComponent(value!), 'base64url').toString());
    forged.cookies.set('sonde_session', `${Buffer.from(JSON.stringify({ ...claim, role: 'admin' })).toString('base64url')}.${jar.cookies.get('sonde_session')!.split('.')[1]}`);
    expect((await get(t.app, forged, '/')).statusCode).toBe(303);

    const out = await post(t.app, jar, '/logout', { _csrf: csrfOf(home.body) });
    expect(out.statusCode).toBe(303);
    expect(jar.cookies.has('sonde_session')).toBe(false);
    expect((await get(t.app, jar, '/')).statusCode).toBe(303);
  });

  it('marks the cookie Secure behind a trusted TLS proxy', async () => {
    const key = (await proxied.app.inject({ method: 'POST', url: '/v1/keys', headers: proxied.auth(), payload: { label: 'P', role: 'reader' } })).json().key;
    const { res } = await signIn(proxied.app, key, { 'x-forwarded-proto': 'https' });
    expect(res.statusCode).toBe(303);
    expect([res.headers['set-cookie']].flat().find((c) => c!.startsWith('sonde_session='))).toMatch(/; Secure/i);
    // the same header from a client of a service that trusts no proxy changes nothing
    const direct = await signIn(t.app, readerKey, { 'x-forwarded-proto': 'https' });
    expect([direct.res.headers['set-cookie']].flat().find((c) => c!.startsWith('sonde_session='))).not.toMatch(/; Secure/i);
  });

  it('signs the admin key from the environment in', async () => {
    const { jar } = await signIn(t.app, t.adminKey);
    const home = await get(t.app, jar, '/mailboxes');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('SONDE_ADMIN_KEY (administrateur)');
  });

  it("ends a revoked key's session at its next request", async () => {
    const key = await t.app.inject({ method: 'POST', url: '/v1/keys', headers: t.auth(), payload: { label: 'Bientôt révoquée', role: 'reader' } });
    const { jar } = await signIn(t.app, key.json().key);
    expect((await get(t.app, jar, '/')).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/keys/${key.json().id}`, headers: t.auth() })).statusCode).toBe(204);
    expect((await get(t.app, jar, '/')).statusCode).toBe(303);
  });
});

describe('guards on every page and action', () => {
  it('puts a strict Content-Security-Policy on every page, with no script allowed', async () => {
    const { jar } = await signIn(t.app, readerKey);
    for (const url of ['/login', '/', '/review', '/mailboxes']) {
      const res = await get(t.app, jar, url);
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toContain("default-src 'none'");
      expect(csp, url).toContain("script-src 'none'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("img-src 'self' data:");
      expect(res.body, url).not.toMatch(/<script/i);
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('refuses a reader an action even with a valid CSRF token (403), and anyone without a token', async () => {
    const reader = await signIn(t.app, readerKey);
    const page = await get(t.app, reader.jar, '/review');
    const token = csrfOf(page.body);
    expect(token).not.toBe('');
    const id = '00000000-0000-4000-8000-000000000001';
    const forged = await post(t.app, reader.jar, `/review/${id}/assign`, { _csrf: token, probeId: id });
    expect(forged.statusCode).toBe(403);
    const evaluation = await post(t.app, reader.jar, `/replies/${id}/evaluation`, { _csrf: token, 'value.spelling': '10', 'comment.spelling': 'x' });
    expect(evaluation.statusCode).toBe(403);

    const auditor = await signIn(t.app, auditorKey);
    const noToken = await post(t.app, auditor.jar, `/review/${id}/assign`, { probeId: id });
    expect(noToken.statusCode).toBe(403);
    // a token from another session does not do either
    const stolen = await post(t.app, auditor.jar, `/review/${id}/assign`, { _csrf: token, probeId: id });
    expect(stolen.statusCode).toBe(403);
    // the auditor's own token gets through to the action (an unknown message: 404)
    const own = csrfOf((await get(t.app, auditor.jar, '/review')).body);
    expect((await post(t.app, auditor.jar, `/review/${id}/assign`, { _csrf: own, probeId: id })).statusCode).toBe(404);
  });

  it('keeps the HTML pages out of the OpenAPI description and /v1 as it was', async () => {
    const docs = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(docs.paths)).not.toContain('/login');
    expect(Object.keys(docs.paths)).toContain('/v1/stats');
    const v1 = await t.app.inject({ method: 'GET', url: '/v1/stats' });
    expect(v1.statusCode).toBe(401);
    expect(v1.headers['content-type']).toContain('application/problem+json');
  });

});
