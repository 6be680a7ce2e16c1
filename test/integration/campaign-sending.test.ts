/**
 * Campaigns sending for real: BullMQ workers, an SMTP server in this process standing for
 * the brands (it keeps what it receives and refuses on demand), and the test Dovecot as
 * the persona's mailbox, whose Sent folder gets a copy of every message. Hours are
 * shortened (`msPerHour`), never waited.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { DateTime } from 'luxon';
import { Queue } from 'bullmq';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { transitionCampaign } from '../../src/db/campaigns.repo.ts';
import { findOutcome } from '../../src/db/outcomes.repo.ts';
import { findProbe, insertProbe, type Probe } from '../../src/db/probes.repo.ts';
import { loadConfig } from '../../src/config.ts';
import { recomputeOutcome } from '../../src/flow/recompute-outcome.ts';
import { createLogger } from '../../src/logger.ts';
import { SmtpSendError, buildRawMessage, sendMail } from '../../src/mail/smtp.ts';
import { findMailbox } from '../../src/db/mailboxes.repo.ts';
import { campaignCloseJobId, campaignProcessor } from '../../src/queue/campaign.job.ts';
import { reconcileSends } from '../../src/queue/reconcile.job.ts';
import type { Timing } from '../../src/clock.ts';
import type { ProcessorDeps } from '../../src/queue/processors.ts';
import { JOB_OPTIONS, jobIds, type QueueName } from '../../src/queue/queues.ts';
import { enqueueSendProbes, sendProbeProcessor } from '../../src/queue/send-probe.job.ts';
import { requestReminder, sendReminderProcessor } from '../../src/queue/send-reminder.job.ts';
import { startWorkers, type Workers } from '../../src/queue/worker.ts';
import { pollMailboxProcessor } from '../../src/queue/poll-mailbox.job.ts';
import { MailboxSync } from '../../src/flow/sync-mailbox.ts';
import { ImapConnectionCache } from '../../src/mail/imap-client.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createMailUser, type MailUser } from '../support/dovecot.ts';
import { appendMessage, withImap } from '../support/imap.ts';
import { createTestQueues, type TestQueues } from '../support/queues.ts';

/** The SMTP login the brands' server refuses (535), standing for a mailbox whose password changed. */
const LOCKED_OUT = 'locked-out';

/** One hour lasts 100 ms: a 24-hour reminder delay takes 2.4 s. */
const timing: Timing = { now: () => new Date(), msPerHour: 100 };
const PARIS = 'Europe/Paris';

// ---------------------------------------------------------------- the brand's SMTP server

