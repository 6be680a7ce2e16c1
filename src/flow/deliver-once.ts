/**
 * The protocol that sends a probe or a reminder at most once (`deliverOnce`).
 *
 * At most once: the message is claimed (`sending`, its Message-ID stored) before the SMTP
 * conversation, recorded `sent` right after the server accepted it, then a copy is put in
 * the Sent folder. A message found `sending` by a later attempt was interrupted; the Sent
 * folder is asked first (by Message-ID) and only a message that is not there goes out again.
 * The window left is a crash between the server's acceptance and the commit of that record;
 * a record that fails still gets its copy, so the next attempt finds it.
 */
import { messageIdKey } from '../audit/match.ts';
import { hoursAfter, type Timing } from '../clock.ts';
import { clearMailboxSendError, recordMailboxSendError } from '../db/mailboxes.repo.ts';
import { inTransaction, type Queryable } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { newMessageId } from '../mail/message-id.ts';
import { appendToSent, findInSent } from '../mail/sent-folder.ts';
import { buildRawMessage, sendMail, type OutgoingMessage } from '../mail/smtp.ts';
import type { ServerLogin } from '../mail/server-login.ts';
import type { SecretBox } from '../secrets.ts';
import { openMailboxLogins } from './mailbox-logins.ts';
import { judgeSendFailure, MailboxFaultError, PermanentSendError, type SendFailure } from './send-failure.ts';

export interface SendingMailbox {
  address: string;
  persona: { firstName: string; lastName: string };
  smtp: ServerLogin;
  imap: ServerLogin;
}

/** The mailbox's address, persona and opened logins; a mailbox without SMTP settings is a fault of the mailbox. */
export async function sendingMailbox(db: Queryable, secretBox: SecretBox, mailboxId: string): Promise<SendingMailbox> {
  const logins = await openMailboxLogins(db, secretBox, mailboxId);
  if (!logins) throw new PermanentSendError(`mailbox ${mailboxId} does not exist`);
  const { mailbox, smtp, imap } = logins;
  if (!smtp) throw new MailboxFaultError(`mailbox ${mailbox.label} has no SMTP settings`);
  return { address: mailbox.address, persona: mailbox.persona, smtp, imap };
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
  setback(to: 'waiting' | 'sending' | 'failed', failure: SendFailure): Promise<void>;
}

/** How long a message waits for a mailbox whose settings are refused: someone has to change them. */
export const MAILBOX_FAULT_WAIT_HOURS = 1;

/** How a delivery ended: sent (or found sent), claimed by another worker first, or waiting for its mailbox. */
export type Delivery = { kind: 'sent'; sent: Sent } | { kind: 'taken' } | { kind: 'mailbox-fault'; retryAt: Date; reason: string };

export interface DeliveryDeps {
  secretBox: SecretBox;
  timing: Timing;
  log: Logger;
  transport?: MailTransport | undefined;
}

/**
 * Sends one probe or reminder at most once, on `db` (a connection of its own: the send
 * lock's). A fault of the mailbox (refused login, no SMTP settings) is recorded on the
 * mailbox and the message left waiting, to be tried again at `retryAt`; any other failure
 * moves the message back (`setback`) as `judgeSendFailure` reads it, and is rethrown.
 */
export async function deliverOnce<T extends { messageId: string | null }>(db: Queryable, item: Deliverable<T>, deps: DeliveryDeps): Promise<Delivery> {
  const { timing, log } = deps;
  let claimed: T | null = null;
  try {
    const mailbox = await sendingMailbox(db, deps.secretBox, item.mailboxId);
    claimed = item.resumed ?? (await item.claim(newMessageId(item.personaAddress ?? mailbox.address)));
    if (!claimed) return { kind: 'taken' };
    const message = await item.compose(claimed, mailbox);
    const sent = await sendOnce({ message, mailbox, resumed: item.resumed !== null }, (s) => inTransaction(db, () => item.record(s)), timing, log, deps.transport);
    await clearMailboxSendError(db, item.mailboxId);
    return { kind: 'sent', sent };
  } catch (err) {
    const failure = judgeSendFailure(err);
    if (failure.mailboxFault) {
      await recordMailboxSendError(db, item.mailboxId, failure.reason);
      if (claimed) await item.setback('waiting', failure);
      log.warn({ err }, 'the mailbox cannot send: waiting for its settings to change');
      return { kind: 'mailbox-fault', retryAt: hoursAfter(timing.now(), MAILBOX_FAULT_WAIT_HOURS, timing), reason: failure.reason };
    }
    if (claimed) await item.setback(failure.permanent ? 'failed' : failure.refused ? 'waiting' : 'sending', failure);
    throw err;
  }
}
