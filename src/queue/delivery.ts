/**
 * What the send-probe and send-reminder jobs share: the clock, the mailbox's logins, and the
 * protocol that sends a message at most once (`deliverOnce`).
 *
 * At most once: the job claims the message (`sending`, its Message-ID stored) before the SMTP
 * conversation, records it `sent` right after the server accepted it, then puts a copy in the
 * Sent folder. A message found `sending` by a later attempt was interrupted; the Sent folder
 * is asked first (by Message-ID) and only a message that is not there goes out again. The
 * window left is a crash between the server's acceptance and the commit of that record; a
 * record that fails still gets its copy, so the next attempt finds it.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { messageIdKey } from '../audit/match.ts';
import { clearMailboxSendError, recordMailboxSendError } from '../db/campaign-schedule.repo.ts';
import { findMailboxCredentials } from '../db/mailboxes.repo.ts';
import type { Queryable } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { appendToSent, findInSent } from '../mail/sent-folder.ts';
import { buildRawMessage, sendMail, SmtpSendError, type OutgoingMessage, type ServerLogin } from '../mail/smtp.ts';
import type { SecretBox } from '../secrets.ts';

/**
 * The clock and the length of an hour. Tests shorten the hour (`msPerHour`) so that a
 * 24-hour reminder delay takes seconds; every delay the jobs compute goes through here.
 */
export interface Timing {
  now: () => Date;
  msPerHour: number;
}

export const SYSTEM_TIMING: Timing = { now: () => new Date(), msPerHour: 3_600_000 };

export const hoursAfter = (from: Date, hours: number, timing: Timing): Date => new Date(from.getTime() + hours * timing.msPerHour);

/** Milliseconds from now until `at`; 0 when `at` has passed. */
export const delayUntil = (at: Date, timing: Timing): number => Math.max(0, at.getTime() - timing.now().getTime());

/**
 * `uuid@domain` on the sending address's domain, as Thunderbird makes them; stored without
 * angle brackets like every Message-ID in the database, written with them in the header.
 */
export function newMessageId(fromAddress: string): string {
  const domain = fromAddress.split('@')[1] || 'localhost';
  return `${randomUUID()}@${domain.toLowerCase()}`;
}

/**
 * Runs `work` in a transaction on `db`, a connection of its own (the send lock's): a status
 * change and the outcome it moves land together.
 */
export async function inTransaction<T>(db: Queryable, work: () => Promise<T>): Promise<T> {
  await db.query('begin');
  try {
    const result = await work();
    await db.query('commit');
    return result;
  } catch (err) {
    await db.query('rollback').catch(() => undefined);
    throw err;
  }
}

export interface SendingMailbox {
  address: string;
  persona: { firstName: string; lastName: string };
  smtp: ServerLogin;
  imap: ServerLogin;
}

/** The mailbox's address, persona and opened logins; a mailbox without SMTP settings is a fault of the mailbox. */
export async function sendingMailbox(db: Queryable, secretBox: SecretBox, mailboxId: string): Promise<SendingMailbox> {
  const credentials = await findMailboxCredentials(db, mailboxId);
  if (!credentials) throw new UnrecoverableError(`mailbox ${mailboxId} does not exist`);
  const { mailbox } = credentials;
  if (!credentials.smtp) throw new MailboxFaultError(`mailbox ${mailbox.label} has no SMTP settings`);
  const { sealedPassword: smtpSealed, oauth2: _smtpOAuth2, ...smtp } = credentials.smtp;
  const { sealedPassword: imapSealed, oauth2: _imapOAuth2, ...imap } = credentials.imap;
  if (smtpSealed === undefined || imapSealed === undefined) throw new MailboxFaultError(`mailbox ${mailbox.label} logs in with OAuth2, which this sender does not speak yet`);
  return {
    address: mailbox.address,
    persona: mailbox.persona,
    smtp: { ...smtp, password: secretBox.open(smtpSealed) },
    imap: { ...imap, password: secretBox.open(imapSealed) },
  };
}

export interface SendOnce {
  message: OutgoingMessage;
  mailbox: SendingMailbox;
  /** A previous attempt claimed this message and never finished: ask the Sent folder first. */
  resumed: boolean;
}