interface Received {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

interface Refusal {
  stage: 'rcpt' | 'data';
  code: number;
  text: string;
}

/** The brands' side of SMTP: keeps every message it accepts; refuses the next ones for a recipient on demand. */
class BrandSmtp {
  readonly received: Received[] = [];
  /** Every DATA it was offered, accepted or not, by Message-ID. */
  readonly offered: string[] = [];
  private readonly refusals = new Map<string, Refusal[]>();
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (auth, _session, callback) =>
        auth.username === LOCKED_OUT
          ? callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }))
          : callback(null, { user: auth.username }),
      onRcptTo: (address, _session, callback) => {
        const refusal = this.take(address.address, 'rcpt');
        callback(refusal ? Object.assign(new Error(refusal.text), { responseCode: refusal.code }) : null);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          void this.accept(raw, session).then(() => callback(), callback);
        });
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as { port: number }).port;
  }

  /** The next `times` messages to `recipient` get this refusal. */
  refuse(recipient: string, refusal: Refusal, times = 1): void {
    this.refusals.set(recipient, [...(this.refusals.get(recipient) ?? []), ...Array.from({ length: times }, () => refusal)]);
  }

  to(recipient: string): Received[] {
    return this.received.filter((m) => m.rcptTo.includes(recipient));
  }

  withMessageId(messageId: string): Received[] {
    return this.received.filter((m) => m.parsed.messageId === `<${messageId}>`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async accept(raw: Buffer, session: SMTPServerSession): Promise<void> {
    const parsed = await simpleParser(raw);
    this.offered.push(parsed.messageId ?? '');
    const rcptTo = session.envelope.rcptTo.map((r) => r.address);
    const refusal = rcptTo.map((r) => this.take(r, 'data')).find(Boolean);
    if (refusal) throw Object.assign(new Error(refusal.text), { responseCode: refusal.code });
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    this.received.push({ mailFrom, rcptTo, raw, parsed });
  }

  private take(recipient: string, stage: Refusal['stage']): Refusal | undefined {
    const queue = this.refusals.get(recipient) ?? [];
    if (queue[0]?.stage !== stage) return undefined;
    return queue.shift();
  }
}

// ---------------------------------------------------------------- the test's world

let t: TestContext;
let q: TestQueues;
let workers: Workers;
const connections = new ImapConnectionCache();
let smtp: BrandSmtp;
let persona: MailUser;
const dovecot = inject('dovecot');
let sectorId: string;
let deps: ProcessorDeps;
let mailboxId: string;
let scenarioId: string;

async function api(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: t.auth(), ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const unique = () => randomBytes(3).toString('hex');
const ALWAYS = { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' };

async function newBrand(name: string): Promise<{ id: string; contact: string }> {
  const domain = `${name.toLowerCase()}-${unique()}.example`;
  const res = await api('POST', '/v1/brands', { name: `${name} ${unique()}`, sectorId, contactAddresses: [`service.client@${domain}`], senderDomains: [domain] });
  expect(res.status).toBe(201);
  return { id: res.body.id, contact: `service.client@${domain}` };
}

async function newCampaign(fields: Record<string, unknown>): Promise<string> {
  const res = await api('POST', '/v1/campaigns', {
    name: `Campagne ${unique()}`,
    timezone: PARIS,
    scenarioIds: [scenarioId],
    mailboxIds: [mailboxId],
    // always open, so that a test never depends on the hour it runs at
    sendWindow: ALWAYS,
    ...fields,
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A probe the service is to send now, outside any plan: a campaign running, one brand. */
async function plannedProbe(
  campaignId: string,
  brand: { id: string; contact: string },
  subject: string,
  more: { mailboxId?: string; scheduledAt?: Date } = {},
): Promise<Probe> {
  return insertProbe(t.db.pool, {
    campaignId,
    brandId: brand.id,
    scenarioId,
    mailboxId: more.mailboxId ?? mailboxId,
    channel: 'email',
    recipient: brand.contact,
    personaAddress: `marie.dupont.${unique().slice(0, 2)}@sonde.test`,
    subject,
    body: 'Bonjour,\n\nMa commande 4521 n’est pas arrivée. Pouvez-vous me dire où elle en est ?\n\nMarie Dupont',
    scheduledAt: more.scheduledAt ?? new Date(),
    status: 'planned',
  });
}

/** What the persona's Sent folder holds, by Message-ID without brackets. */
async function sentFolder(): Promise<Map<string, { source: Buffer; internalDate: Date }>> {
  return withImap(dovecot, persona, async (client) => {
    const lock = await client.getMailboxLock('Sent', { readOnly: true });
    try {
      const copies = new Map<string, { source: Buffer; internalDate: Date }>();
      for (const m of await client.fetchAll('1:*', { source: true, envelope: true, internalDate: true })) {
        if (m.envelope?.messageId && m.source) copies.set(m.envelope.messageId.replace(/^<|>$/g, ''), { source: m.source, internalDate: new Date(m.internalDate!) });
      }
      return copies;
    } finally {
      lock.release();
    }
  }).catch(() => new Map());
}

/** An answer of the brand, stored as the sync and the matching would store it. */
async function storeAnswer(probeId: string, receivedAt: Date): Promise<void> {
  const source = `Subject: Re: votre demande\r\nMessage-ID: <${unique()}@brand.example>\r\n\r\nBonjour Madame Dupont, votre colis arrive demain.\r\n`;
  const { rows } = await t.db.pool.query<{ id: string }>(
    `insert into messages (mailbox_id, folder, uid_validity, uid, source_sha256, size, received_at, kind, probe_id)
     values ($1, 'INBOX', 1, (select coalesce(max(uid), 0) + 1 from messages), $2, $3, $4, 'answer', $5) returning id`,
    [mailboxId, createHash('sha256').update(source).digest(), source.length, receivedAt, probeId],
  );
  await t.db.pool.query(`insert into replies (id, probe_id, kind, received_at) values ($1, $2, 'answer', $3)`, [rows[0]!.id, probeId, receivedAt]);
  await recomputeOutcome(t.db.pool, probeId);
}

const status = async (probeId: string) => (await findProbe(t.db.pool, probeId))?.status;
const reminderRow = async (probeId: string, seq = 1) =>
  (await t.db.pool.query<{ status: string; internet_message_id: string | null; sent_at: Date | null }>('select * from reminders where probe_id = $1 and seq = $2', [probeId, seq])).rows[0];

beforeAll(async () => {
  q = createTestQueues();
  // Retries a few hundred milliseconds apart instead of the production backoff.
  for (const name of ['send-probe', 'send-reminder'] satisfies QueueName[]) {
    await q.queues[name].close();
    q.queues[name] = new Queue(name, { connection: q.producerRedis, prefix: q.prefix, defaultJobOptions: { ...JOB_OPTIONS[name], backoff: { type: 'fixed', delay: 300 } } });
  }
  t = await createTestContext({ queues: q.queues });
  smtp = new BrandSmtp();
  await smtp.start();
  persona = await createMailUser(dovecot, 'campaign-sending');

  const logger = createLogger('silent');
  // Closing a campaign 0.001 day after its end: 2.4 "hours" of 100 ms.
  const config = { ...loadConfig({ SONDE_ALLOW_PRIVATE_HOSTS: 'true' }), queuePrefix: q.prefix, closeAfterDays: 0.001 };
  deps = { pool: t.db.pool, redis: q.workerRedis, queues: q.queues, secretBox: t.secretBox, logger, config };
  workers = startWorkers({
    connection: q.workerRedis,
    prefix: q.prefix,
    concurrency: 2,
    processors: {
      'send-probe': sendProbeProcessor(deps, timing),
      'send-reminder': sendReminderProcessor(deps, timing),
      campaigns: campaignProcessor(deps, timing),
      // a reminder due asks for its mailbox to be read first
      'poll-mailbox': pollMailboxProcessor({ redis: q.workerRedis, lockPrefix: q.prefix, logger, sync: new MailboxSync({ pool: t.db.pool, secretBox: t.secretBox, connections, maxMessageBytes: 25 << 20 }) }),
    },
    logger,
  });

  sectorId = (await api('POST', '/v1/sectors', { name: `Vente ${unique()}` })).body.id;
  scenarioId = (
    await api('POST', '/v1/scenarios', {
      name: 'Colis en retard',
      language: 'fr',
      subject: 'Commande non reçue',
      body: 'Bonjour {{brand.name}},\n\nMa commande n’est pas arrivée. Pouvez-vous me dire où elle en est ?\n\n{{persona.firstName}} {{persona.lastName}}',
      expectedPoints: [],
    })
  ).body.id;
  const mailbox = await api('POST', '/v1/mailboxes', {
    label: 'Marie',
    address: persona.address,
    persona: { firstName: 'Marie', lastName: 'Dupont', gender: 'female' },
    imap: { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: persona.user, password: persona.password },
    smtp: { host: '127.0.0.1', port: smtp.port, secure: false, allowPlaintext: true, user: persona.user, password: persona.password },
    probeAddressPattern: 'marie.dupont.{token}@sonde.test',
  });
  expect(mailbox.status).toBe(201);
  mailboxId = mailbox.body.id;
});

afterAll(async () => {
  await workers?.close();
  await connections.close();
  await q?.close();
  await smtp?.close();
  await t?.close();
});

// ---------------------------------------------------------------- tests

describe('a scheduled campaign', () => {
  it('sends exactly the planned probes, inside the window, as the persona, with a copy in the Sent folder, then closes itself', async () => {
    const [alpha, beta] = [await newBrand('Alpha'), await newBrand('Beta')];
    // a window of this hour needs a few seconds of it left
    const left = DateTime.now().setZone(PARIS).endOf('hour').diffNow().toMillis();
    if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
    const now = DateTime.now().setZone(PARIS);
    // this hour of today only: a window that may well close before the period ends
    const window = { days: [now.weekday], from: now.toFormat('HH:00'), to: now.hour === 23 ? '24:00' : now.plus({ hours: 1 }).toFormat('HH:00') };
    const startsAt = new Date();
    const endsAt = new Date(startsAt.getTime() + 6_000);
    const campaignId = await newCampaign({
      brandIds: [alpha.id, beta.id],
      probesPerBrand: 2,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      sendWindow: window,
      reminder: { afterHours: 24, max: 0 },
      seed: 7,
    });

    const scheduled = await api('POST', `/v1/campaigns/${campaignId}/schedule`);
    expect(scheduled.status).toBe(200);
    expect(scheduled.body.status).toBe('scheduled');

    const probes = await until('four probes sent', async () => {
      const { rows } = await t.db.pool.query<{ id: string; status: string }>('select id, status from probes where campaign_id = $1', [campaignId]);
      return rows.length === 4 && rows.every((r) => r.status === 'sent') && rows;
    });
    for (const { id } of probes) {
      const probe = (await findProbe(t.db.pool, id))!;
      const local = DateTime.fromJSDate(probe.scheduledAt!, { zone: PARIS });
      expect(local.weekday).toBe(now.weekday);
      expect(local.toFormat('HH:mm') >= window.from && local.toFormat('HH:mm') < window.to).toBe(true);
      expect(probe.scheduledAt! >= startsAt && probe.scheduledAt! < endsAt).toBe(true);
      // not before its time, and the moment the server accepted it
      expect(probe.sentAt!.getTime()).toBeGreaterThanOrEqual(probe.scheduledAt!.getTime());
      expect(probe.smtpResponse).toMatch(/^250 /);

      const [received, ...more] = smtp.withMessageId(probe.messageId!);
      expect(more).toEqual([]);
      expect(received!.rcptTo).toEqual([probe.recipient]);
      expect(received!.mailFrom).toBe(persona.address);
      expect(received!.parsed.from?.value).toEqual([{ name: 'Marie Dupont', address: probe.personaAddress }]);
      expect(probe.personaAddress).toMatch(/^marie\.dupont\.[a-z]{2}\d{2}@sonde\.test$/);
      expect(received!.parsed.subject).toBe('Commande non reçue');
      expect(received!.parsed.text).toContain('Marie Dupont');
      expect(received!.parsed.text).toMatch(/^Bonjour (Alpha|Beta) /);
      expect(received!.raw.toString()).not.toMatch(/X-Mailer|nodemailer/i);
    }
    expect(smtp.to(alpha.contact)).toHaveLength(2);
    expect(smtp.to(beta.contact)).toHaveLength(2);

    const copies = await sentFolder();
    for (const { id } of probes) {
      const probe = (await findProbe(t.db.pool, id))!;
      const copy = copies.get(probe.messageId!);
      expect(copy?.source.equals(smtp.withMessageId(probe.messageId!)[0]!.raw)).toBe(true);
      // the copy is dated when it was put there, just before the SMTP conversation (INTERNALDATE counts whole seconds)
      expect(Math.abs(copy!.internalDate.getTime() - probe.sentAt!.getTime())).toBeLessThan(3000);
    }

    expect((await api('GET', `/v1/campaigns/${campaignId}`)).body.status).toMatch(/running|closed/);
    const closed = await until('the campaign closing itself after its end', async () => {
      const campaign = (await api('GET', `/v1/campaigns/${campaignId}`)).body;
      return campaign.status === 'closed' && campaign;
    });
    expect(new Date(closed.closedAt).getTime()).toBeGreaterThanOrEqual(endsAt.getTime());
  });
});

describe('SMTP failures', () => {
  it('retries a 4xx refusal and sends the probe once the server takes it', async () => {
    const brand = await newBrand('Gamma');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 0 } });
    const probe = await plannedProbe(campaignId, brand, 'Livraison');
    smtp.refuse(brand.contact, { stage: 'data', code: 451, text: '4.3.0 Temporary local problem, try again later' }, 2);

    await enqueueSendProbes(q.queues, [probe], timing);
    await until('the probe sent after its retries', async () => (await status(probe.id)) === 'sent');

    const sent = (await findProbe(t.db.pool, probe.id))!;
    expect(smtp.offered.filter((id) => id === `<${sent.messageId}>`)).toHaveLength(3);
    expect(smtp.withMessageId(sent.messageId!)).toHaveLength(1);
    expect(sent.error).toBeNull();
    const job = await q.queues['send-probe'].getJob(jobIds.sendProbe(probe.id));
    expect(job?.attemptsMade).toBeGreaterThanOrEqual(2);
  });

  it('marks the probe failed with the server reply on a 5xx, and stops there', async () => {
    const brand = await newBrand('Delta');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 1 } });
    const probe = await plannedProbe(campaignId, brand, 'Remboursement');
    smtp.refuse(brand.contact, { stage: 'rcpt', code: 550, text: '5.1.1 <service.client>: Recipient address rejected: User unknown' });

    await enqueueSendProbes(q.queues, [probe], timing);
    const failed = await until('the probe failed', async () => {
      const p = await findProbe(t.db.pool, probe.id);
      return p?.status === 'failed' && p;
    });
    expect(failed.smtpResponse).toMatch(/^550 5\.1\.1 .*User unknown/);
    expect(failed.error).toMatch(/550 5\.1\.1/);
    expect(failed.sentAt).toBeNull();
    expect(smtp.to(brand.contact)).toEqual([]);
    // the probe is recorded failed a moment before BullMQ moves its job to failed: wait for the move, then read the job
    const job = await until('the job failed', async () => {
      const found = await q.queues['send-probe'].getJob(jobIds.sendProbe(probe.id));
      return found && (await found.getState()) === 'failed' && found;
    });
    expect(job.attemptsMade).toBe(1);
    // nothing to remind a brand of a probe it never received
    expect(await reminderRow(probe.id)).toBeUndefined();
  });

  it('takes a server that cannot be reached for a temporary failure', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const message = { from: { name: 'Marie Dupont', address: persona.address }, to: 'x@brand.example', subject: 's', text: 't', messageId: `${unique()}@sonde.test`, date: new Date() };
    const failure = await sendMail({ host: '127.0.0.1', port: closed, secure: false, allowPlaintext: true, user: 'u', password: 'p' }, message).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SmtpSendError);
    expect(failure).toMatchObject({ permanent: false, responseCode: null });
  });
});

