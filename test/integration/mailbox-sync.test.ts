/**
 * The heart of the product against a real Dovecot: probes declared, brand replies
 * appended with a chosen INTERNALDATE (a brand answering hours later), a poll, and
 * the outcomes that come out of it.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { insertProbe } from '../../src/db/probes.repo.ts';
import { MailboxSync, type SyncMailboxDeps } from '../../src/flow/sync-mailbox.ts';
import { ImapConnectionCache } from '../../src/mail/imap-client.ts';
import { pollMailbox, type PollDeps, type PollReport } from '../../src/queue/poll-mailbox.job.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createMailUser, kickUser, resetUidValidity, type MailUser } from '../support/dovecot.ts';
import { assignMessage } from '../../src/flow/assign-message.ts';
import { appendMessage } from '../support/imap.ts';
import { HOUR, newMessageId, rawMail } from '../support/mail-factory.ts';

let t: TestContext;
let redis: Redis;
const connections = new ImapConnectionCache();
const lockPrefix = `sonde-test-${randomBytes(4).toString('hex')}`;
let sectorId: string;
let brandId: string;
let campaignId: string;

/** Probes go out at whole seconds, as INTERNALDATE has no finer grain. */
const T0 = new Date('2026-03-02T08:00:00Z'); // a Monday, 09:00 in Paris

