/**
 * The key that seals mailbox passwords, OAuth2 credentials and webhook secrets: rotated by `sonde secrets rotate` (all rows in one
 * transaction), checked at start, and named plainly when a process runs with another one.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailboxOAuth2Context } from '../../src/db/mailboxes.repo.ts';
import { webhookSecretContext } from '../../src/db/webhooks.repo.ts';
import { checkStoredSecrets, openMailboxLogins, rotateStoredSecrets } from '../../src/flow/mailbox-logins.ts';
import { MailboxSync } from '../../src/flow/sync-mailbox.ts';
import { ImapConnectionCache } from '../../src/mail/imap-client.ts';
import { SecretKeyMismatchError, createSecretBox } from '../../src/secrets.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let t: TestContext;
const ids: string[] = [];
let oauth2Id = '';
let webhookId = '';
const OAUTH2 = { clientId: 'client-rot', clientSecret: 'client-secret-rot', refreshToken: '1//refresh-rot' };
const WEBHOOK_SECRET = 'webhook-secret-0123456789';

const mailbox = (n: number, smtp: boolean) => ({
  label: `Boîte ${n}`,
  address: `rotation.${n}@example.test`,
  persona: { firstName: 'Marie', lastName: 'Dupont' },
  imap: { host: 'imap.example.test', port: 993, secure: true, user: `u${n}`, password: `imap-${n}` },
  ...(smtp ? { smtp: { host: 'smtp.example.test', port: 465, secure: true, user: `u${n}`, password: `smtp-${n}` } } : {}),
});

beforeAll(async () => {
  t = await createTestContext();
  for (const [n, smtp] of [[1, true], [2, false], [3, true]] as const) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/mailboxes', payload: mailbox(n, smtp), headers: t.auth() });
    expect(res.statusCode, res.body).toBe(201);
    ids.push(res.json().id);
  }
  // an OAuth2 mailbox (no password at all) and a webhook: their secrets rotate too
  const auth = { type: 'oauth2', provider: 'google', ...OAUTH2 };
  const oauth2 = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: t.auth(),
    payload: {
      label: 'OAuth2',
      address: 'rotation.oauth2@example.test',
      persona: { firstName: 'Marie', lastName: 'Dupont' },
      imap: { host: 'imap.example.test', port: 993, secure: true, user: 'o', auth },
      smtp: { host: 'smtp.example.test', port: 465, secure: true, user: 'o', auth },
    },
  });
  expect(oauth2.statusCode, oauth2.body).toBe(201);
  oauth2Id = oauth2.json().id;
  const hook = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: t.auth(),
    payload: { url: 'https://hooks.example.test/sonde', events: ['probe.overdue'], secret: WEBHOOK_SECRET },
  });
  expect(hook.statusCode, hook.body).toBe(201);
  webhookId = hook.json().id;
});

afterAll(async () => t?.close());

describe('sonde secrets rotate', () => {
  it('re-seals every password with the new key, all or nothing, and the old key then says so plainly', async () => {
    const old = t.secretBox;
    const next = createSecretBox(randomBytes(32));
    expect(await checkStoredSecrets(t.db.pool, old)).toBe('ok');
    expect(await checkStoredSecrets(t.db.pool, next)).toBeInstanceOf(SecretKeyMismatchError);

    expect(await rotateStoredSecrets(t.db.pool, old, next)).toEqual({ resealed: 8 });
    for (const [i, id] of ids.entries()) {
      const logins = (await openMailboxLogins(t.db.pool, next, id))!;
      expect(logins.imap.password).toBe(`imap-${i + 1}`);
      expect(logins.smtp?.password ?? null).toBe(i === 1 ? null : `smtp-${i + 1}`);
    }
    const { rows } = await t.db.pool.query<{ imap_password_enc: string }>('select imap_password_enc from mailboxes');
    for (const row of rows.filter((r) => r.imap_password_enc !== null)) expect(row.imap_password_enc.startsWith(`v2:${next.keyId}:`)).toBe(true);
    const sealed = await t.db.pool.query<{ imap_oauth2_enc: string; smtp_oauth2_enc: string }>('select imap_oauth2_enc, smtp_oauth2_enc from mailboxes where id = $1', [oauth2Id]);
    expect(JSON.parse(next.open(sealed.rows[0]!.imap_oauth2_enc, mailboxOAuth2Context(oauth2Id, 'imap')))).toEqual(OAUTH2);
    expect(JSON.parse(next.open(sealed.rows[0]!.smtp_oauth2_enc, mailboxOAuth2Context(oauth2Id, 'smtp')))).toEqual(OAUTH2);
    const hook = await t.db.pool.query<{ secret_enc: string }>('select secret_enc from webhooks where id = $1', [webhookId]);
    expect(next.open(hook.rows[0]!.secret_enc, webhookSecretContext(webhookId))).toBe(WEBHOOK_SECRET);
    // run twice: harmless
    expect(await rotateStoredSecrets(t.db.pool, old, next)).toEqual({ resealed: 8 });

    // a process still on the old key: checked at start, and in the mailbox's sync state
    expect(await checkStoredSecrets(t.db.pool, old)).toBeInstanceOf(SecretKeyMismatchError);
    const sync = new MailboxSync({ pool: t.db.pool, secretBox: old, connections: new ImapConnectionCache(), maxMessageBytes: 1 << 20 });
    const failure = await sync.syncMailbox(ids[0]!, () => true).catch((err: unknown) => err);
    expect((failure as Error).message).toMatch(/^the stored secrets cannot be opened with this SONDE_SECRET_KEY/u);
    expect((failure as Error).message).not.toMatch(/Unsupported state/u);
  });

  it('changes nothing when one value cannot be opened', async () => {
    const current = createSecretBox(randomBytes(32));
    const before = await t.db.pool.query('select id, imap_password_enc, smtp_password_enc, imap_oauth2_enc, smtp_oauth2_enc from mailboxes order by id');
    const hooksBefore = await t.db.pool.query('select id, secret_enc from webhooks order by id');
    await expect(rotateStoredSecrets(t.db.pool, current, createSecretBox(randomBytes(32)))).rejects.toBeInstanceOf(SecretKeyMismatchError);
    const after = await t.db.pool.query('select id, imap_password_enc, smtp_password_enc, imap_oauth2_enc, smtp_oauth2_enc from mailboxes order by id');
    expect(after.rows).toEqual(before.rows);
    expect((await t.db.pool.query('select id, secret_enc from webhooks order by id')).rows).toEqual(hooksBefore.rows);
  });
});