describe('a crash between the SMTP acceptance and the database update', () => {
  it('does not send again a probe whose copy is in the Sent folder', async () => {
    const brand = await newBrand('Epsilon');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 0 } });
    const planned = await plannedProbe(campaignId, brand, 'Facture');
    // The crashed attempt: claimed with its Message-ID, accepted, copied to Sent; never recorded.
    const messageId = `${unique()}-crash@sonde.test`;
    await t.db.pool.query(`update probes set status = 'sending', internet_message_id = $2 where id = $1`, [planned.id, messageId]);
    const acceptedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const raw = await buildRawMessage({
      from: { name: 'Marie Dupont', address: planned.personaAddress! },
      to: brand.contact,
      subject: 'Facture',
      text: planned.body!,
      messageId,
      date: acceptedAt,
    });
    await appendMessage(dovecot, persona, 'Sent', raw, acceptedAt, ['\\Seen']);

    await enqueueSendProbes(q.queues, [planned], timing);
    await until('the probe recovered', async () => (await status(planned.id)) === 'sent');

    const probe = (await findProbe(t.db.pool, planned.id))!;
    expect(probe.sentAt).toEqual(acceptedAt);
    expect(probe.messageId).toBe(messageId);
    expect(smtp.offered).not.toContain(`<${messageId}>`);
    expect(smtp.to(brand.contact)).toEqual([]);
  });

  it('holds for an auditor a probe left sending with no copy in the Sent folder, never sends it, never re-queues it', async () => {
    const brand = await newBrand('Zeta');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 0 } });
    const planned = await plannedProbe(campaignId, brand, 'Garantie');
    const messageId = `${unique()}-lost@sonde.test`;
    await t.db.pool.query(`update probes set status = 'sending', internet_message_id = $2 where id = $1`, [planned.id, messageId]);

    await enqueueSendProbes(q.queues, [planned], timing);
    const held = await until('the probe held', async () => {
      const { rows } = await t.db.pool.query('select status, held_at, error from probes where id = $1', [planned.id]);
      return rows[0]?.held_at ? rows[0] : null;
    });
    expect(held.status).toBe('sending');
    expect(held.error).toMatch(/held for an auditor/);
    expect(smtp.withMessageId(messageId)).toHaveLength(0);
    // however long it stays so, the reconciler leaves it to the auditor
    await t.db.pool.query(`update probes set updated_at = now() - interval '1 day' where id = $1`, [planned.id]);
    const { rows } = await t.db.pool.query('select id from probes where held_at is null and id = $1', [planned.id]);
    expect(rows).toEqual([]);
    await reconcileSends(deps, timing);
    await sleep(1000);
    expect(smtp.withMessageId(messageId)).toHaveLength(0);
  });
});

