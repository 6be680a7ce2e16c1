/**
 * Mailboxes that log in with OAuth2 (XOAUTH2): the API keeps client id, client secret
 * and refresh token write-only and sealed, validates the provider settings, and password
 * mailboxes work as before.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../src/audit/webhook-payload.ts';
import { mailboxOAuth2Context, mailboxPasswordContext } from '../../src/db/mailboxes.repo.ts';
import { insertProbe } from '../../src/db/probes.repo.ts';
import { startDovecot, type DovecotServer } from '../../src/devtools/dovecot.ts';
import { SMTPServer } from 'smtp-server';
import { assignMessage } from '../../src/flow/assign-message.ts';
import { openMailboxLogins } from '../../src/flow/mailbox-logins.ts';
import { MailboxSync } from '../../src/flow/sync-mailbox.ts';
import { sendMail } from '../../src/mail/smtp.ts';
import { AccessTokenCache } from '../../src/http/oauth2-token.ts';
import { createLogger } from '../../src/logger.ts';
import { ImapConnectionCache } from '../../src/mail/imap-client.ts';
import { pollMailbox, type PollDeps } from '../../src/queue/poll-mailbox.job.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { appendMessage } from '../support/imap.ts';
import { HOUR, newMessageId, rawMail } from '../support/mail-factory.ts';
import { startOAuth2Server, type TestOAuth2Server } from '../support/oauth2-server.ts';

let t: TestContext;
let oauth: TestOAuth2Server;
let dovecot: DovecotServer;
let redis: Redis;
const connections = new ImapConnectionCache();
const lockPrefix = `sonde-test-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  t = await createTestContext();
  oauth = await startOAuth2Server();
  // a Dovecot of this file's own: its oauth2 passdb asks this file's introspection endpoint
  dovecot = await startDovecot({ oauth2: { introspectionUrl: oauth.introspectionUrl } });
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});

afterAll(async () => {
  await connections.close();
  await dovecot?.stop();
  await oauth?.close();
  const keys = await redis.keys(`${lockPrefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
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

    const { rows } = await t.db.pool.query('select row_to_json(m)::text as json, imap_oauth2_enc, smtp_oauth2_enc, imap_password_enc from mailboxes m where id = $1', [box.id]);
    for (const secret of Object.values(SECRETS)) expect(rows[0].json).not.toContain(secret);
    expect(rows[0].imap_password_enc).toBeNull();
    expect(JSON.parse(t.secretBox.open(rows[0].imap_oauth2_enc, mailboxOAuth2Context(box.id, 'imap')))).toEqual(SECRETS);
    expect(JSON.parse(t.secretBox.open(rows[0].smtp_oauth2_enc, mailboxOAuth2Context(box.id, 'smtp')))).toEqual(SECRETS);
    // bound to its column: the IMAP credentials do not open as the SMTP ones
    expect(() => t.secretBox.open(rows[0].imap_oauth2_enc, mailboxOAuth2Context(box.id, 'smtp'))).toThrow();
  });

  it('renews one secret and keeps the others; switches back to a password', async () => {
    const created = (await post(oauth2Mailbox('marie.gmail@example.test', { type: 'oauth2', provider: 'google', ...SECRETS }))).json();
    expect(created.imap.auth).toEqual({ type: 'oauth2', provider: 'google', tokenUrl: 'https://oauth2.googleapis.com/token', scope: null });
    const renewed = await patch(created.id, { imap: { auth: { type: 'oauth2', provider: 'google', refreshToken: '1//a-new-refresh-token' } } });
    expect(renewed.statusCode, renewed.body).toBe(200);
    const { rows } = await t.db.pool.query('select imap_oauth2_enc from mailboxes where id = $1', [created.id]);
    expect(JSON.parse(t.secretBox.open(rows[0].imap_oauth2_enc, mailboxOAuth2Context(created.id, 'imap')))).toEqual({ ...SECRETS, refreshToken: '1//a-new-refresh-token' });

    const back = await patch(created.id, { imap: { password: 'an-app-password' } });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().imap.auth).toEqual({ type: 'password' });
    const after = await t.db.pool.query('select imap_oauth2_enc, imap_password_enc from mailboxes where id = $1', [created.id]);
    expect(after.rows[0].imap_oauth2_enc).toBeNull();
    expect(t.secretBox.open(after.rows[0].imap_password_enc, mailboxPasswordContext(created.id, 'imap'))).toBe('an-app-password');
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

describe('an oauth2 mailbox against Dovecot', () => {
  it('syncs with an access token, refreshes an expired one, and shows a revoked refresh token in syncState', async () => {
    const user = await dovecot.createUser('oauth');
    const refreshToken = oauth.grant(user.user);
    const res = await post({
      label: 'Marie (OAuth2)',
      address: user.address,
      persona: { firstName: 'Marie', lastName: 'Dupont' },
      imap: {
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        allowPlaintext: true, // the test Dovecot offers no STARTTLS
        user: user.user,
        auth: { type: 'oauth2', provider: 'custom', tokenUrl: oauth.tokenUrl, clientId: oauth.client.clientId, clientSecret: oauth.client.clientSecret, refreshToken },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const mailboxId: string = res.json().id;

    const events: WebhookEvent[] = [];
    const sync = new MailboxSync({
      pool: t.db.pool,
      secretBox: t.secretBox,
      connections,
      maxMessageBytes: 25 * 1024 * 1024,
      tokens: new AccessTokenCache(),
      events: { enqueue: async (batch) => void events.push(...batch) },
      logger: createLogger('silent'),
    });
    const deps: PollDeps = { redis, lockPrefix, logger: createLogger('silent'), sync };
    const poll = () => pollMailbox(deps, { mailboxId, trigger: 'api' });
    const mailbox = async () => (await t.app.inject({ method: 'GET', url: `/v1/mailboxes/${mailboxId}`, headers: t.auth() })).json();
    // the poll after a failure, once the backoff kept on the mailbox (syncState.nextPollAt) has passed
    const retry = async () => {
      const at = new Date((await mailbox()).syncState.nextPollAt).getTime();
      return pollMailbox({ ...deps, now: () => new Date(at + 1) }, { mailboxId, trigger: 'api' });
    };

    // a probe and the brand's answer, two hours later
    const sector = (await t.app.inject({ method: 'POST', url: '/v1/sectors', headers: t.auth(), payload: { name: 'Banque' } })).json();
    const brand = (await t.app.inject({ method: 'POST', url: '/v1/brands', headers: t.auth(), payload: { name: 'Banque OAuth', sectorId: sector.id, senderDomains: ['banque-oauth.fr'] } })).json();
    const campaign = (await t.app.inject({ method: 'POST', url: '/v1/campaigns', headers: t.auth(), payload: { name: 'OAuth', brandIds: [brand.id] } })).json();
    const sentAt = new Date('2026-03-02T08:00:00Z');
    const messageId = newMessageId('sonde.test');
    const probe = await insertProbe(t.db.pool, {
      campaignId: campaign.id, brandId: brand.id, mailboxId, channel: 'email', recipient: 'contact@banque-oauth.fr', personaAddress: user.address,
      subject: 'Frais de tenue de compte', body: 'Bonjour, quels sont vos frais ? Marie Dupont', messageId, sentAt, status: 'sent',
    });
    const answerAt = new Date(sentAt.getTime() + 2 * HOUR);
    await appendMessage(dovecot, user, 'INBOX', rawMail({
      from: 'Julie Martin <julie.martin@banque-oauth.fr>', to: user.address, subject: 'Re: Frais de tenue de compte',
      text: 'Bonjour Madame Dupont,\n\nLes frais sont de 2 euros par mois.\n\nCordialement,\nJulie Martin', date: answerAt, inReplyTo: messageId, references: [messageId],
    }), answerAt);

    const first = await poll();
    expect(first.status).toBe('done');
    expect(oauth.tokenRequests).toBe(1);
    expect(oauth.introspections).toBeGreaterThanOrEqual(1);
    expect((await mailbox()).syncState).toMatchObject({ lastError: null, consecutiveFailures: 0, lastUid: 1 });
    // the answer found by the sync is an event, emitted once
    expect(events.map((e) => e.type)).toEqual(['answer.received']);
    expect(events[0]).toMatchObject({ probe: { probeId: probe.id, brandId: brand.id, campaignId: campaign.id, delayHours: 2 } });

    // an auditor moves the answer to another probe by hand: that probe's new first answer is an event too
    const other = await insertProbe(t.db.pool, {
      campaignId: campaign.id, brandId: brand.id, mailboxId, channel: 'webform', recipient: 'https://banque-oauth.fr/contact', personaAddress: user.address,
      subject: 'Autre question', body: 'Bonjour', messageId: null, sentAt: new Date(sentAt.getTime() + HOUR), status: 'sent',
    });
    const { rows: stored } = await t.db.pool.query<{ id: string }>('select id from messages where mailbox_id = $1', [mailboxId]);
    const moved = await assignMessage(t.db.pool, { messageId: stored[0]!.id, probeId: other.id, kind: 'answer', by: 'test' });
    expect(moved.map((e) => [e.type, 'probe' in e ? e.probe.probeId : null, 'probe' in e ? e.probe.delayHours : null])).toEqual([['answer.received', other.id, 1]]);
    await assignMessage(t.db.pool, { messageId: stored[0]!.id, probeId: probe.id, kind: 'answer', by: 'test' });

    // the access token expires early (the cache still believes in it): the refused login is retried with a fresh one
    oauth.expireAccessTokens();
    await connections.drop(mailboxId);
    expect((await poll()).status).toBe('done');
    expect(oauth.tokenRequests).toBe(2);
    expect(events).toHaveLength(1);

    // the refresh token is revoked: the next refresh fails, in plain words, on the mailbox
    oauth.revoke(refreshToken);
    oauth.expireAccessTokens();
    await connections.drop(mailboxId);
    await expect(poll()).rejects.toMatchObject({ permanent: true });
    const failing = (await mailbox()).syncState;
    expect(failing.consecutiveFailures).toBe(1);
    expect(failing.lastError).toContain('refused the refresh token (invalid_grant: Token has been expired or revoked.)');
    expect(failing.lastError).not.toContain(refreshToken);
    expect(events.slice(1).map((e) => e.type)).toEqual(['mailbox.failing']);
    expect(events[1]).toMatchObject({ mailbox: { mailboxId, channel: 'imap', error: failing.lastError } });
    // until the backoff has passed, the mailbox waits; failing again after it is no news
    expect(await poll()).toMatchObject({ status: 'skipped', reason: 'backoff' });
    await expect(retry()).rejects.toMatchObject({ permanent: true });
    expect(events).toHaveLength(2);

    oauth.restore(refreshToken);
    expect((await retry()).status).toBe('done');
    expect((await mailbox()).syncState).toMatchObject({ lastError: null, consecutiveFailures: 0 });
    expect(events.slice(2).map((e) => e.type)).toEqual(['mailbox.recovered']);
  });

  it('refreshes an access token before it expires', async () => {
    const user = await dovecot.createUser('early');
    const refreshToken = oauth.grant(user.user);
    oauth.expiresIn = 2;
    try {
      const res = await post({
        label: 'Early', address: user.address, persona: { firstName: 'Marie', lastName: 'Dupont' },
        imap: { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: user.user, auth: { type: 'oauth2', provider: 'custom', tokenUrl: oauth.tokenUrl, clientId: oauth.client.clientId, clientSecret: oauth.client.clientSecret, refreshToken } },
      });
      const mailboxId: string = res.json().id;
      const sync = new MailboxSync({ pool: t.db.pool, secretBox: t.secretBox, connections, maxMessageBytes: 1 << 20, tokens: new AccessTokenCache() });
      const deps: PollDeps = { redis, lockPrefix, logger: createLogger('silent'), sync };
      const before = oauth.tokenRequests;
      expect((await pollMailbox(deps, { mailboxId, trigger: 'api' })).status).toBe('done');
      expect((await pollMailbox(deps, { mailboxId, trigger: 'api' })).status).toBe('done');
      expect(oauth.tokenRequests - before).toBe(1);
      // past half of its two-second life the token is renewed, still valid, before any login needs it
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await connections.drop(mailboxId);
      const introspections = oauth.introspections;
      expect((await pollMailbox(deps, { mailboxId, trigger: 'api' })).status).toBe('done');
      expect(oauth.tokenRequests - before).toBe(2);
      // one login, accepted at once: no refused token on the way
      expect(oauth.introspections - introspections).toBe(1);
    } finally {
      oauth.expiresIn = 3600;
    }
  });
});

describe('an oauth2 mailbox sending', () => {
  it('opens its SMTP login as an access token that an XOAUTH2 server accepts', async () => {
    const user = await dovecot.createUser('sender');
    const refreshToken = oauth.grant(user.user);
    const auth = { type: 'oauth2', provider: 'custom', tokenUrl: oauth.tokenUrl, clientId: oauth.client.clientId, clientSecret: oauth.client.clientSecret, refreshToken };
    const logins: string[] = [];
    // an SMTP server that speaks XOAUTH2 only and asks the introspection endpoint, as a provider does
    const server = new SMTPServer({
      authMethods: ['XOAUTH2'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (login, _session, callback) => {
        void fetch(oauth.introspectionUrl, { method: 'POST', body: new URLSearchParams({ token: login.accessToken ?? '' }) })
          .then((r) => r.json() as Promise<{ active: boolean; username?: string }>)
          .then((info) => {
            if (!info.active || info.username !== login.username) return callback(Object.assign(new Error('5.7.8 invalid token'), { responseCode: 535 }));
            logins.push(login.username!);
            callback(null, { user: login.username });
          }, callback);
      },
      onData: (stream, _session, callback) => {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    try {
      const res = await post({
        label: 'Sender', address: user.address, persona: { firstName: 'Marie', lastName: 'Dupont' },
        imap: { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: user.user, auth },
        smtp: { host: '127.0.0.1', port, secure: false, allowPlaintext: true, user: user.user, auth },
      });
      expect(res.statusCode, res.body).toBe(201);
      const opened = await openMailboxLogins(t.db.pool, t.secretBox, res.json().id);
      expect(opened!.oauth2).toEqual({ imap: true, smtp: true });
      expect(opened!.smtp!.password).toBeUndefined();
      const accepted = await sendMail(opened!.smtp!, {
        from: { name: 'Marie Dupont', address: user.address }, to: 'contact@banque.example', subject: 'Question', text: 'Bonjour',
        messageId: `oauth2-${Date.now()}@sonde.test`, date: new Date(),
      });
      expect(accepted.response).toMatch(/^250/);
      expect(logins).toEqual([user.user]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
