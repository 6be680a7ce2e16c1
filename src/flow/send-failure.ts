/**
 * Judging a failed send: is it worth another attempt, did the message surely not go out, is
 * the mailbox rather than the message at fault? The error's origin decides (a reply of the
 * SMTP server, our own settings), never a status code read back out of an error text.
 */
import { OAuth2TokenError } from '../http/oauth2-token.ts';
import { NoSentFolderError } from '../mail/sent-folder.ts';
import { SmtpSendError } from '../mail/smtp.ts';

/** The mailbox has no SMTP settings: none of its messages can go out until someone adds them. */
export class MailboxFaultError extends Error {
  override name = 'MailboxFaultError';
}

/** The message cannot go out as it is (no recipient, a text that cannot be written): another attempt would fail the same way. */
export class PermanentSendError extends Error {
  override name = 'PermanentSendError';
}

/**
 * An interrupted attempt left the message `sending` with no copy in the Sent folder: nothing
 * says whether the server took it. It is held for an auditor, never sent again.
 */
export class HeldSendError extends Error {
  override name = 'HeldSendError';
}

/** The evidence of the attempt (the pending Sent copy) could not be written: nothing was sent, and nothing is sent without it. */
export class NoEvidenceError extends Error {
  override name = 'NoEvidenceError';
}

/**
 * The SMTP server was never reached (refused or unknown host, no greeting): the message surely
 * did not go out. nodemailer reports these with its connection codes; the system's cause says
 * which (the error's own words are plain, without it).
 */
const NEVER_CONNECTED = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Greeting never received/;

export interface SendFailure {
  /** What to record: the error, with the server's reply when there was one. */
  reason: string;
  response: string | null;
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
  /** Held for an auditor (see `HeldSendError`): left `sending`, no attempt follows. */
  held: boolean;
}

/** What a failed send attempt says about the message and its mailbox. */
export function judgeSendFailure(err: unknown): SendFailure {
  const error = err instanceof Error ? err : new Error(String(err));
  // a mailbox without a Sent folder can leave no evidence, so it sends nothing until it has one
  // so does an OAuth2 grant the provider refuses (revoked, expired, wrong client): someone must sign in again
  const mailboxFault =
    err instanceof MailboxFaultError ||
    (err instanceof SmtpSendError && err.mailboxFault) ||
    (err instanceof NoEvidenceError && err.cause instanceof NoSentFolderError) ||
    (err instanceof OAuth2TokenError && err.permanent);
  const held = err instanceof HeldSendError;
  const permanent = held || (!mailboxFault && ((err instanceof SmtpSendError && err.permanent) || err instanceof PermanentSendError));
  // the plain words hide the network detail: the cause (nodemailer's error, for the logs) still has it
  const cause = err instanceof SmtpSendError ? (err.cause as { message?: string; code?: string } | undefined) : undefined;
  const neverConnected =
    err instanceof SmtpSendError && err.responseCode === null && NEVER_CONNECTED.test(`${error.message} ${String(cause?.message ?? '')} ${String(cause?.code ?? '')}`);
  return {
    reason: error.message,
    response: err instanceof SmtpSendError ? err.response : null,
    permanent,
    mailboxFault,
    // no access token, no SMTP conversation: an OAuth2 failure never leaves a message that may have gone out
    refused: mailboxFault || err instanceof NoEvidenceError || err instanceof OAuth2TokenError || neverConnected || (err instanceof SmtpSendError && err.responseCode !== null),
    held,
  };
}