describe('reminders', () => {
  it('goes out in the thread when no answer came, and not when one did; a later answer counts as after the reminder', async () => {
    const [silent, answering] = [await newBrand('Eta'), await newBrand('Theta')];
    const campaignId = await newCampaign({ brandIds: [silent.id, answering.id], reminder: { afterHours: 24, max: 1 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const unanswered = await plannedProbe(campaignId, silent, 'Ma commande 4521');
    const answered = await plannedProbe(campaignId, answering, 'Ma commande 4522');
    await storeAnswer(answered.id, new Date(Date.now() + 500));

    await enqueueSendProbes(q.queues, [unanswered, answered], timing);
    const reminder = await until('the reminder sent', async () => {
      const row = await reminderRow(unanswered.id);
      return row?.status === 'sent' && row;
    });
    await until('the reminder of the answered probe cancelled', async () => (await reminderRow(answered.id))?.status === 'cancelled');

    const probe = (await findProbe(t.db.pool, unanswered.id))!;
    // 24 h of 100 ms after the probe
    expect(reminder.sent_at!.getTime() - probe.sentAt!.getTime()).toBeGreaterThanOrEqual(2400);
    const [mail, ...more] = smtp.withMessageId(reminder.internet_message_id!);
    expect(more).toEqual([]);
    expect(mail!.rcptTo).toEqual([silent.contact]);
    expect(mail!.parsed.subject).toBe('Re: Ma commande 4521');
    expect(mail!.parsed.inReplyTo).toBe(`<${probe.messageId}>`);
    expect(mail!.parsed.references).toBe(`<${probe.messageId}>`);
    expect(mail!.parsed.from?.value).toEqual([{ name: 'Marie Dupont', address: probe.personaAddress }]);
    expect(mail!.parsed.text).toMatch(/^Bonjour,\n\nJe me permets de revenir vers vous/);
    expect(mail!.parsed.text).toContain('a écrit :\n> Bonjour,');
    expect((await sentFolder()).has(reminder.internet_message_id!)).toBe(true);
    expect(smtp.to(answering.contact)).toHaveLength(1);

    expect((await findOutcome(t.db.pool, unanswered.id))?.remindersSent).toBe(1);
    await storeAnswer(unanswered.id, new Date(reminder.sent_at!.getTime() + 1000));
    const outcome = (await findOutcome(t.db.pool, unanswered.id))!;
    expect(outcome.answeredAfterReminder).toBe(true);
    expect((await findOutcome(t.db.pool, answered.id))!.answeredAfterReminder).toBe(false);
  });

  it('reads the mailbox past its due time before it goes out: an answer not yet read, in the junk folder, cancels it', async () => {
    const brand = await newBrand('Psi');
    // due 10 s (100 "hours" of 100 ms) after the send: time enough to file the answer first
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 100, max: 1 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const probe = await plannedProbe(campaignId, brand, 'Ma commande 4523');
    await enqueueSendProbes(q.queues, [probe], timing);
    const sent = await until('the probe sent', async () => {
      const row = await findProbe(t.db.pool, probe.id);
      return row?.status === 'sent' && row;
    });
    // the brand answers at once; its provider files the answer as junk, which no IDLE watch sees and no poll has read yet
    const answer = [
      `From: Service client <service@${brand.contact.split('@')[1]}>`,
      `To: ${sent.personaAddress}`,
      'Subject: Re: Ma commande 4523',
      `Message-ID: <${unique()}@brand.example>`,
      `In-Reply-To: <${sent.messageId}>`,
      `References: <${sent.messageId}>`,
      `Date: ${new Date().toUTCString()}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Bonjour Madame Dupont,',
      '',
      'Votre colis part demain.',
      '',
      'Julie, service client',
      '',
    ].join('\r\n');
    await appendMessage(dovecot, persona, 'Junk', Buffer.from(answer), new Date());
    expect(await reminderRow(probe.id)).toBeUndefined();
    await until('the reminder cancelled', async () => (await reminderRow(probe.id))?.status === 'cancelled');
    expect(smtp.to(brand.contact)).toHaveLength(1);
    expect(await findOutcome(t.db.pool, probe.id)).toMatchObject({ remindersSent: 0 });
    const { rows } = await t.db.pool.query('select read_through from mailboxes where id = $1', [mailboxId]);
    // read through a time after the due one: 100 h of 100 ms after the send
    expect(rows[0].read_through.getTime()).toBeGreaterThanOrEqual(sent.sentAt!.getTime() + 10_000);
  });

  it('waits at most an hour past its due time for a mailbox that cannot be read, then goes out', async () => {
    // a mailbox in backoff after failed polls: every poll is skipped until tomorrow, nothing is read
    const other = await createMailUser(dovecot, 'unreadable');
    const unreadable = await api('POST', '/v1/mailboxes', {
      label: 'Marie (en attente)',
      address: other.address,
      persona: { firstName: 'Marie', lastName: 'Dupont', gender: 'female' },
      imap: { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: other.user, password: other.password },
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false, allowPlaintext: true, user: other.user, password: other.password },
    });
    expect(unreadable.status).toBe(201);
    await t.db.pool.query(`update mailboxes set consecutive_failures = 3, last_error = 'connection refused', next_poll_at = now() + interval '1 day' where id = $1`, [unreadable.body.id]);
    const [late, recent, backlog] = [await newBrand('Omega'), await newBrand('Alpha'), await newBrand('Digamma')];
    const campaignId = await newCampaign({ brandIds: [late.id, recent.id, backlog.id], mailboxIds: [unreadable.body.id], reminder: { afterHours: 24, max: 1 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const sentProbe = (brand: { id: string; contact: string }, sentAt: Date) =>
      insertProbe(t.db.pool, {
        campaignId,
        brandId: brand.id,
        scenarioId,
        mailboxId: unreadable.body.id,
        channel: 'email',
        recipient: brand.contact,
        personaAddress: other.address,
        subject: 'Ma commande 4524',
        body: 'Bonjour,\n\nMa commande 4524 n’est pas arrivée.\n\nMarie Dupont',
        messageId: `${unique()}@sonde.test`,
        sentAt,
        status: 'sent',
      });
    // found due by the worker (2.4 s after the send) 61 min ago and 20 s ago, and waiting since for a read
    const waitingSince = async (minutes: number, brand: { id: string; contact: string }) => {
      const probe = await sentProbe(brand, new Date(Date.now() - minutes * 60_000 - 2400));
      await t.db.pool.query(`insert into reminders (probe_id, seq, due_at, status, created_at) values ($1, 1, $2, 'due', $2)`, [probe.id, new Date(Date.now() - minutes * 60_000)]);
      return probe;
    };
    const overdue = await waitingSince(61, late);
    const waiting = await waitingSince(1 / 3, recent);
    // due 3 h ago but first looked at now (a worker down for three hours): the hour counts from now
    const afterOutage = await sentProbe(backlog, new Date(Date.now() - 3 * 3_600_000));
    await requestReminder(q.queues, overdue.id, 1);
    await requestReminder(q.queues, waiting.id, 1);
    await requestReminder(q.queues, afterOutage.id, 1);
    await until('the overdue reminder sent', async () => (await reminderRow(overdue.id))?.status === 'sent');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await reminderRow(waiting.id))?.status).toBe('due');
    expect((await reminderRow(afterOutage.id))?.status).toBe('due');
    expect(smtp.to(recent.contact)).toEqual([]);
    expect(smtp.to(backlog.contact)).toEqual([]);
    const { rows } = await t.db.pool.query('select read_through from mailboxes where id = $1', [unreadable.body.id]);
    expect(rows[0].read_through).toBeNull();
    // the campaign closed, the waiting reminder is cancelled at its next look, never sent
    await transitionCampaign(t.db.pool, campaignId, ['running'], 'closed');
    await until('the waiting reminders cancelled', async () => (await reminderRow(waiting.id))?.status === 'cancelled' && (await reminderRow(afterOutage.id))?.status === 'cancelled', 40_000);
    expect(smtp.to(recent.contact)).toEqual([]);
    expect(smtp.to(backlog.contact)).toEqual([]);
  });

  it('records a web-form probe\'s reminder as due, for the auditor to send by hand and confirm', async () => {
    const brand = await newBrand('Iota');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 2 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const declared = await api('POST', '/v1/probes', {
      campaignId,
      brandId: brand.id,
      mailboxId,
      scenarioId,
      channel: 'webform',
      recipient: 'https://iota.example/contact',
      sentAt: new Date().toISOString(),
    });
    expect(declared.status).toBe(201);
    const probeId: string = declared.body.id;
    // declaring the probe queued its reminder: the worker works out when it is due

    await until('the reminder due', async () => (await reminderRow(probeId))?.status === 'due');
    const due = await api('GET', `/v1/reminders?status=due&channel=webform&campaignId=${campaignId}`);
    expect(due.body.items).toEqual([expect.objectContaining({ probeId, seq: 1, status: 'due', channel: 'webform', sentAt: null })]);

    const sentAt = new Date().toISOString();
    const confirmed = await api('POST', `/v1/probes/${probeId}/reminders/1/confirm`, { sentAt });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ probeId, seq: 1, status: 'sent', sentAt: new Date(sentAt).toISOString() });
    expect((await api('POST', `/v1/probes/${probeId}/reminders/1/confirm`, {})).status).toBe(409);
    expect((await findOutcome(t.db.pool, probeId))?.remindersSent).toBe(1);

    // the second reminder comes due in its turn, and is confirmed as sent now; nothing ever went by SMTP
    await until('the second reminder due', async () => (await reminderRow(probeId, 2))?.status === 'due');
    const before = Date.now();
    const second = await t.app.inject({ method: 'POST', url: `/v1/probes/${probeId}/reminders/2/confirm`, headers: t.auth() });
    expect(second.statusCode).toBe(200);
    expect(new Date(second.json().sentAt).getTime()).toBeGreaterThanOrEqual(before);
    expect((await findOutcome(t.db.pool, probeId))?.remindersSent).toBe(2);
    expect(smtp.received.filter((m) => m.rcptTo.some((r) => r.includes('iota')))).toEqual([]);
  });
});

describe('campaign lifecycle through the API', () => {
  it('refuses to schedule what is not a draft, or a campaign that lacks what it needs, naming it', async () => {
    const noSmtp = await api('POST', '/v1/mailboxes', {
      label: 'Sans SMTP',
      address: `sans.smtp.${unique()}@sonde.test`,
      persona: { firstName: 'Luc', lastName: 'Martin' },
      imap: { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: persona.user, password: persona.password },
    });
    const campaignId = await newCampaign({ scenarioIds: [], mailboxIds: [noSmtp.body.id], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() });
    const refused = await api('POST', `/v1/campaigns/${campaignId}/schedule`);
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/no brand/);
    expect(refused.body.detail).toMatch(/no scenario/);
    expect(refused.body.detail).toMatch(/mailbox "Sans SMTP" .* has no SMTP settings/);
    expect((await api('GET', `/v1/campaigns/${campaignId}`)).body.status).toBe('draft');

    const running = await newCampaign({});
    await transitionCampaign(t.db.pool, running, ['draft'], 'running');
    const conflict = await api('POST', `/v1/campaigns/${running}/schedule`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail).toMatch(/running: only a draft campaign can be scheduled/);
  });

  it('closes: outcomes frozen, what was not sent cancelled, a late answer left out until the campaign is reopened', async () => {
    const brand = await newBrand('Kappa');
    const startsAt = new Date();
    const campaignId = await newCampaign({
      brandIds: [brand.id],
      probesPerBrand: 3,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      sendWindow: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
      reminder: { afterHours: 24, max: 0 },
    });
    expect((await api('POST', `/v1/campaigns/${campaignId}/schedule`)).status).toBe(200);
    const probes = await until('the plan', async () => {
      const { rows } = await t.db.pool.query<{ id: string }>('select id from probes where campaign_id = $1', [campaignId]);
      return rows.length === 3 && rows;
    });
    // one probe goes out now; the other two wait for their time, within the hour
    await t.db.pool.query('update probes set scheduled_at = now() where id = $1', [probes[0]!.id]);
    await (await q.queues['send-probe'].getJob(jobIds.sendProbe(probes[0]!.id)))!.promote();
    await until('the first probe sent', async () => (await status(probes[0]!.id)) === 'sent');

    const closed = await api('POST', `/v1/campaigns/${campaignId}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    const closedAt = new Date(closed.body.closedAt);
    expect((await api('POST', `/v1/campaigns/${campaignId}/close`)).status).toBe(409);
    expect(await Promise.all(probes.map((p) => status(p.id)))).toEqual(['sent', 'cancelled', 'cancelled']);
    expect((await findOutcome(t.db.pool, probes[0]!.id))?.frozen).toBe(true);

    await storeAnswer(probes[0]!.id, new Date(closedAt.getTime() + 1000));
    expect((await findOutcome(t.db.pool, probes[0]!.id))?.answeredAt).toBeNull();

    const reopened = await api('POST', `/v1/campaigns/${campaignId}/reopen`);
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ status: 'running', closedAt: null });
    const outcome = (await findOutcome(t.db.pool, probes[0]!.id))!;
    expect(outcome.frozen).toBe(false);
    expect(outcome.answeredAt).not.toBeNull();
    expect((await api('POST', `/v1/campaigns/${campaignId}/reopen`)).status).toBe(409);
  });
});

/** A bounce from the brand's mail server, stored as the sync and the matching would store it. */
async function storeBounce(probeId: string): Promise<void> {
  const source = `Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <${unique()}@mx.brand.example>\r\n\r\n550 5.1.1 User unknown\r\n`;
  const { rows } = await t.db.pool.query<{ id: string }>(
    `insert into messages (mailbox_id, folder, uid_validity, uid, source_sha256, size, received_at, kind, probe_id)
     values ($1, 'INBOX', 1, (select coalesce(max(uid), 0) + 1 from messages), $2, $3, now(), 'bounce', $4) returning id`,
    [mailboxId, createHash('sha256').update(source).digest(), source.length, probeId],
  );
  await t.db.pool.query(`insert into replies (id, probe_id, kind, received_at) values ($1, $2, 'bounce', now())`, [rows[0]!.id, probeId]);
  await recomputeOutcome(t.db.pool, probeId);
}

const jobState = async (queue: 'send-probe' | 'send-reminder', jobId: string) => (await q.queues[queue].getJob(jobId))?.getState();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('planning and declared probes', () => {
  it('plans a campaign whose probes were declared by hand before it was scheduled', async () => {
    const brand = await newBrand('Lambda');
    const startsAt = new Date();
    const campaignId = await newCampaign({
      brandIds: [brand.id],
      probesPerBrand: 2,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      reminder: { afterHours: 24, max: 0 },
    });
    const declared = await api('POST', '/v1/probes', { campaignId, brandId: brand.id, mailboxId, scenarioId, channel: 'webform', recipient: 'https://lambda.example/contact', sentAt: new Date().toISOString() });
    expect(declared.status).toBe(201);

    expect((await api('POST', `/v1/campaigns/${campaignId}/schedule`)).status).toBe(200);
    const planned = await until('the plan beside the declared probe', async () => {
      const { rows } = await t.db.pool.query<{ id: string }>(`select id from probes where campaign_id = $1 and channel = 'email' and scheduled_at is not null`, [campaignId]);
      return rows.length === 2 && rows;
    });
    // a second schedule job (a retry, a second request) plans nothing twice
    await campaignProcessor(deps, timing)({ name: 'schedule', data: { campaignId } } as Parameters<ReturnType<typeof campaignProcessor>>[0]);
    const { rows } = await t.db.pool.query('select id from probes where campaign_id = $1', [campaignId]);
    expect(rows).toHaveLength(planned.length + 1);
  });

  it('refuses a probe for the service to send while its campaign is a draft, naming campaignId', async () => {
    const brand = await newBrand('Mu');
    const campaignId = await newCampaign({ brandIds: [brand.id] });
    const refused = await api('POST', '/v1/probes', {
      campaignId,
      brandId: brand.id,
      mailboxId,
      scenarioId,
      channel: 'email',
      recipient: brand.contact,
      subject: 'Question',
      body: 'Bonjour',
      scheduledAt: new Date().toISOString(),
    });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(new RegExp(`campaignId ${campaignId}: the campaign is draft`));
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'body/campaignId' })]);
    expect((await t.db.pool.query('select 1 from probes where campaign_id = $1', [campaignId])).rows).toEqual([]);
  });
});

