/**
 * Drill 9: a flood of bad mail. 1,000 messages among which malformed MIME, 30 MB
 * attachments (above the 25 MB cap: headers only), 12 MB ones (below it: whole), 8-bit
 * headers in unknown charsets, a message of 5,000 parts and an HTML bomb (deeply nested
 * tags). Every message is stored (with its parse error where it has one), the worker's
 * memory stays bounded (peak RSS read from /proc/<pid>/status VmHWM), the mailbox is never
 * stuck: the sync ends and the next poll is an ordinary one.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessages } from '../support/imap.ts';
import { Drill, apiOf, startSonde, waitFor, type DrillApi, type DrillDatabase, type SondeProcess } from '../support/drill-harness.ts';
import { startDrillServers } from '../support/drill-setup.ts';
import { type DrillDovecot } from '../support/drill-servers.ts';
import { createMailbox, storedCounts } from '../support/drill-world.ts';
import { rawMail } from '../support/mail-factory.ts';

const drill = new Drill('bad-mail-flood');
let dovecot: DrillDovecot;
let db: DrillDatabase;
let api: DrillApi;
let worker: SondeProcess;

/** Bound for the worker's peak RSS: measured 680 MB with batches capped by bytes, 3.3 GB without (500 messages a batch whatever their size). */
const PEAK_RSS_LIMIT_MB = 1000;

