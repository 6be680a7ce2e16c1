/**
 * A local OAuth2 authorisation server for the tests (scaffolding, not product code): a
 * token endpoint that honours the refresh-token grant, and an introspection endpoint
 * (RFC 7662) that Dovecot's `oauth2` passdb asks whether an access token is active.
 * Tokens can be expired and refresh tokens revoked, as a provider would.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface OAuth2Client {
  clientId: string;
  clientSecret: string;
}

export interface TestOAuth2Server {
  url: string;
  tokenUrl: string;
  introspectionUrl: string;
  client: OAuth2Client;
  /** Lifetime of the access tokens it issues, in seconds. */
  expiresIn: number;
  /** Refresh-token grants answered (successful or not). */
  tokenRequests: number;
  introspections: number;
  /** A refresh token that logs in as this IMAP user. */
  grant(user: string): string;
  revoke(refreshToken: string): void;
  /** Takes a revocation back (a provider's outage is over). */
  restore(refreshToken: string): void;
  /** Every access token issued so far stops being active (an early expiry). */
  expireAccessTokens(): void;
  close(): Promise<void>;
}

export async function startOAuth2Server(): Promise<TestOAuth2Server> {
  const client = { clientId: `client-${randomBytes(4).toString('hex')}`, clientSecret: randomBytes(16).toString('hex') };
  const refreshTokens = new Map<string, { user: string; revoked: boolean }>();
  const accessTokens = new Map<string, { user: string; expiresAt: number }>();
  const state: TestOAuth2Server = {
    url: '',
    tokenUrl: '',
    introspectionUrl: '',
    client,
    expiresIn: 3600,
    tokenRequests: 0,
    introspections: 0,
    grant(user) {
      const token = `rt-${randomBytes(12).toString('hex')}`;
      refreshTokens.set(token, { user, revoked: false });
      return token;
    },
    revoke(token) {
      const entry = refreshTokens.get(token);
      if (entry) entry.revoked = true;
    },
    restore(token) {
      const entry = refreshTokens.get(token);
      if (entry) entry.revoked = false;
    },
    expireAccessTokens() {
      for (const entry of accessTokens.values()) entry.expiresAt = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const json = (res: import('node:http').ServerResponse, status: number, body: object) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (req.method === 'POST' && req.url === '/token') {
        state.tokenRequests++;
        if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) {
          return json(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
        }
        if (form.get('grant_type') !== 'refresh_token') return json(res, 400, { error: 'unsupported_grant_type' });
        const grant = refreshTokens.get(form.get('refresh_token') ?? '');
        if (!grant || grant.revoked) return json(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
        const accessToken = `at-${randomBytes(16).toString('hex')}`;
        accessTokens.set(accessToken, { user: grant.user, expiresAt: Date.now() + state.expiresIn * 1000 });
        return json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: state.expiresIn, scope: 'https://mail.google.com/' });
      }
      if (req.method === 'POST' && req.url === '/introspect') {
        state.introspections++;
        const entry = accessTokens.get(form.get('token') ?? '');
        if (!entry || entry.expiresAt <= Date.now()) return json(res, 200, { active: false });
        return json(res, 200, { active: true, username: entry.user, exp: Math.floor(entry.expiresAt / 1000) });
      }
      json(res, 404, { error: 'not_found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  state.url = `http://127.0.0.1:${address.port}`;
  state.tokenUrl = `${state.url}/token`;
  state.introspectionUrl = `${state.url}/introspect`;
  return state;
}
