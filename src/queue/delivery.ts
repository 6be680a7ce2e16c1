/**
 * What the send-probe and send-reminder jobs share: the clock, the mailbox's logins, and the
 * protocol that sends a message at most once.
 *
 * At most once: the job claims the message (`sending`, its Message-ID stored) before the SMTP
 * conversation, and puts a copy in the Sent folder right after the server accepted it. A
 * message found `sending` by a later attempt was interrupted; the Sent folder is asked first
 * (by Message-ID) and only a message that is not there goes out again. The one window left
 * is a crash between the server's acceptance and the end of the APPEND.
 */
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import { messageIdKey } from '../audit/match.ts';
import { findMailbox, findMailboxCredentials } from '../db/mailboxes.repo.ts';
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

/** The mailbox's address, persona and opened logins; a mailbox that cannot send is a permanent failure. */
export async function sendingMailbox(db: Queryable, secretBox: SecretBox, mailboxId: string): Promise<SendingMailbox> {
  const [mailbox, credentials] = await Promise.all([findMailbox(db, mailboxId), findMailboxCredentials(db, mailboxId)]);
  if (!mailbox || !credentials) throw new UnrecoverableError(`mailbox ${mailboxId} does not exist`);
  if (!credentials.smtp) throw new UnrecoverableError(`mailbox ${mailbox.label} has no SMTP settings`);
  const { sealedPassword: smtpSealed, ...smtp } = credentials.smtp;
  const { sealedPassword: imapSealed, ...imap } = credentials.imap;
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

/** Sends `message` unless the Sent folder shows an interrupted attempt already went through. */
export async function sendOnce(spec: SendOnce, timing: Timing, log: Logger): Promise<Sent> {
  const { message, mailbox } = spec;
  if (spec.resumed) {
    // An IMAP failure here rejects, and the job retries later: never send blind.
    const copy = await findInSent(mailbox.imap, message.messageId);
    if (copy) return { sentAt: copy.internalDate, response: null, recovered: true };
  }
  const raw = await buildRawMessage(message);
  const accepted = await sendMail(mailbox.smtp, message, { raw, now: timing.now });
  try {
    await appendToSent(mailbox.imap, raw, accepted.acceptedAt);
  } catch (err) {
    // The server accepted it: that is the fact to record. A missing copy costs the crash check, not the send.
    log.warn({ err, messageId: message.messageId }, 'accepted by the SMTP server, but the copy could not be put in the Sent folder');
  }
  if (accepted.serverMessageId && messageIdKey(accepted.serverMessageId) !== messageIdKey(message.messageId)) {
    log.warn({ messageId: message.messageId, serverMessageId: accepted.serverMessageId }, 'the SMTP server replaced the Message-ID');
  }
  return { sentAt: accepted.acceptedAt, response: accepted.response, recovered: false };
}

export interface Failure {
  /** What to record: the error, with the server's reply when there was one. */
  reason: string;
  response: string | null;
  /** No attempt will follow: permanent, or the last one allowed. */
  final: boolean;
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
  const permanent = (err instanceof SmtpSendError && err.permanent) || err instanceof UnrecoverableError;
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  return {
    reason: error.message,
    response: err instanceof SmtpSendError ? err.response : null,
    final: permanent || lastAttempt,
    refused: err instanceof SmtpSendError && err.responseCode !== null,
    rethrow: permanent && !(err instanceof UnrecoverableError) ? new UnrecoverableError(error.message) : error,
  };
}

/** Another worker holds the send lock of this message: try again later rather than risk a double send. */
export class SendInProgressError extends Error {
  override name = 'SendInProgressError';
}
