/**
 * The URLs API clients give for the service to call (webhook receivers, custom OAuth2 token
 * endpoints) are held to the mail servers' host rule when the request connects, not only when
 * the URL is saved: the host is resolved then, and a name that now resolves to loopback (DNS
 * rebinding) or a private IP literal is refused before any byte is sent.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeGuardedFetch } from '../../src/http/guarded-fetch.ts';
import { OAuth2TokenError, refreshAccessToken } from '../../src/http/oauth2-token.ts';
import { postJson } from '../../src/http/webhook-post.ts';
import { setHostPolicy } from '../../src/mail/host-guard.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let t: TestContext;
let server: Server;
let port = 0;
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  t = await createTestContext();
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/token' ? JSON.stringify({ access_token: 'at-1', expires_in: 3600 }) : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterEach(() => setHostPolicy({ allowPrivateHosts: true }));
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t?.close();
});

const login = (tokenUrl: string) => ({ tokenUrl, scope: null, credentials: { clientId: 'c', clientSecret: 's', refreshToken: 'r' } });

describe('webhook receivers', () => {
  it('are refused when saved on a private host, saying which setting allows them', async () => {
    setHostPolicy({ allowPrivateHosts: false });
    const create = (url: string) => t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: t.auth(), payload: { url, events: ['answer.received'], secret: 'whsec-0123456789abcdef' } });
    const refused = await create(`http://localhost:${port}/hook`);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ errors: [{ field: 'body/url' }] });
    expect(refused.json().detail).toMatch(/loopback address: webhook receivers must be public hosts.*SONDE_ALLOW_PRIVATE_HOSTS/);
    setHostPolicy({ allowPrivateHosts: true });
    const created = await create(`http://localhost:${port}/hook`);
    expect(created.statusCode, created.body).toBe(201);
    setHostPolicy({ allowPrivateHosts: false });
    const patched = await t.app.inject({ method: 'PATCH', url: `/v1/webhooks/${created.json().id}`, headers: t.auth(), payload: { url: 'http://10.0.0.7/hook' } });
    expect(patched.statusCode).toBe(422);
  });
});

describe('webhook deliveries', () => {
  it('are refused at connection time when the host now resolves to loopback, or is a private literal', async () => {
    setHostPolicy({ allowPrivateHosts: false });
    const before = seen.length;
    // `localhost` stands for a receiver's name that resolved to a public address when saved
    const byName = await postJson(`http://localhost:${port}/hook`, '{}', {}, 2000);
    expect(byName).toMatchObject({ ok: false, statusCode: null });
    expect(byName.error).toMatch(/host is refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    const literal = await postJson(`http://127.0.0.1:${port}/hook`, '{}', {}, 2000);
    expect(literal.error).toMatch(/127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address/);
    const metadata = await postJson('http://169.254.169.254/latest/meta-data/', '{}', {}, 2000);
    expect(metadata.error).toMatch(/link-local/);
    expect(seen.length).toBe(before);
  });

  it('reach the checked address, the host keeping its name, when the operator allows private hosts', async () => {
    setHostPolicy({ allowPrivateHosts: true });
    const result = await postJson(`http://localhost:${port}/hook`, '{"a":1}', { 'x-test': '1' }, 2000);
    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(seen.at(-1)).toMatchObject({ url: '/hook', headers: { host: `localhost:${port}`, 'x-test': '1' } });
  });

  it('close their kept-alive connections when the process stops, and open a new one after', async () => {
    setHostPolicy({ allowPrivateHosts: true });
    expect(await postJson(`http://localhost:${port}/hook`, '{}', {}, 2000)).toMatchObject({ ok: true });
    const open = () => new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    expect(await open()).toBeGreaterThan(0);
    await closeGuardedFetch();
    for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await open()).toBe(0);
    expect(await postJson(`http://localhost:${port}/hook`, '{}', {}, 2000)).toMatchObject({ ok: true });
  });
});

describe('custom OAuth2 token endpoints', () => {
  it('are refused at connection time as well, in plain words', async () => {
    setHostPolicy({ allowPrivateHosts: false });
    const before = seen.length;
    const err = await refreshAccessToken(login(`http://localhost:${port}/token`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuth2TokenError);
    expect((err as Error).message).toMatch(/token endpoint localhost:\d+ is refused: localhost resolves to .*loopback/);
    expect(seen.length).toBe(before);
    setHostPolicy({ allowPrivateHosts: true });
    expect((await refreshAccessToken(login(`http://localhost:${port}/token`))).accessToken).toBe('at-1');
  });
});