beforeAll(async () => {
  const servers = await startDrillServers(drill);
  ({ dovecot, db } = servers);
  const { logDir, settings } = servers;
  const front = await startSonde(drill, settings, 'api,scheduler', logDir);
  worker = await startSonde(drill, settings, 'worker', logDir);
  api = apiOf(front, settings);
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

const CRLF = '\r\n';
const head = (to: string, subject: string, extra: string[] = []) =>
  [`From: robot@flood.example`, `To: ${to}`, `Subject: ${subject}`, `Date: ${new Date().toUTCString()}`, `Message-ID: <${randomBytes(8).toString('hex')}@flood.example>`, 'MIME-Version: 1.0', ...extra];

function withAttachment(to: string, subject: string, bytes: number): Buffer {
  const boundary = `b${randomBytes(6).toString('hex')}`;
  const base64 = randomBytes(Math.floor((bytes * 3) / 4)).toString('base64').replace(/.{76}/g, `$&${CRLF}`);
  return Buffer.from(
    [
      ...head(to, subject, [`Content-Type: multipart/mixed; boundary="${boundary}"`]),
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Veuillez trouver le document ci-joint.',
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="archive.bin"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="archive.bin"',
      '',
      base64,
      `--${boundary}--`,
      '',
    ].join(CRLF),
  );
}

function manyParts(to: string, parts: number): Buffer {
  const boundary = `p${randomBytes(6).toString('hex')}`;
  const body: string[] = [];
  for (let i = 0; i < parts; i++) body.push(`--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', `partie ${i}`);
  return Buffer.from([...head(to, `${parts} parties`, [`Content-Type: multipart/mixed; boundary="${boundary}"`]), '', ...body, `--${boundary}--`, ''].join(CRLF));
}

function htmlBomb(to: string, depth: number): Buffer {
  const html = `<html><body>${'<div><span><b>'.repeat(depth)}bonjour${'</b></span></div>'.repeat(depth)}</body></html>`;
  return Buffer.from([...head(to, 'Bombe HTML', ['Content-Type: text/html; charset=utf-8']), '', html, ''].join(CRLF));
}

function eightBitHeaders(to: string, i: number): Buffer {
  const subject = Buffer.concat([Buffer.from(`Sujet ${i} `), Buffer.from([0xe9, 0xe8, 0xff, 0xfe, 0x80, 0x81]), Buffer.from(' =?x-inconnu?B?w6k=?=')]);
  const from = Buffer.concat([Buffer.from('From: '), Buffer.from([0xc9, 0x6c, 0x6f, 0xef, 0x73, 0x65]), Buffer.from(' <elo@flood.example>')]);
  return Buffer.concat([
    from,
    Buffer.from(CRLF),
    Buffer.from(`To: ${to}${CRLF}Subject: `),
    subject,
    Buffer.from(`${CRLF}Message-ID: <${randomBytes(8).toString('hex')}@flood.example>${CRLF}MIME-Version: 1.0${CRLF}Content-Type: text/plain; charset=x-unknown-8bit${CRLF}${CRLF}`),
    Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0d, 0x0a]),
  ]);
}

function malformed(to: string, i: number): Buffer {
  const variants = [
    // a boundary announced and never used
    [...head(to, `cassé ${i}`, ['Content-Type: multipart/mixed; boundary="absente"']), '', 'du texte sans frontière', ''].join(CRLF),
    // cut in the middle of a base64 part
    [...head(to, `tronqué ${i}`, ['Content-Type: multipart/mixed; boundary="x"']), '', '--x', 'Content-Transfer-Encoding: base64', '', 'SGVsbG8gd29y'].join(CRLF),
    // no header block at all
    `juste du texte ${i}, sans en-tête${CRLF}`,
    // a header line with no colon, a bad transfer encoding
    [...head(to, `bizarre ${i}`, ['Content-Transfer-Encoding: quoted-printable']), 'Ceci n\'est pas un en-tête', '', '=ZZ=XX=0'].join(CRLF),
  ];
  return Buffer.from(variants[i % variants.length]!);
}

describe('drill 9: a flood of bad mail', () => {
  it('stores every message, keeps the worker within its memory bound, never sticks', async () => {
    const user = await dovecot.createUser('flood');
    const mailbox = await createMailbox(api, dovecot, user, { enabled: false, pollIntervalSeconds: 5 });
    const to = user.address;
    const kinds: Record<string, number> = { huge30mb: 3, large12mb: 25, parts5000: 1, htmlBomb: 1, eightBit: 100, malformed: 200 };
    const messages: Buffer[] = [];
    for (let i = 0; i < kinds.huge30mb!; i++) messages.push(withAttachment(to, `30 Mo ${i}`, 30 * 1024 * 1024));
    for (let i = 0; i < kinds.large12mb!; i++) messages.push(withAttachment(to, `12 Mo ${i}`, 12 * 1024 * 1024));
    messages.push(manyParts(to, 5000));
    messages.push(htmlBomb(to, 20_000));
    for (let i = 0; i < kinds.eightBit!; i++) messages.push(eightBitHeaders(to, i));
    for (let i = 0; i < kinds.malformed!; i++) messages.push(malformed(to, i));
    const ordinary = 1000 - messages.length;
    for (let i = 0; i < ordinary; i++) messages.push(Buffer.from(rawMail({ from: `client${i}@flood.example`, to, subject: `Message ${i}`, text: `Bonjour ${i}` })));
    // the bad ones spread through the ordinary ones, large ones first so they meet in one batch
    const order = messages.map((raw, i) => ({ raw, i, key: i < 28 ? i : (i * 7919) % 1000 }));
    order.sort((a, b) => a.key - b.key);
    await appendMessages(dovecot, user, 'INBOX', order.map((m) => ({ raw: m.raw, internalDate: new Date(Date.now() - 3_600_000) })));

    const startedAt = Date.now();
    let peakRssMb = 0;
    const sampler = setInterval(() => void worker.peakRssMb().then((mb) => (peakRssMb = Math.max(peakRssMb, mb ?? 0))), 500);
    try {
      await api.patch(`/v1/mailboxes/${mailbox.id}`, { enabled: true });
      await waitFor('every message stored', async () => (await storedCounts(db, mailbox.id)).rows >= 1000 || worker.exited, 300_000, 500);
    } finally {
      clearInterval(sampler);
    }
    peakRssMb = Math.max(peakRssMb, (await worker.peakRssMb()) ?? 0);
    const syncS = (Date.now() - startedAt) / 1000;
    expect(worker.exited).toBe(false);
    const rows = await db.count('select count(*) from messages where mailbox_id = $1', [mailbox.id]);
    expect(rows).toBe(1000);
    const distinct = await db.count('select count(distinct source_sha256) from messages where mailbox_id = $1', [mailbox.id]);
    const withParseError = await db.count('select count(*) from messages where mailbox_id = $1 and parse_error is not null', [mailbox.id]);
    const oversize = await db.count('select count(*) from messages where mailbox_id = $1 and oversize', [mailbox.id]);
    expect(oversize).toBe(kinds.huge30mb);
    expect(withParseError).toBeGreaterThanOrEqual(kinds.huge30mb! + 1);
    // never stuck: after the flood the mailbox takes new mail and its polls succeed (a sync asked
    // through the API runs even while the IDLE watch spaces out the scheduled polls)
    const polledAt = Date.now();
    await appendMessages(dovecot, user, 'INBOX', [{ raw: Buffer.from(rawMail({ from: 'apres@flood.example', to, subject: 'Après le déluge', text: 'Bonjour' })), internalDate: new Date() }]);
    await api.post(`/v1/mailboxes/${mailbox.id}/sync`);
    await waitFor('an ordinary poll after the flood, with the new message stored', async () => {
      const state = (await api.get<{ syncState: { lastPolledAt: string | null; lastError: string | null } }>(`/v1/mailboxes/${mailbox.id}`)).syncState;
      const polled = state.lastError === null && state.lastPolledAt !== null && new Date(state.lastPolledAt).getTime() > polledAt;
      return polled && (await storedCounts(db, mailbox.id)).rows === 1001;
    }, 60_000, 500);
    expect(peakRssMb).toBeLessThan(PEAK_RSS_LIMIT_MB);
    drill.report({ drill: 9, messages: rows, faults: 1000 - ordinary, withParseError, oversize, peakRssMb: Math.round(peakRssMb), lost: 1000 - distinct, doubled: rows - distinct, syncS });
  }, 600_000);
});