beforeAll(async () => {
  t = await createTestContext();
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const post = async (url: string, payload: object) => {
    const res = await t.app.inject({ method: 'POST', url, payload, headers: t.auth() });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  sectorId = (await post('/v1/sectors', { name: 'Banque' })).id;
  brandId = (
    await post('/v1/brands', {
      name: 'Banque Exemple',
      sectorId,
      contactAddresses: ['service.client@banque-exemple.fr'],
      senderDomains: ['banque-exemple.fr', 'banqueexemple.zendesk.com'],
    })
  ).id;
  campaignId = (await post('/v1/campaigns', { name: 'Baromètre test', brandIds: [brandId] })).id;
});

afterAll(async () => {
  await connections.close();
  const keys = await redis.keys(`${lockPrefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await t?.close();
});

interface Fixture {
  user: MailUser;
  mailboxId: string;
  deps: PollDeps;
  syncDeps: SyncMailboxDeps;
  poll(trigger?: 'schedule' | 'api' | 'idle'): Promise<PollReport>;
  /** The poll after a failure, once its backoff has passed. */
  retry(): Promise<PollReport>;
  probe(subject: string, options?: { sentAt?: Date; channel?: 'email' | 'webform' }): Promise<{ id: string; messageId: string; subject: string }>;
  reply(options: { after: number; probe?: { messageId: string; subject: string }; folder?: string; from?: string; subject?: string; text: string; headers?: Record<string, string>; threading?: boolean; sentAt?: Date }): Promise<void>;
  outcome(probeId: string): Promise<Record<string, unknown>>;
}

async function mailboxFixture(options: { password?: string; sync?: Partial<SyncMailboxDeps> } = {}): Promise<Fixture> {
  const dovecot = inject('dovecot');
  const user = await createMailUser(dovecot, 'sync');
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: t.auth(),
    payload: {
      label: 'Marie',
      address: user.address,
      persona: { firstName: 'Marie', lastName: 'Dupont', gender: 'female' },
      imap: { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: user.user, password: options.password ?? user.password },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const mailboxId = res.json().id as string;
  const syncDeps: SyncMailboxDeps = { pool: t.db.pool, secretBox: t.secretBox, connections, maxMessageBytes: 25 * 1024 * 1024, ...options.sync };
  const deps: PollDeps = { redis, lockPrefix, logger: createLogger('silent'), sync: new MailboxSync(syncDeps) };
  return {
    user,
    mailboxId,
    deps,
    syncDeps,
    poll: (trigger = 'api') => pollMailbox(deps, { mailboxId, trigger }),
    retry: () => pollMailbox({ ...deps, now: () => new Date(Date.now() + 2 * HOUR) }, { mailboxId, trigger: 'schedule' }),
    async probe(subject, o = {}) {
      const messageId = newMessageId('sonde.test');
      const probe = await insertProbe(t.db.pool, {
        campaignId,
        brandId,
        mailboxId,
        channel: o.channel ?? 'email',
        recipient: 'service.client@banque-exemple.fr',
        personaAddress: user.address,
        subject,
        body: `Bonjour, je souhaite connaître les frais de tenue de compte pour un compte joint ouvert depuis deux ans. Marie Dupont`,
        messageId: o.channel === 'webform' ? null : messageId,
        sentAt: o.sentAt ?? T0,
        status: 'sent',
      });
      return { id: probe.id, messageId, subject };
    },
    async reply(r) {
      const sentAt = r.sentAt ?? T0;
      const raw = rawMail({
        from: r.from ?? 'Julie Martin <julie.martin@banque-exemple.fr>',
        to: `Marie Dupont <${user.address}>`,
        subject: r.subject ?? `Re: ${r.probe?.subject ?? 'votre demande'}`,
        text: r.text,
        date: new Date(sentAt.getTime() + r.after),
        inReplyTo: r.threading === false ? null : (r.probe?.messageId ?? null),
        references: r.threading === false || !r.probe ? [] : [r.probe.messageId],
        ...(r.headers && { headers: r.headers }),
      });
      await appendMessage(dovecot, user, r.folder ?? 'INBOX', raw, new Date(sentAt.getTime() + r.after));
    },
    async outcome(probeId) {
      const { rows } = await t.db.pool.query('select * from outcomes where probe_id = $1', [probeId]);
      return rows[0];
    },
  };
}

const ANSWER = `Bonjour Madame Dupont,

Nous vous remercions pour votre message. Les frais de tenue de compte s'élèvent à 2 euros par mois
pour un compte joint, prélevés chaque trimestre. Vous pouvez consulter la grille tarifaire en agence.

Cordialement,
Julie Martin
Conseillère clientèle`;

describe('poll of a mailbox', () => {
  it('measures answers after 3 h, 5 h and 30 h against the 4 h and 24 h norms, to the second', async () => {
    const f = await mailboxFixture();
    const fast = await f.probe('Frais de tenue de compte');
    const medium = await f.probe('Carte bancaire bloquée');
    const slow = await f.probe('Virement international');
    await f.reply({ probe: fast, after: 3 * HOUR, text: ANSWER });
    await f.reply({ probe: medium, after: 5 * HOUR, text: ANSWER });
    await f.reply({ probe: slow, after: 30 * HOUR, text: ANSWER });

    const report = await f.poll();
    expect(report.status).toBe('done');
    expect(report.status === 'done' && report.folders.find((x) => x.path === 'INBOX')).toMatchObject({ fetched: 3, inserted: 3, matched: 3 });

    const o1 = await f.outcome(fast.id);
    expect(o1).toMatchObject({ delay_hours: 3, within_norms: { '4': true, '24': true } });
    expect(o1!.answered_at).toEqual(new Date(T0.getTime() + 3 * HOUR));
    expect(await f.outcome(medium.id)).toMatchObject({ delay_hours: 5, within_norms: { '4': false, '24': true } });
    expect(await f.outcome(slow.id)).toMatchObject({ delay_hours: 30, within_norms: { '4': false, '24': false } });
    // Monday 09:00 Paris + 30 h = Tuesday 15:00: 9 business hours on Monday, 6 on Tuesday
    expect((await f.outcome(slow.id))!.business_delay_hours).toBeCloseTo(15, 6);

    const res = await t.app.inject({ url: `/v1/mailboxes/${f.mailboxId}`, headers: t.auth() });
    expect(res.json().syncState).toMatchObject({ lastError: null, lastUid: 3, uidValidity: expect.any(Number) });
    expect(res.json().syncState.lastPolledAt).not.toBeNull();
  });

  it('records an acknowledgement after one minute and the answer after 6 h, never the receipt as the answer', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Résiliation de contrat');
    await f.reply({
      probe,
      after: 60_000,
      from: 'Banque Exemple <ne-pas-repondre@banque-exemple.fr>',
      text: 'Bonjour,\n\nNous avons bien reçu votre demande et nous vous répondrons dans les meilleurs délais.\n\nCeci est un message automatique.',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    await f.reply({ probe, after: 6 * HOUR, text: ANSWER });
    await f.poll();
    const o = await f.outcome(probe.id);
    expect(o).toMatchObject({ delay_hours: 6, within_norms: { '4': false, '24': true } });
    expect(o!.ack_delay_hours).toBeCloseTo(1 / 60, 6);
    const { rows } = await t.db.pool.query('select kind from replies where probe_id = $1 order by received_at', [probe.id]);
    expect(rows.map((r) => r.kind)).toEqual(['acknowledgement', 'answer']);
  });

  it('stores a bounce as a bounce, matched to its probe, with no answer', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Adresse inconnue');
    const dsn = [
      'From: Mail Delivery System <MAILER-DAEMON@mx.banque-exemple.fr>',
      `To: ${f.user.address}`,
      'Subject: Undelivered Mail Returned to Sender',
      `Date: ${new Date(T0.getTime() + 60_000).toUTCString()}`,
      `Message-ID: <${newMessageId('mx.banque-exemple.fr')}>`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"',
      '',
      '--dsn',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'This is the mail system. Your message could not be delivered to service.client@banque-exemple.fr: User unknown.',
      '--dsn',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.banque-exemple.fr',
      '',
      'Final-Recipient: rfc822; service.client@banque-exemple.fr',
      'Action: failed',
      'Status: 5.1.1',
      '--dsn',
      'Content-Type: text/rfc822-headers',
      '',
      `From: Marie Dupont <${f.user.address}>`,
      `Message-ID: <${probe.messageId}>`,
      `Subject: ${probe.subject}`,
      '--dsn--',
      '',
    ].join('\r\n');
    await appendMessage(inject('dovecot'), f.user, 'INBOX', dsn, new Date(T0.getTime() + 60_000));
    await f.poll();
    const { rows } = await t.db.pool.query('select kind, probe_id, signals from messages where mailbox_id = $1', [f.mailboxId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'bounce', probe_id: probe.id });
    expect(await f.outcome(probe.id)).toMatchObject({ bounced: true, answered_at: null, delay_hours: null });
  });

  it('finds an answer in the junk folder', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Prêt immobilier');
    await f.reply({ probe, after: 2 * HOUR, text: ANSWER, folder: 'Junk' });
    const report = await f.poll();
    expect(report.status === 'done' && report.folders.map((x) => x.path)).toEqual(['INBOX', 'Junk']);
    expect(await f.outcome(probe.id)).toMatchObject({ delay_hours: 2 });
    const { rows } = await t.db.pool.query('select folder from messages where mailbox_id = $1', [f.mailboxId]);
    expect(rows).toEqual([{ folder: 'Junk' }]);
  });

  it('matches an answer whose threading headers were stripped, by domain and subject', async () => {
    const f = await mailboxFixture();
    const other = await f.probe('Assurance habitation');
    const probe = await f.probe('Ouverture de compte professionnel');
    await f.reply({ probe, after: 4 * HOUR, text: ANSWER, threading: false, subject: 'RE: Ouverture de compte professionnel' });
    await f.poll();
    const { rows } = await t.db.pool.query('select probe_id, match_rule from messages where mailbox_id = $1', [f.mailboxId]);
    expect(rows).toEqual([{ probe_id: probe.id, match_rule: 'domain_subject' }]);
    expect(await f.outcome(other.id)).toBeUndefined();
  });

  it('matches an answer from a helpdesk domain listed among the brand\'s sender domains', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Changement d\'adresse');
    await f.reply({
      probe,
      after: 90 * 60_000,
      from: 'Support Banque Exemple <support@banqueexemple.zendesk.com>',
      subject: '[Banque Exemple] Re: Changement d\'adresse',
      threading: false,
      text: ANSWER,
    });
    await f.poll();
    const { rows } = await t.db.pool.query('select probe_id, match_rule from messages where mailbox_id = $1', [f.mailboxId]);
    expect(rows[0]).toMatchObject({ probe_id: probe.id, match_rule: 'domain_subject' });
    expect(await f.outcome(probe.id)).toMatchObject({ delay_hours: 1.5 });
  });

  it('never takes a copy of its own probe for a reply to it', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Frais de dossier');
    const copy = rawMail({ from: `Marie Dupont <${f.user.address}>`, to: 'service.client@banque-exemple.fr', subject: probe.subject, messageId: probe.messageId, text: 'Bonjour, quels sont vos frais de dossier ?' });
    await appendMessage(inject('dovecot'), f.user, 'INBOX', copy, new Date(T0.getTime() + 1000));
    await f.poll();
    const { rows } = await t.db.pool.query('select probe_id, signals from messages where mailbox_id = $1', [f.mailboxId]);
    expect(rows).toEqual([{ probe_id: null, signals: expect.arrayContaining(['own:probe-or-reminder']) }]);
    expect(await f.outcome(probe.id)).toBeUndefined();
  });

  it('leaves what matches nothing in the review queue', async () => {
    const f = await mailboxFixture();
    await f.probe('Frais bancaires');
    await f.reply({ after: HOUR, from: 'Newsletter <news@ailleurs.example>', subject: 'Nos offres du mois', text: 'Découvrez nos offres.' });
    await f.poll();
    const res = await t.app.inject({ url: `/v1/messages?matched=false&mailboxId=${f.mailboxId}`, headers: t.auth() });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toHaveLength(1);
    expect(res.json().items[0]).toMatchObject({ subject: 'Nos offres du mois', probeId: null });
  });
});

describe('incremental sync and safety', () => {
  it('costs nothing on an unchanged mailbox and fetches only what is new', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Épargne');
    await f.reply({ probe, after: HOUR, text: ANSWER });
    await f.poll();
    const again = await f.poll();
    expect(again.status === 'done' && again.folders.every((x) => x.action === 'none')).toBe(true);
    await f.reply({ probe, after: 30 * HOUR, text: 'Une enquête de satisfaction : notez notre réponse.' });
    const third = await f.poll();
    expect(third.status === 'done' && third.folders.find((x) => x.path === 'INBOX')).toMatchObject({ action: 'fetch', fetched: 1, inserted: 1 });
    expect(await f.outcome(probe.id)).toMatchObject({ delay_hours: 1, follow_ups: 1 });
  });

  it('re-syncs after a UIDVALIDITY change without creating duplicates', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Chéquier');
    await f.reply({ probe, after: HOUR, text: ANSWER });
    await f.reply({ probe, after: 2 * HOUR, text: 'Votre chéquier est parti ce jour.' });
    await f.poll();
    const before = await t.db.pool.query('select id, uid_validity from messages where mailbox_id = $1 order by received_at', [f.mailboxId]);
    await resetUidValidity(inject('dovecot'), f.user.user, 'INBOX');
    const report = await f.poll();
    expect(report.status === 'done' && report.folders.find((x) => x.path === 'INBOX')).toMatchObject({ action: 'reset', fetched: 2, inserted: 0, duplicates: 2 });
    const after = await t.db.pool.query('select id, uid_validity from messages where mailbox_id = $1 order by received_at', [f.mailboxId]);
    expect(after.rows.map((r) => r.id)).toEqual(before.rows.map((r) => r.id));
    expect(after.rows[0].uid_validity).not.toBe(before.rows[0].uid_validity);
    expect((await f.poll()).status).toBe('done');
    expect((await t.db.pool.query('select count(*)::int as n from messages where mailbox_id = $1', [f.mailboxId])).rows[0].n).toBe(2);
  });

  it('loses nothing and doubles nothing when a sync dies between batches', async () => {
    let batches = 0;
    const f = await mailboxFixture({
      sync: {
        batchSize: 2,
        afterBatch: async () => {
          if (++batches === 2) throw new Error('worker killed');
        },
      },
    });
    const probe = await f.probe('Assurance vie');
    for (let i = 1; i <= 5; i++) await f.reply({ probe, after: i * HOUR, text: `${ANSWER}\n\nMessage ${i}` });
    await expect(f.poll()).rejects.toThrow('worker killed');
    const partial = await t.db.pool.query('select count(*)::int as n from messages where mailbox_id = $1', [f.mailboxId]);
    expect(partial.rows[0].n).toBe(4);
    const report = await f.retry();
    expect(report.status === 'done' && report.folders.find((x) => x.path === 'INBOX')).toMatchObject({ fetched: 1, inserted: 1 });
    const { rows } = await t.db.pool.query('select uid from messages where mailbox_id = $1 order by uid', [f.mailboxId]);
    expect(rows.map((r) => Number(r.uid))).toEqual([1, 2, 3, 4, 5]);
  });

  it('rolls a batch back whole when storing fails inside it, and re-reads it next time', async () => {
    const f = await mailboxFixture({ sync: { batchSize: 10 } });
    const probe = await f.probe('Découvert autorisé');
    await f.reply({ probe, after: HOUR, text: ANSWER });
    await f.reply({ probe, after: 2 * HOUR, text: 'Complément de réponse.' });
    // make the outcome write fail in the middle of the batch's transaction
    await t.db.pool.query(`alter table outcomes add constraint sabotage check (follow_ups < 1) not valid`);
    try {
      await expect(f.poll()).rejects.toThrow();
    } finally {
      await t.db.pool.query('alter table outcomes drop constraint sabotage');
    }
    expect((await t.db.pool.query('select count(*)::int as n from messages where mailbox_id = $1', [f.mailboxId])).rows[0].n).toBe(0);
    await f.retry();
    expect((await t.db.pool.query('select count(*)::int as n from messages where mailbox_id = $1', [f.mailboxId])).rows[0].n).toBe(2);
  });

  it('runs one sync at a time when two are asked at once', async () => {
    const slow: Partial<SyncMailboxDeps> = { afterBatch: () => new Promise((resolve) => setTimeout(resolve, 300)), batchSize: 1 };
    const f = await mailboxFixture({ sync: slow });
    const probe = await f.probe('Crédit auto');
    for (let i = 1; i <= 3; i++) await f.reply({ probe, after: i * HOUR, text: ANSWER });
    const otherConnections = new ImapConnectionCache();
    const second: PollDeps = { ...f.deps, sync: new MailboxSync({ ...f.syncDeps, connections: otherConnections }) };
    const reports = await Promise.all([f.poll('api'), pollMailbox(second, { mailboxId: f.mailboxId, trigger: 'schedule' })]);
    await otherConnections.close();
    expect(reports.map((r) => r.status).sort()).toEqual(['done', 'skipped']);
    expect(reports.find((r) => r.status === 'skipped')).toMatchObject({ reason: 'locked' });
    expect((await t.db.pool.query('select count(*)::int as n from messages where mailbox_id = $1', [f.mailboxId])).rows[0].n).toBe(3);
  });

  it('reads mail signalled during a running sync right after it, not at the next safety-net poll', async () => {
    let signalled: Promise<PollReport> | undefined;
    let f: Fixture;
    let probe: { messageId: string; subject: string };
    const second = new ImapConnectionCache();
    // in the middle of a slow scheduled sync, an answer lands and its IDLE wake-up asks for a sync on another worker
    const slow: Partial<SyncMailboxDeps> = {
      batchSize: 1,
      afterBatch: async () => {
        if (!signalled) {
          signalled = (async () => {
            await f.reply({ probe, after: 4 * HOUR, text: ANSWER });
            return pollMailbox({ ...f.deps, sync: new MailboxSync({ ...f.syncDeps, connections: second }) }, { mailboxId: f.mailboxId, trigger: 'idle' });
          })();
          await signalled;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      },
    };
    f = await mailboxFixture({ sync: slow });
    probe = await f.probe('Carte bloquée');
    for (let i = 1; i <= 3; i++) await f.reply({ probe, after: i * HOUR, text: ANSWER });
    const report = await f.poll('schedule');
    await second.close();
    expect(await signalled).toMatchObject({ status: 'skipped', reason: 'locked' });
    expect(report.status).toBe('done');
    // the fourth message, appended after the sync listed the folder, is stored by the same job
    expect((await t.db.pool.query('select count(*)::int as n from messages where mailbox_id = $1', [f.mailboxId])).rows[0].n).toBe(4);
    expect(await redis.exists(`${lockPrefix}:lock:poll-mailbox:${f.mailboxId}:again`)).toBe(0);
  });

  it('records a refused login on the mailbox and backs off instead of looping', async () => {
    const f = await mailboxFixture({ password: 'not-the-password' });
    const error = await f.poll().catch((err: Error & { permanent?: boolean }) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as { permanent?: boolean }).permanent).toBe(true);
    const res = await t.app.inject({ url: `/v1/mailboxes/${f.mailboxId}`, headers: t.auth() });
    expect(res.json().syncState.lastError).toMatch(/login refused/);
    expect(res.json().syncState.consecutiveFailures).toBe(1);
    expect(JSON.stringify(res.json())).not.toContain('not-the-password');
    // the next allowed attempt is kept on the mailbox: until then every poll waits, one asked
    // through the API too, and the same check always gives the same answer
    const nextPollAt = new Date(res.json().syncState.nextPollAt);
    const failedAt = new Date(res.json().syncState.lastErrorAt);
    // first failure at the default 60 s interval: in [60 s, 120 s) (the clocks of the job and the database a second apart at most)
    expect(nextPollAt.getTime() - failedAt.getTime()).toBeGreaterThanOrEqual(59_000);
    expect(nextPollAt.getTime() - failedAt.getTime()).toBeLessThan(121_000);
    const waiting = { ...f.deps, now: () => new Date(nextPollAt.getTime() - 1) };
    for (let i = 0; i < 20; i++) {
      expect(await pollMailbox(waiting, { mailboxId: f.mailboxId, trigger: i % 2 ? 'api' : 'schedule' })).toMatchObject({ status: 'skipped', reason: 'backoff' });
    }
    // once it has come, the next poll tries, fails again, and waits longer
    const due = { ...f.deps, now: () => new Date(nextPollAt.getTime() + 1) };
    await expect(pollMailbox(due, { mailboxId: f.mailboxId, trigger: 'api' })).rejects.toThrow(/login refused/);
    const again = await t.app.inject({ url: `/v1/mailboxes/${f.mailboxId}`, headers: t.auth() });
    expect(again.json().syncState.consecutiveFailures).toBe(2);
    expect(new Date(again.json().syncState.nextPollAt).getTime()).toBeGreaterThan(nextPollAt.getTime());
    // new settings clear the failure streak
    const fixed = await t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${f.mailboxId}`, headers: t.auth(), payload: { imap: { password: f.user.password } } });
    expect(fixed.json().syncState.consecutiveFailures).toBe(0);
    expect(fixed.json().syncState.nextPollAt).toBeNull();
    expect((await f.poll('schedule')).status).toBe('done');
  });

  it('stores a malformed message with its parse error and goes on with the others', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Carte perdue');
    const broken = [
      'From: "Banque Exemple" <contact@banque-exemple.fr>',
      `To: ${f.user.address}`,
      `Subject: Re: ${probe.subject}`,
      `In-Reply-To: <${probe.messageId}>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="never-closed"',
      '',
      '--never-closed',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      '!!!! not base64 at all ####',
    ].join('\r\n');
    await appendMessage(inject('dovecot'), f.user, 'INBOX', broken, new Date(T0.getTime() + HOUR));
    await f.reply({ probe, after: 2 * HOUR, text: ANSWER });
    const report = await f.poll();
    expect(report.status === 'done' && report.folders.find((x) => x.path === 'INBOX')).toMatchObject({ fetched: 2, inserted: 2 });
    const { rows } = await t.db.pool.query('select uid, parse_error, probe_id from messages where mailbox_id = $1 order by uid', [f.mailboxId]);
    expect(rows[0].probe_id).toBe(probe.id);
    expect(rows[0].parse_error).toMatch(/boundary/);
    expect(rows[1].parse_error).toBeNull();
  });

  it('keeps only the headers of a message above the size cap, with a clear reason', async () => {
    const f = await mailboxFixture({ sync: { maxMessageBytes: 4000 } });
    const probe = await f.probe('Relevé annuel');
    await f.reply({ probe, after: HOUR, text: `${ANSWER}\n${'Annexe. '.repeat(1000)}` });
    await f.poll();
    const { rows } = await t.db.pool.query('select oversize, parse_error, size, probe_id, subject from messages where mailbox_id = $1', [f.mailboxId]);
    expect(rows[0]).toMatchObject({ oversize: true, probe_id: probe.id, subject: `Re: ${probe.subject}` });
    expect(rows[0].parse_error).toMatch(/^message of 0\.0\d\d MB is above the 0\.004 MB cap: stored with its headers only$/);
    expect(rows[0].size).toBeGreaterThan(4000);
  });

  it('survives a connection dropped between batches: the poll fails cleanly and the next one resumes', async () => {
    let batches = 0;
    const f = await mailboxFixture({
      sync: {
        batchSize: 2,
        afterBatch: async () => {
          if (++batches === 1) await kickUser(inject('dovecot'), f.user.user);
        },
      },
    });
    const probe = await f.probe('Coupure réseau');
    for (let i = 1; i <= 5; i++) await f.reply({ probe, after: i * HOUR, text: `${ANSWER}\n\nMessage ${i}` });
    await expect(f.poll()).rejects.toThrow();
    const after = await f.retry();
    expect(after.status).toBe('done');
    const { rows } = await t.db.pool.query('select uid from messages where mailbox_id = $1 order by uid', [f.mailboxId]);
    expect(rows.map((r) => Number(r.uid))).toEqual([1, 2, 3, 4, 5]);
  });

  it('stores a message whose headers decode to a NUL byte, and goes on', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Caractère nul');
    const nul = rawMail({
      from: 'Julie Martin <julie.martin@banque-exemple.fr>',
      to: f.user.address,
      subject: `=?UTF-8?B?${Buffer.from('Re: Caractère\u0000 nul').toString('base64')}?=`,
      inReplyTo: probe.messageId,
      text: ANSWER,
    });
    await appendMessage(inject('dovecot'), f.user, 'INBOX', nul, new Date(T0.getTime() + HOUR));
    await f.reply({ probe, after: 2 * HOUR, text: 'Un complément.' });
    const report = await f.poll();
    expect(report.status === 'done' && report.folders.find((x) => x.path === 'INBOX')).toMatchObject({ fetched: 2, inserted: 2 });
    const { rows } = await t.db.pool.query('select subject, probe_id from messages where mailbox_id = $1 order by uid', [f.mailboxId]);
    expect(rows[0]).toEqual({ subject: 'Re: Caractère nul', probe_id: probe.id });
    expect(await f.outcome(probe.id)).toMatchObject({ delay_hours: 1 });
  });

  it('picks up a change of the folders to sync on the next poll', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Archives');
    await f.poll();
    await f.reply({ probe, after: HOUR, text: ANSWER, folder: 'Archive' }).catch(async () => {
      const { withImap } = await import('../support/imap.ts');
      await withImap(inject('dovecot'), f.user, (client) => client.mailboxCreate('Archive'));
      await f.reply({ probe, after: HOUR, text: ANSWER, folder: 'Archive' });
    });
    const patched = await t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${f.mailboxId}`, headers: t.auth(), payload: { extraFolders: ['Archive'] } });
    expect(patched.statusCode).toBe(200);
    const report = await f.poll();
    expect(report.status === 'done' && report.folders.map((x) => x.path)).toEqual(['INBOX', 'Junk', 'Archive']);
    expect(await f.outcome(probe.id)).toMatchObject({ delay_hours: 1 });
  });

  it('keeps the outcome right when an auditor assigns a message while a sync stores another', async () => {
    const f = await mailboxFixture();
    const probe = await f.probe('Course');
    await f.reply({ after: 5 * HOUR, from: 'Autre <contact@ailleurs.example>', subject: 'Votre dossier', text: 'Réponse venue d\'ailleurs.' });
    await f.poll();
    const { rows } = await t.db.pool.query('select id from messages where mailbox_id = $1', [f.mailboxId]);
    await f.reply({ probe, after: 2 * HOUR, text: ANSWER });
    await Promise.all([f.poll(), assignMessage(t.db.pool, { messageId: rows[0].id, probeId: probe.id, kind: 'answer', by: 'test' })]);
    // whichever committed last saw the other's reply: the first answer is the one at 2 h
    expect(await f.outcome(probe.id)).toMatchObject({ delay_hours: 2, follow_ups: 1 });
  });

  it('syncs a disabled mailbox only when an auditor asks, not on a late IDLE wake-up nor on schedule', async () => {
    const f = await mailboxFixture();
    const res = await t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${f.mailboxId}`, headers: t.auth(), payload: { enabled: false } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await f.poll('idle')).toMatchObject({ status: 'skipped', reason: 'disabled' });
    expect(await f.poll('schedule')).toMatchObject({ status: 'skipped', reason: 'disabled' });
    expect(await f.poll('api')).toMatchObject({ status: 'done' });
  });
});
