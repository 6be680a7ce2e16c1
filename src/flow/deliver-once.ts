/**
 * The protocol that sends a probe or a reminder at most once (`deliverOnce`).
 *
 * At most once: the message is claimed (`sending`, its Message-ID stored); its copy goes to
 * the Sent folder marked pending (`PENDING_KEYWORD`) before the SMTP conversation, as the
 * evidence that it may go out; it is recorded `sent` right after the server accepted it, and
 * the mark is then removed. A refusal, or a server never reached, removes the copy and the
 * message waits for its next attempt. A message found `sending` by a later attempt was
 * interrupted (a crash, a connection lost mid-conversation): a copy in the Sent folder says
 * it may have gone out, so it is recorded sent from the copy, never sent again; no copy (an
 * attempt cut before its evidence, or from before this protocol) and it is held for an
 * auditor (`HeldSendError`), never sent again either.
 */
import { messageIdKey } from '../audit/match.ts';
import { hoursAfter, type Timing } from '../clock.ts';
import { clearMailboxSendError, recordMailboxSendError } from '../db/mailboxes.repo.ts';
import { inTransaction, type Queryable } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { newMessageId } from '../mail/message-id.ts';
import { appendToSent, findInSent, settleSentCopy } from '../mail/sent-folder.ts';
import { buildRawMessage, sendMail, type OutgoingMessage } from '../mail/smtp.ts';
import type { ServerLogin } from '../mail/server-login.ts';
import type { SecretBox } from '../secrets.ts';
import { PROCESS_SHUTDOWN } from '../shutdown.ts';
import { openMailboxLogins } from './mailbox-logins.ts';
import { isLoginRefused } from './oauth2-logins.ts';
import { mailboxTransitionEvent } from '../audit/webhook-events.ts';
import { emitEvents, type EventSink } from './events.ts';
import { HeldSendError, judgeSendFailure, MailboxFaultError, NoEvidenceError, PermanentSendError, type SendFailure } from './send-failure.ts';

export interface SendingMailbox {
  address: string;
  persona: { firstName: string; lastName: string };
  smtp: ServerLogin;
  imap: ServerLogin;
  /** The SMTP login is an OAuth2 one: a refused login is worth one more try with a fresh token. */
  smtpOAuth2?: boolean | undefined;
}

/** The mailbox's address, persona and opened logins; a mailbox without SMTP settings is a fault of the mailbox. */
export async function sendingMailbox(db: Queryable, secretBox: SecretBox, mailboxId: string, fresh = false): Promise<SendingMailbox> {
  const logins = await openMailboxLogins(db, secretBox, mailboxId, { fresh });
  if (!logins) throw new PermanentSendError(`mailbox ${mailboxId} does not exist`);
  const { mailbox, smtp, imap } = logins;
  if (!smtp) throw new MailboxFaultError(`mailbox ${mailbox.label} has no SMTP settings`);
  return { address: mailbox.address, persona: mailbox.persona, smtp, imap, smtpOAuth2: logins.oauth2.smtp };
}

export interface SendOnce {
  message: OutgoingMessage;
  mailbox: SendingMailbox;
  /** A previous attempt claimed this message and never finished: ask the Sent folder first. */
  resumed: boolean;
}

export interface Sent {
  /** SMTP acceptance, or the INTERNALDATE of the Sent copy found after a crash (written just before the conversation). */
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
  settleSentCopy: typeof settleSentCopy;
}

export const SMTP_TRANSPORT: MailTransport = { send: sendMail, appendToSent, findInSent, settleSentCopy };

/**
 * Sends `message` at most once (see the protocol above) and `record`s it as sent right after
 * the server's acceptance. A resumed attempt never talks SMTP: it records the copy it finds,
 * or is held. Should `record` fail, the pending copy stays, and the next attempt finds it.
 */
