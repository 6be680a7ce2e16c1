/**
 * Judging a failed send: is it worth another attempt, did the message surely not go out, is
 * the mailbox rather than the message at fault? The error's origin decides (a reply of the
 * SMTP server, our own settings), never a status code read back out of an error text.
 */
import { SmtpSendError } from '../mail/smtp.ts';

/** The mailbox has no SMTP settings: none of its messages can go out until someone adds them. */
export class MailboxFaultError extends Error {
  override name = 'MailboxFaultError';
}

/** The message cannot go out as it is (no recipient, a text that cannot be written): another attempt would fail the same way. */
export class PermanentSendError extends Error {
  override name = 'PermanentSendError';
}

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
}

/** What a failed send attempt says about the message and its mailbox. */
export function judgeSendFailure(err: unknown): SendFailure {
  const error = err instanceof Error ? err : new Error(String(err));
  const mailboxFault = err instanceof MailboxFaultError || (err instanceof SmtpSendError && err.mailboxFault);
  const permanent = !mailboxFault && ((err instanceof SmtpSendError && err.permanent) || err instanceof PermanentSendError);
  return {
    reason: error.message,
    response: err instanceof SmtpSendError ? err.response : null,
    permanent,
    mailboxFault,
    refused: mailboxFault || (err instanceof SmtpSendError && err.responseCode !== null),
  };
}
