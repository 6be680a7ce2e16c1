/**
 * The service as a port scanner, and passwords in clear: mailbox hosts on private
 * networks are refused (at creation and at each connection, after DNS resolution), and
 * without TLS from the first byte STARTTLS is required unless the mailbox opts out.
 */
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { RefusedHostError, setHostPolicy } from '../../src/mail/host-guard.ts';
import { closeImap, connectImap } from '../../src/mail/imap-client.ts';
import { SmtpSendError, sendMail } from '../../src/mail/smtp.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createMailUser } from '../support/dovecot.ts';

let t: TestContext;
let smtp: SMTPServer;
let smtpPort = 0;
let accepted = 0;

beforeAll(async () => {
  t = await createTestContext();
  smtp = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        accepted++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as { port: number }).port;
});

afterEach(() => setHostPolicy({ allowPrivateHosts: true }));

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await t?.close();
});

const body = (imapHost: string, smtpHost = 'smtp.example.test') => ({
  label: 'Marie',
  address: 'marie.host@example.test',
  persona: { firstName: 'Marie', lastName: 'Dupont' },
  imap: { host: imapHost, port: 143, secure: false, user: 'marie', password: 'imap-Secret-123!' },
  smtp: { host: smtpHost, port: 25, secure: false, user: 'marie', password: 'smtp-Secret-456!' },
});

const message = {
  from: { name: 'Marie', address: 'marie@example.test' },
  to: 'contact@brand.test',
  subject: 'Question',
  text: 'Bonjour',
  messageId: 'host-guard@example.test',
  date: new Date(),
};

describe('mailbox hosts', () => {
  it('refuses a loopback, private or metadata host at creation and update with a 422 saying what to fix', async () => {
    setHostPolicy({ allowPrivateHosts: false });
    for (const [host, field] of [['127.0.0.1', 'imap'], ['localhost', 'imap'], ['169.254.169.254', 'imap']] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/mailboxes', payload: body(host), headers: t.auth() });
      expect(res.statusCode, host).toBe(422);
      expect(res.json().errors[0].field).toBe(`body/${field}/host`);
      expect(res.json().detail).toMatch(/public hosts.*SONDE_ALLOW_PRIVATE_HOSTS/u);
    }
    const smtpRefused = await t.app.inject({ method: 'POST', url: '/v1/mailboxes', payload: body('imap.example.test', '10.0.0.7'), headers: t.auth() });
    expect(smtpRefused.statusCode).toBe(422);
    expect(smtpRefused.json().errors[0].field).toBe('body/smtp/host');

    const created = await t.app.inject({ method: 'POST', url: '/v1/mailboxes', payload: body('imap.example.test'), headers: t.auth() });
    expect(created.statusCode, created.body).toBe(201);
    const patched = await t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${created.json().id}`, payload: { imap: { host: '192.168.1.1' } }, headers: t.auth() });
    expect(patched.statusCode).toBe(422);
  });

  it('holds a custom OAuth2 token endpoint to the same rule, and lets an OAuth2 login over a public host through', async () => {
    setHostPolicy({ allowPrivateHosts: false });
    const auth = (tokenUrl: string) => ({ type: 'oauth2', provider: 'custom', tokenUrl, clientId: 'c', clientSecret: 's', refreshToken: 'r' });
    const oauth2Body = (tokenUrl: string) => ({ ...body('imap.example.test'), address: 'marie.oauth2@example.test', imap: { host: 'imap.example.test', port: 993, secure: true, user: 'marie', auth: auth(tokenUrl) } });
    for (const tokenUrl of ['http://127.0.0.1:8080/token', 'http://[::1]/token', 'http://169.254.169.254/latest']) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/mailboxes', payload: oauth2Body(tokenUrl), headers: t.auth() });
      expect(res.statusCode, tokenUrl).toBe(422);
      expect(res.json().errors[0].field).toBe('body/imap/auth/tokenUrl');
    }
    const created = await t.app.inject({ method: 'POST', url: '/v1/mailboxes', payload: oauth2Body('https://idp.example.test/token'), headers: t.auth() });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().imap.auth).toMatchObject({ type: 'oauth2', tokenUrl: 'https://idp.example.test/token' });
  });

  it('refuses the connection itself to a private address, whatever was stored', async () => {
    const dovecot = inject('dovecot');
    const user = await createMailUser(dovecot, 'hostguard');
    const login = { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: user.user, password: user.password };
    setHostPolicy({ allowPrivateHosts: false });
    await expect(connectImap(login)).rejects.toBeInstanceOf(RefusedHostError);
    const before = accepted;
    const smtpFailure = await sendMail({ host: '127.0.0.1', port: smtpPort, secure: false, allowPlaintext: true, user: '', password: '' }, message).catch((err: unknown) => err);
    expect(smtpFailure).toBeInstanceOf(SmtpSendError);
    expect((smtpFailure as SmtpSendError).permanent).toBe(true);
    expect(accepted).toBe(before);

    setHostPolicy({ allowPrivateHosts: true });
    const connection = await connectImap(login);
    await closeImap(connection);
  });
});

describe('STARTTLS', () => {
  it('is required on IMAP unless the mailbox allows plain text', async () => {
    const dovecot = inject('dovecot'); // ssl = no: offers no STARTTLS
    const user = await createMailUser(dovecot, 'starttls');
    const login = { host: dovecot.host, port: dovecot.port, secure: false, user: user.user, password: user.password };
    const failure = await connectImap(login).catch((err: unknown) => err);
    expect((failure as { tlsFailed?: boolean }).tlsFailed).toBe(true);
    const connection = await connectImap({ ...login, allowPlaintext: true });
    expect(connection.client.authenticated).toBeTruthy();
    await closeImap(connection);
  });

  it('is required on SMTP unless the mailbox allows plain text; a relay without a login is used without one', async () => {
    const before = accepted;
    const login = { host: '127.0.0.1', port: smtpPort, secure: false, user: 'marie', password: 'secret' };
    const failure = await sendMail(login, message).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SmtpSendError);
    expect(accepted).toBe(before);
    await sendMail({ ...login, allowPlaintext: true }, message);
    await sendMail({ ...login, allowPlaintext: true, user: '', password: '' }, message);
    expect(accepted).toBe(before + 2);
  });
});
