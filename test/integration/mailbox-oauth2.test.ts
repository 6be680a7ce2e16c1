/**
 * Mailboxes that log in with OAuth2 (XOAUTH2): the API keeps client id, client secret
 * and refresh token write-only and sealed, validates the provider settings, and password
 * mailboxes work as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.ts';

let t: TestContext;

beforeAll(async () => {
  t = await createTestContext();
});

afterAll(async () => {
  await t?.close();
});

const SECRETS = { clientId: 'client-id-123.apps.example', clientSecret: 'client-secret-456', refreshToken: '1//refresh-token-789' };

const oauth2Mailbox = (address: string, auth: object, extra: object = {}) => ({
  label: 'Marie (Microsoft 365)',
  address,
  persona: { firstName: 'Marie', lastName: 'Dupont' },
  imap: { host: 'outlook.office365.com', port: 993, secure: true, user: address, auth },
  ...extra,
});

const post = (payload: object) => t.app.inject({ method: 'POST', url: '/v1/mailboxes', headers: t.auth(), payload });
const patch = (id: string, payload: object) => t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${id}`, headers: t.auth(), payload });

describe('oauth2 mailboxes in the API', () => {
  it('stores the credentials sealed, shows the provider and endpoint, never a secret', async () => {
    const res = await post(
      oauth2Mailbox('marie.m365@example.test', { type: 'oauth2', provider: 'microsoft', tenant: 'contoso.onmicrosoft.com', ...SECRETS }, {
        smtp: { host: 'smtp.office365.com', port: 587, secure: false, user: 'marie.m365@example.test', auth: { type: 'oauth2', provider: 'microsoft', ...SECRETS } },
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const box = res.json();
    expect(box.imap.auth).toEqual({
      type: 'oauth2',
      provider: 'microsoft',
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
    });
    expect(box.smtp.auth).toMatchObject({ type: 'oauth2', tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token', scope: 'https://outlook.office.com/SMTP.Send offline_access' });
    const texts = [res.body, (await t.app.inject({ method: 'GET', url: `/v1/mailboxes/${box.id}`, headers: t.auth() })).body];
    for (const text of texts) for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);

    const { rows } = await t.db.pool.query('select row_to_json(m)::text as json, imap_oauth2_enc, imap_password_enc from mailboxes m where id = $1', [box.id]);
    for (const secret of Object.values(SECRETS)) expect(rows[0].json).not.toContain(secret);
    expect(rows[0].imap_password_enc).toBeNull();
    expect(JSON.parse(t.secretBox.open(rows[0].imap_oauth2_enc))).toEqual(SECRETS);
  });

  it('renews one secret and keeps the others; switches back to a password', async () => {
    const created = (await post(oauth2Mailbox('marie.gmail@example.test', { type: 'oauth2', provider: 'google', ...SECRETS }))).json();
    expect(created.imap.auth).toEqual({ type: 'oauth2', provider: 'google', tokenUrl: 'https://oauth2.googleapis.com/token', scope: null });
    const renewed = await patch(created.id, { imap: { auth: { type: 'oauth2', provider: 'google', refreshToken: '1//a-new-refresh-token' } } });
    expect(renewed.statusCode, renewed.body).toBe(200);
    const { rows } = await t.db.pool.query('select imap_oauth2_enc from mailboxes where id = $1', [created.id]);
    expect(JSON.parse(t.secretBox.open(rows[0].imap_oauth2_enc))).toEqual({ ...SECRETS, refreshToken: '1//a-new-refresh-token' });

    const back = await patch(created.id, { imap: { password: 'an-app-password' } });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().imap.auth).toEqual({ type: 'password' });
    const after = await t.db.pool.query('select imap_oauth2_enc, imap_password_enc from mailboxes where id = $1', [created.id]);
    expect(after.rows[0].imap_oauth2_enc).toBeNull();
    expect(t.secretBox.open(after.rows[0].imap_password_enc)).toBe('an-app-password');
  });

  it('refuses incomplete or contradictory logins', async () => {
    const cases: Array<[object, number, string]> = [
      [{ type: 'oauth2', provider: 'google', clientId: 'x', clientSecret: 'y' }, 400, 'refreshToken'],
      [{ type: 'oauth2', provider: 'custom', ...SECRETS }, 400, 'tokenUrl'],
      [{ type: 'oauth2', provider: 'custom', tokenUrl: 'ftp://idp.example.test/token', ...SECRETS }, 400, 'tokenUrl'],
      [{ type: 'oauth2', provider: 'google', tokenUrl: 'https://elsewhere.example.test/token', ...SECRETS }, 400, 'tokenUrl'],
      [{ type: 'oauth2', provider: 'yahoo', ...SECRETS }, 400, 'provider'],
      [{ type: 'password' }, 400, 'password'],
    ];
    for (const [auth, status, field] of cases) {
      const res = await post(oauth2Mailbox(`refused.${Math.random().toString(36).slice(2)}@example.test`, auth));
      expect(res.statusCode, JSON.stringify(auth)).toBe(status);
      expect(res.body, JSON.stringify(auth)).toContain(field);
    }
    const both = await post(oauth2Mailbox('both@example.test', { type: 'oauth2', provider: 'google', ...SECRETS }, {}));
    expect(both.statusCode).toBe(201);
    const res = await post({ ...oauth2Mailbox('both2@example.test', { type: 'oauth2', provider: 'google', ...SECRETS }), imap: { host: 'h.example.test', port: 993, secure: true, user: 'u', password: 'p', auth: { type: 'oauth2', provider: 'google', ...SECRETS } } });
    expect(res.statusCode).toBe(400);
    const none = await post({ ...oauth2Mailbox('none@example.test', {}), imap: { host: 'h.example.test', port: 993, secure: true, user: 'u' } });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('password');
  });
});