describe('lost and stuck jobs', () => {
  it('waits, without spending attempts, while another worker holds the send lock', async () => {
    const brand = await newBrand('Nu');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 0 } });
    const probe = await plannedProbe(campaignId, brand, 'Verrou');
    const holder = await t.db.pool.connect();
    try {
      await holder.query('select pg_advisory_lock(hashtextextended($1, 0))', [`probe:${probe.id}`]);
      await enqueueSendProbes(q.queues, [probe], timing);
      await sleep(1500);
      const job = (await q.queues['send-probe'].getJob(jobIds.sendProbe(probe.id)))!;
      expect(await job.getState()).not.toBe('failed');
      expect(job.attemptsMade).toBe(0);
      expect(await status(probe.id)).toBe('planned');
    } finally {
      await holder.query('select pg_advisory_unlock(hashtextextended($1, 0))', [`probe:${probe.id}`]);
      holder.release();
    }
    await until('the probe sent once the lock is free', async () => (await status(probe.id)) === 'sent');
    expect(smtp.to(brand.contact)).toHaveLength(1);
  });

  it('re-enqueues a planned probe whose failed job holds its id, a probe left sending, and a reminder whose job was lost', async () => {
    const brand = await newBrand('Xi');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 1 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const past = new Date(Date.now() - 60_000);
    // a planned probe whose job failed for good without touching it: the failed job keeps its id
    const planned = await plannedProbe(campaignId, brand, 'Perdu', { scheduledAt: past });
    await q.queues['send-probe'].add('send', { probeId: 'not-a-uuid' }, { jobId: jobIds.sendProbe(planned.id), attempts: 1 });
    await until('the job failed', async () => (await jobState('send-probe', jobIds.sendProbe(planned.id))) === 'failed');
    // a probe left sending by a worker that died before the SMTP conversation, with no job:
    // re-queued once, then held for an auditor (no copy in the Sent folder)
    const sending = await plannedProbe(campaignId, brand, 'En cours', { scheduledAt: past });
    await t.db.pool.query(`update probes set status = 'sending', internet_message_id = $2, updated_at = now() - interval '1 hour' where id = $1`, [sending.id, `${unique()}-stuck@sonde.test`]);
    // a probe sent long ago whose reminder job was lost
    const sent = await plannedProbe(campaignId, brand, 'Relance perdue', { scheduledAt: past });
    await t.db.pool.query(`update probes set status = 'sent', sent_at = now() - interval '1 hour', internet_message_id = $2 where id = $1`, [sent.id, `${unique()}-old@sonde.test`]);
    await recomputeOutcome(t.db.pool, sent.id);

    const first = await reconcileSends(deps, timing);
    expect(first.probes).toBeGreaterThanOrEqual(2);
    expect(first.reminders).toBeGreaterThanOrEqual(1);
    await until('the planned probe sent', async () => (await status(planned.id)) === 'sent');
    await until('the probe left sending held', async () => (await t.db.pool.query('select held_at from probes where id = $1', [sending.id])).rows[0]?.held_at);
    await until('the lost reminder sent', async () => (await reminderRow(sent.id))?.status === 'sent');
    expect(smtp.to(brand.contact)).toHaveLength(2);

    // nothing is queued twice: what is done or alive is left alone
    const again = await reconcileSends(deps, timing);
    const mine = await t.db.pool.query(`select 1 from probes where campaign_id = $1 and status <> 'sent' and held_at is null`, [campaignId]);
    expect(mine.rows).toEqual([]);
    expect(again.probes).toBe(0);
  });

  it('records the SMTP acceptance before the Sent copy; a record that fails keeps the copy, says why, and the retry finds it', async () => {
    const brand = await newBrand('Pi');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 0 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const probe = await plannedProbe(campaignId, brand, 'Panne');
    // PostgreSQL refuses to record this probe as sent, as an outage right after the acceptance would
    await t.db.pool.query(`create table if not exists test_refuse_sent (probe_id uuid primary key)`);
    await t.db.pool.query(`create or replace function test_refuse_sent() returns trigger language plpgsql as $$
      begin
        if new.status = 'sent' and exists (select 1 from test_refuse_sent where probe_id = new.id) then raise exception 'database unavailable'; end if;
        return new;
      end $$`);
    await t.db.pool.query(`create or replace trigger test_refuse_sent before update on probes for each row execute function test_refuse_sent()`);
    await t.db.pool.query('insert into test_refuse_sent values ($1)', [probe.id]);

    await q.queues['send-probe'].add('send', { probeId: probe.id }, { jobId: jobIds.sendProbe(probe.id), attempts: 1 });
    await until('the job given up', async () => (await jobState('send-probe', jobIds.sendProbe(probe.id))) === 'failed');
    const stuck = (await findProbe(t.db.pool, probe.id))!;
    expect(stuck.status).toBe('sending');
    expect(stuck.error).toMatch(/database unavailable/);
    expect(smtp.withMessageId(stuck.messageId!)).toHaveLength(1);
    expect((await sentFolder()).has(stuck.messageId!)).toBe(true);

    await t.db.pool.query('delete from test_refuse_sent where probe_id = $1', [probe.id]);
    await sleep(100);
    expect((await reconcileSends(deps, timing)).probes).toBeGreaterThanOrEqual(1);
    await until('the probe recovered from its Sent copy', async () => (await status(probe.id)) === 'sent');
    expect(smtp.withMessageId(stuck.messageId!)).toHaveLength(1);
  });
});