export interface Sent {
  /** SMTP acceptance, or the INTERNALDATE of the Sent copy found after a crash. */
  sentAt: Date;
  /** The server's final reply; null when recovered from the Sent folder. */
  response: string | null;
  recovered: boolean;
}

/** The servers a message goes through; tests put fakes in their place. */
export interface MailTransport {
  send: typeof sendMail;
  appendToSent: typeof appendToSent;
  findInSent: typeof findInSent;
}

export const SMTP_TRANSPORT: MailTransport = { send: sendMail, appendToSent, findInSent };

/**
 * Sends `message` unless the Sent folder shows an interrupted attempt already went through,
 * and `record`s it as sent right after the server's acceptance, before the copy is put in
 * the Sent folder: the shortest window for a double send. Should `record` fail, the copy is
 * still put there and the failure rethrown: the next attempt finds the copy.
 */
export async function sendOnce(
  spec: SendOnce,
  record: (sent: Sent) => Promise<void>,
  timing: Timing,
  log: Logger,
  transport: MailTransport = SMTP_TRANSPORT,
): Promise<Sent> {
  const { message, mailbox } = spec;
  if (spec.resumed) {
    // An IMAP failure here rejects, and the job retries later: never send blind.
    const copy = await transport.findInSent(mailbox.imap, message.messageId);
    if (copy) {
      const recovered = { sentAt: copy.internalDate, response: null, recovered: true };
      await record(recovered);
      return recovered;
    }
  }
  const raw = await buildRawMessage(message);
  const accepted = await transport.send(mailbox.smtp, message, { raw, now: timing.now });
  const sent = { sentAt: accepted.acceptedAt, response: accepted.response, recovered: false };
  const recorded = await record(sent).then(
    () => null,
    (err: unknown) => ({ err }),
  );
  try {
    await transport.appendToSent(mailbox.imap, raw, accepted.acceptedAt);
  } catch (err) {
    // The server accepted it: that is the fact to record. A missing copy costs the crash check, not the send.
    log.warn({ err, messageId: message.messageId }, 'accepted by the SMTP server, but the copy could not be put in the Sent folder');
  }
  if (recorded) throw recorded.err;
  if (accepted.serverMessageId && messageIdKey(accepted.serverMessageId) !== messageIdKey(message.messageId)) {
    log.warn({ messageId: message.messageId, serverMessageId: accepted.serverMessageId }, 'the SMTP server replaced the Message-ID');
  }
  return sent;
}

/** A probe or a reminder on its way out, as `deliverOnce` handles both. */
export interface Deliverable<T extends { messageId: string | null }> {
  mailboxId: string;
  /** The persona's address the message goes out from; the mailbox's own when null. */
  personaAddress: string | null;
  /** Set when an earlier attempt claimed the message and never finished. */
  resumed: T | null;
  /** Waiting → `sending`, storing the Message-ID the message will carry; null when it is no longer waiting. */
  claim(messageId: string): Promise<T | null>;
  compose(claimed: T, mailbox: SendingMailbox): Promise<OutgoingMessage>;
  /** Records the acceptance (or the copy found after a crash); runs inside a transaction. */
  record(sent: Sent): Promise<void>;
  /**
   * After a failed attempt: back to `waiting` (surely not sent), `failed` for good, or left
   * `sending` (it may have gone out: the next attempt asks the Sent folder), with the reason.
   */
  setback(to: 'waiting' | 'sending' | 'failed', failure: Failure): Promise<void>;
}

/** How long a job waits for a mailbox whose settings are refused: someone has to change them. */
export const MAILBOX_FAULT_WAIT_HOURS = 1;

/**
 * Sends one probe or reminder at most once, on `db` (the send lock's connection). Null when
 * another worker claimed it first. A fault of the mailbox (refused login, no SMTP settings)
 * is recorded on the mailbox, the message left waiting, and the job delayed without
 * spending an attempt; any other failure is judged by `judgeFailure` and rethrown.
 */