export async function sendOnce(
  spec: SendOnce,
  record: (sent: Sent) => Promise<void>,
  timing: Timing,
  log: Logger,
  transport: MailTransport = SMTP_TRANSPORT,
): Promise<Sent> {
  const { message, mailbox } = spec;
  const settle = (copy: { path: string; uid: number | null }, outcome: 'sent' | 'not-sent') =>
    transport.settleSentCopy(mailbox.imap, copy, outcome).catch((err: unknown) => log.warn({ err, messageId: message.messageId, outcome }, 'could not settle the pending copy in the Sent folder'));
  if (spec.resumed) {
    // An IMAP failure here rejects, and the job retries later: never send blind.
    const copy = await transport.findInSent(mailbox.imap, message.messageId);
    if (!copy) {
      throw new HeldSendError(
        'an earlier attempt was interrupted and left no copy in the Sent folder: whether the SMTP server took it is unknown, so it is held for an auditor rather than sent again',
      );
    }
    const recovered = { sentAt: copy.internalDate, response: null, recovered: true };
    await record(recovered);
    if (copy.pending) await settle(copy, 'sent');
    log.warn({ messageId: message.messageId, pending: copy.pending }, 'an interrupted send was recorded sent from its copy in the Sent folder');
    return recovered;
  }
  const raw = await buildRawMessage(message);
  // the evidence first: nothing goes out that a crash could make us send twice
  const evidence = await transport.appendToSent(mailbox.imap, raw, timing.now(), { pending: true }).catch((err: unknown) => {
    throw new NoEvidenceError(`the copy could not be put in the Sent folder before sending, so nothing was sent: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  // From the first SMTP command to the record of the acceptance, a stopping process waits
  // however long it takes (`PROCESS_SHUTDOWN`): cut there, nobody could say whether it left.
  const conversation = await PROCESS_SHUTDOWN.section(`sending ${message.messageId}`, async () => {
    let accepted;
    try {
      accepted = await transport.send(mailbox.smtp, message, { raw, now: timing.now });
    } catch (err) {
      return { err };
    }
    const sent = { sentAt: accepted.acceptedAt, response: accepted.response, recovered: false };
    await record(sent);
    return { accepted, sent };
  });
  if ('err' in conversation) {
    if (judgeSendFailure(conversation.err).refused) await settle(evidence, 'not-sent');
    throw conversation.err;
  }
  const { accepted, sent } = conversation;
  await settle(evidence, 'sent');
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
  /** Left `sending`, held for an auditor (see `HeldSendError`): never sent again, never re-queued. */
  hold(reason: string): Promise<void>;
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
  /** Where the webhook events go (the mailbox's sending failing or recovering, a reminder sent); none when absent. */
  events?: EventSink | undefined;
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
    const attempt = (from: SendingMailbox) =>
      sendOnce({ message, mailbox: from, resumed: item.resumed !== null }, (s) => inTransaction(db, () => item.record(s)), timing, log, deps.transport);
    // a refused OAuth2 login sent nothing: once more with a freshly refreshed access token
    const sent = await attempt(mailbox).catch(async (err: unknown) => {
      if (!mailbox.smtpOAuth2 || !isLoginRefused(err)) throw err;
      return attempt(await sendingMailbox(db, deps.secretBox, item.mailboxId, true));
    });
    const cleared = await clearMailboxSendError(db, item.mailboxId);
    await reportSendState(deps, item.mailboxId, cleared.wasFailing, null);
    return { kind: 'sent', sent };
  } catch (err) {
    const failure = judgeSendFailure(err);
    if (failure.mailboxFault) {
      const before = await recordMailboxSendError(db, item.mailboxId, failure.reason);
      await reportSendState(deps, item.mailboxId, before.wasFailing, failure.reason);
      if (claimed) await item.setback('waiting', failure);
      log.warn({ err }, 'the mailbox cannot send: waiting for its settings to change');
      return { kind: 'mailbox-fault', retryAt: hoursAfter(timing.now(), MAILBOX_FAULT_WAIT_HOURS, timing), reason: failure.reason };
    }
    if (failure.held) await item.hold(failure.reason);
    else if (claimed) await item.setback(failure.permanent ? 'failed' : failure.refused ? 'waiting' : 'sending', failure);
    throw err;
  }
}

/** mailbox.failing / mailbox.recovered for sending, on a transition only. */
async function reportSendState(deps: DeliveryDeps, mailboxId: string, wasFailing: boolean, error: string | null): Promise<void> {
  const event = mailboxTransitionEvent(mailboxId, 'smtp', { wasFailing, error }, deps.timing.now());
  if (event) await emitEvents(deps.events, [event], deps.log);
}