describe('a mailbox that cannot send', () => {
  it('keeps the probe planned and the job waiting while the SMTP login is refused, and sends once the settings are fixed', async () => {
    const brand = await newBrand('Rho');
    const locked = await api('POST', '/v1/mailboxes', {
      label: 'Marie (mot de passe changé)',
      address: `marie.${unique()}@sonde.test`,
      persona: { firstName: 'Marie', lastName: 'Dupont', gender: 'female' },
      imap: { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: persona.user, password: persona.password },
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false, allowPlaintext: true, user: LOCKED_OUT, password: 'old' },
    });
    expect(locked.status).toBe(201);
    const campaignId = await newCampaign({ brandIds: [brand.id], mailboxIds: [locked.body.id], reminder: { afterHours: 24, max: 0 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const probe = await plannedProbe(campaignId, brand, 'Mot de passe', { mailboxId: locked.body.id });
    await enqueueSendProbes(q.queues, [probe], timing);

    const mailbox = await until('the refusal recorded on the mailbox', async () => {
      const m = await findMailbox(t.db.pool, locked.body.id);
      return m?.sendState.lastError ? m : null;
    });
    expect(mailbox.sendState.lastError).toMatch(/535/);
    // a successful IMAP poll would clear the sync error, never the sending fault
    expect(mailbox.syncState.lastError).toBeNull();
    await sleep(500);
    const job = (await q.queues['send-probe'].getJob(jobIds.sendProbe(probe.id)))!;
    expect(job.attemptsMade).toBe(0);
    expect(await job.getState()).not.toBe('failed');
    // planned between its hourly tries (an "hour" is 100 ms here, so it may be trying right now)
    const waiting = (await findProbe(t.db.pool, probe.id))!;
    expect(['planned', 'sending']).toContain(waiting.status);
    expect(waiting.error).toBeNull();

    const fixed = await api('PATCH', `/v1/mailboxes/${locked.body.id}`, { smtp: { host: '127.0.0.1', port: smtp.port, secure: false, allowPlaintext: true, user: persona.user, password: persona.password } });
    expect(fixed.status).toBe(200);
    await until('the probe sent with the new settings', async () => (await status(probe.id)) === 'sent');
    expect(smtp.to(brand.contact)).toHaveLength(1);
  });
});

describe('an overdue probe', () => {
  it('waits for the next opening of the send window instead of going out while it is shut', async () => {
    const brand = await newBrand('Sigma');
    const tomorrow = DateTime.now().setZone(PARIS).plus({ days: 1 });
    const campaignId = await newCampaign({ brandIds: [brand.id], sendWindow: { days: [tomorrow.weekday], from: '00:00', to: '24:00' }, reminder: { afterHours: 24, max: 0 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    // its time was an "hour" ago: the worker was down
    const probe = await plannedProbe(campaignId, brand, 'En retard', { scheduledAt: new Date(Date.now() - 100) });
    await enqueueSendProbes(q.queues, [probe], timing);
    await until('the job put back', async () => (await jobState('send-probe', jobIds.sendProbe(probe.id))) === 'delayed' && (await q.queues['send-probe'].getJob(jobIds.sendProbe(probe.id)))!.processedOn);
    const job = (await q.queues['send-probe'].getJob(jobIds.sendProbe(probe.id)))!;
    const opening = tomorrow.startOf('day').toMillis();
    // to the millisecond, but for the time the worker took between reading the clock and moving the job
    expect(Math.abs(job.timestamp + job.delay - opening)).toBeLessThan(1_000);
    expect(await status(probe.id)).toBe('planned');
    expect(smtp.to(brand.contact)).toEqual([]);
  });
});

describe('a Redis that lost its data', () => {
  it('rebuilds every schedule: each planned probe at its time, once', async () => {
    const brand = await newBrand('Omicron');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 24, max: 0 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    // a probe planned a minute from now whose delayed job went with Redis's data
    const at = new Date(Date.now() + 60_000);
    const probe = await plannedProbe(campaignId, brand, 'Après la panne', { scheduledAt: at });
    // while Redis keeps its data, a probe not yet due is none of the reconciler's business
    await q.producerRedis.set(`${q.prefix}:sonde:queues-alive`, 'alive');
    expect(await reconcileSends(deps, timing)).toMatchObject({ rebuilt: false });
    expect(await q.queues['send-probe'].getJob(jobIds.sendProbe(probe.id))).toBeUndefined();
    // Redis restarted empty: the marker beside the queues is gone with everything else
    await q.producerRedis.del(`${q.prefix}:sonde:queues-alive`);
    expect(await reconcileSends(deps, timing)).toMatchObject({ rebuilt: true });
    const job = (await q.queues['send-probe'].getJob(jobIds.sendProbe(probe.id)))!;
    expect(await job.getState()).toBe('delayed');
    expect(Math.abs(job.timestamp + job.delay - at.getTime())).toBeLessThan(1_000);
    expect(await reconcileSends(deps, timing)).toMatchObject({ rebuilt: false });
    expect(await status(probe.id)).toBe('planned');
    await job.remove();
  });

  it("rebuilds the campaigns' jobs: each automatic close at its time (at once when past), a lost planning; a reopened campaign stays open", async () => {
    const closeJob = (id: string) => q.queues.campaigns.getJob(campaignCloseJobId(id));
    const campaignStatus = async (id: string) => (await t.db.pool.query<{ status: string }>('select status from campaigns where id = $1', [id])).rows[0]?.status;
    const brand = await newBrand('Upsilon');
    // planned campaigns running, whose delayed close jobs went with Redis's data: one ended long ago, one ends in an hour
    const [past, future, reopened] = [await newCampaign({ brandIds: [brand.id] }), await newCampaign({ brandIds: [brand.id] }), await newCampaign({ brandIds: [brand.id] })];
    const endsIn = new Date(Date.now() + 3_600_000);
    for (const [id, endsAt] of [[past, new Date(Date.now() - 3_600_000)], [future, endsIn], [reopened, new Date(Date.now() - 3_600_000)]] as const) {
      await t.db.pool.query(`update campaigns set status = 'running', planned_at = now(), starts_at = $2, ends_at = $3 where id = $1`, [id, new Date(endsAt.getTime() - 86_400_000), endsAt]);
    }
    await t.db.pool.query('update campaigns set reopened_at = now() where id = $1', [reopened]);
    // a campaign scheduled whose planning job was lost before it ran
    const unplanned = await newCampaign({ brandIds: [brand.id], startsAt: new Date(Date.now() + 86_400_000).toISOString(), endsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(), probesPerBrand: 1, reminder: { afterHours: 24, max: 0 } });
    await transitionCampaign(t.db.pool, unplanned, ['draft'], 'scheduled');

    // while Redis keeps its data, nothing is rebuilt
    const reconcileDeps = { ...deps, closeAfterDays: deps.config.closeAfterDays };
    await q.producerRedis.set(`${q.prefix}:sonde:queues-alive`, 'alive');
    expect(await reconcileSends(reconcileDeps, timing)).toMatchObject({ rebuilt: false });
    expect(await closeJob(future)).toBeUndefined();
    await q.producerRedis.del(`${q.prefix}:sonde:queues-alive`);
    expect(await reconcileSends(reconcileDeps, timing)).toMatchObject({ rebuilt: true });

    await until('the campaign past its close time closed', async () => (await campaignStatus(past)) === 'closed');
    const delayed = (await closeJob(future))!;
    expect(await delayed.getState()).toBe('delayed');
    const closeAt = endsIn.getTime() + deps.config.closeAfterDays * 24 * timing.msPerHour;
    expect(Math.abs(delayed.timestamp + delayed.delay - closeAt)).toBeLessThan(1_000);
    expect(await closeJob(reopened)).toBeUndefined();
    await until('the lost planning done', async () => (await t.db.pool.query('select 1 from probes where campaign_id = $1', [unplanned])).rows.length > 0);
    expect(await campaignStatus(unplanned)).toBe('scheduled');
    expect(await campaignStatus(future)).toBe('running');
    expect(await campaignStatus(reopened)).toBe('running');

    // a second loss of the marker alone queues nothing twice
    await q.producerRedis.del(`${q.prefix}:sonde:queues-alive`);
    const { rebuilt } = await reconcileSends(reconcileDeps, timing);
    expect(rebuilt).toBe(true);
    expect((await closeJob(future))!.id).toBe(delayed.id);
    expect((await closeJob(future))!.timestamp).toBe(delayed.timestamp);
    for (const id of [future, unplanned]) await (await closeJob(id))?.remove();
  });
});

describe('reminders that must not go out', () => {
  it('never sends, after a reopen, a reminder closing cancelled before it was due', async () => {
    const brand = await newBrand('Tau');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 10, max: 2 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const probe = await plannedProbe(campaignId, brand, 'Fermeture');
    await enqueueSendProbes(q.queues, [probe], timing);
    await until('the probe sent', async () => (await status(probe.id)) === 'sent');
    expect((await api('POST', `/v1/campaigns/${campaignId}/close`)).status).toBe(200);
    expect((await api('POST', `/v1/campaigns/${campaignId}/reopen`)).status).toBe(200);

    // two reminders of 10 "hours" would have gone out by now
    await sleep(2500);
    expect(await reconcileSends(deps, timing)).toMatchObject({ reminders: 0 });
    expect((await t.db.pool.query('select seq, status from reminders where probe_id = $1 order by seq', [probe.id])).rows).toEqual([
      { seq: 1, status: 'cancelled' },
      { seq: 2, status: 'cancelled' },
    ]);
    expect(smtp.to(brand.contact)).toHaveLength(1);
  });

  it('cancels the reminder of a probe that bounced', async () => {
    const brand = await newBrand('Upsilon');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 10, max: 1 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const probe = await plannedProbe(campaignId, brand, 'Adresse inconnue');
    await enqueueSendProbes(q.queues, [probe], timing);
    await until('the probe sent', async () => (await status(probe.id)) === 'sent');
    await storeBounce(probe.id);
    await until('the reminder settled', async () => (await reminderRow(probe.id))?.status === 'cancelled');
    expect(smtp.to(brand.contact)).toHaveLength(1);
  });

  it('cancels a web-form reminder waiting for an auditor when the brand answers, and refuses to confirm it', async () => {
    const brand = await newBrand('Phi');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 1, max: 1 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const declared = await api('POST', '/v1/probes', { campaignId, brandId: brand.id, mailboxId, scenarioId, channel: 'webform', recipient: 'https://phi.example/contact', sentAt: new Date().toISOString() });
    const probeId: string = declared.body.id;
    await until('the reminder due', async () => (await reminderRow(probeId))?.status === 'due');

    const answeredAt = new Date();
    await storeAnswer(probeId, answeredAt);
    expect((await reminderRow(probeId))?.status).toBe('cancelled');
    const refused = await api('POST', `/v1/probes/${probeId}/reminders/1/confirm`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain(`the brand answered at ${answeredAt.toISOString()}`);
  });

  it('leaves to an auditor the reminder of an e-mail probe declared without its recipient or subject', async () => {
    const brand = await newBrand('Chi');
    const campaignId = await newCampaign({ brandIds: [brand.id], reminder: { afterHours: 1, max: 1 } });
    await transitionCampaign(t.db.pool, campaignId, ['draft'], 'running');
    const declared = await api('POST', '/v1/probes', { campaignId, brandId: brand.id, mailboxId, channel: 'email', messageId: `<${unique()}@outside.example>`, sentAt: new Date().toISOString() });
    expect(declared.status).toBe(201);
    const probeId: string = declared.body.id;
    await until('the reminder due', async () => (await reminderRow(probeId))?.status === 'due');
    const confirmed = await api('POST', `/v1/probes/${probeId}/reminders/1/confirm`, {});
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'sent', channel: 'email' });
  });
});