export async function deliverOnce<T extends { messageId: string | null }>(
  db: Queryable,
  secretBox: SecretBox,
  item: Deliverable<T>,
  run: JobRun,
  timing: Timing,
  log: Logger,
): Promise<Sent | null> {
  let claimed: T | null = null;
  try {
    const mailbox = await sendingMailbox(db, secretBox, item.mailboxId);
    claimed = item.resumed ?? (await item.claim(newMessageId(item.personaAddress ?? mailbox.address)));
    if (!claimed) return null;
    const message = await item.compose(claimed, mailbox);
    const sent = await sendOnce({ message, mailbox, resumed: item.resumed !== null }, (s) => inTransaction(db, () => item.record(s)), timing, log);
    await clearMailboxSendError(db, item.mailboxId);
    return sent;
  } catch (err) {
    const failure = judgeFailure(err, run.job);
    if (failure.mailboxFault) {
      await recordMailboxSendError(db, item.mailboxId, failure.reason);
      if (claimed) await item.setback('waiting', failure);
      log.warn({ err }, 'the mailbox cannot send: waiting for its settings to change');
      return waitThenRetry(run, delayUntil(hoursAfter(timing.now(), MAILBOX_FAULT_WAIT_HOURS, timing), timing), `mailbox fault: ${failure.reason}`);
    }
    if (claimed) await item.setback(failure.permanent ? 'failed' : failure.refused ? 'waiting' : 'sending', failure);
    log.warn({ err, final: failure.final }, 'not sent');
    throw failure.rethrow;
  }
}

/** A job being processed: what moving it back to the delayed set needs. */
export interface JobRun {
  job: Pick<Job, 'attemptsMade' | 'opts' | 'moveToDelayed'>;
  token: string | undefined;
}

/** Puts the job back to run in `delayMs` without spending an attempt (BullMQ's `DelayedError`). */
export async function waitThenRetry(run: JobRun, delayMs: number, reason: string): Promise<never> {
  await run.job.moveToDelayed(Date.now() + delayMs, run.token);
  throw new DelayedError(reason);
}

/**
 * Records why a send job gave up, when this failure is its last, whatever the cause (a
 * database outage as much as an SMTP refusal). A failure to record is only logged: the
 * job's own failure is the one to report.
 */
export async function recordFinalFailure(err: unknown, job: Pick<Job, 'attemptsMade' | 'opts'>, record: (reason: string) => Promise<void>, log: Logger): Promise<void> {
  if (err instanceof DelayedError) return;
  const failure = judgeFailure(err, job);
  if (!failure.final) return;
  await record(failure.reason).catch((recordErr: unknown) => log.error({ err: recordErr }, 'could not record why the job gave up'));
}

export interface Failure {
  /** What to record: the error, with the server's reply when there was one. */
  reason: string;
  response: string | null;
  /** No attempt will follow: permanent, or the last one allowed. */
  final: boolean;
  /** The same message would get the same refusal. */
  permanent: boolean;
  /** The mailbox cannot send at all (see `SmtpSendError.mailboxFault`): the job waits, the message is not at fault. */
  mailboxFault: boolean;
  /**
   * The server answered with a refusal, so the message surely did not go out. Any other
   * failure (a connection lost mid-conversation, the Sent folder unreachable) leaves the
   * message `sending`, and the next attempt asks the Sent folder first.
   */
  refused: boolean;
  /** What the processor throws: `UnrecoverableError` for a permanent failure, so BullMQ stops. */
  rethrow: Error;
}

/** How a failed send attempt ends: retried with the queue's backoff, or given up. */
export function judgeFailure(err: unknown, job: Pick<Job, 'attemptsMade' | 'opts'>): Failure {
  const error = err instanceof Error ? err : new Error(String(err));
  const mailboxFault = err instanceof MailboxFaultError || (err instanceof SmtpSendError && err.mailboxFault);
  const permanent = !mailboxFault && ((err instanceof SmtpSendError && err.permanent) || err instanceof UnrecoverableError);
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  return {
    reason: error.message,
    response: err instanceof SmtpSendError ? err.response : null,
    final: permanent || (!mailboxFault && lastAttempt),
    permanent,
    mailboxFault,
    refused: mailboxFault || (err instanceof SmtpSendError && err.responseCode !== null),
    rethrow: permanent && !(err instanceof UnrecoverableError) ? new UnrecoverableError(error.message) : error,
  };
}

/** The mailbox has no SMTP settings: none of its messages can go out until someone adds them. */
export class MailboxFaultError extends Error {
  override name = 'MailboxFaultError';
}

/** How long a job waits when another worker holds the send lock of its message. */
export const BUSY_WAIT_HOURS = 1 / 60;
