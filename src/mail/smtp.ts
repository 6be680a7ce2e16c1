/**
 * Sending one message over a mailbox's SMTP settings, with nodemailer. The message is
 * composed once (`buildRawMessage`) so that the very bytes the SMTP server accepts are the
 * ones kept in the Sent folder. A failure says whether it is worth another attempt: the
 * error's origin decides (a reply of the server, the connection, our own settings), never a
 * status code read back out of an error text.
 */
import { createTransport } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { NodemailerError } from 'nodemailer/lib/errors';

import type { ServerLogin } from './server-login.ts';

// The senders take the login type from here as well as from `server-login.ts`, where it is defined.

export interface OutgoingMessage {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  /** `id@domain`, generated and stored before the message is sent; the header gets the angle brackets. */
  messageId: string;
  /** Message-IDs, brackets optional like `messageId`. */
  inReplyTo?: string | undefined;
  references?: readonly string[] | undefined;
  /** The Date header. */
  date: Date;
  /** Envelope sender (bounces); the From address when absent. */
  envelopeFrom?: string | undefined;
}

export interface SmtpAcceptance {
  messageId: string;
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as 4F2A1`. */
  response: string;
  /** The moment the server accepted the message: the probe's `sentAt`. */
  acceptedAt: Date;
  /**
   * The id the server gave the message when it replaces the Message-ID header (Microsoft 365,
   * Amazon SES): replies then refer to this one.
   */
  serverMessageId: string | null;
}

/** Waits of one SMTP conversation: long enough for a slow server, short enough to free the worker. */
export const SMTP_TIMEOUTS = {
  connectionTimeout: 30_000,
  greetingTimeout: 30_000,
  socketTimeout: 60_000,
  dnsTimeout: 15_000,
} as const;

/**
 * What a mail client says in EHLO. Thunderbird says `[127.0.0.1]`; the worker's host name
 * would end up in a Received header the brand can read.
 */
const EHLO_NAME = '[127.0.0.1]';

/** The message as RFC 5322 bytes, CRLF line ends, no X-Mailer: what a plain mail client would send. */
export async function buildRawMessage(message: OutgoingMessage): Promise<Buffer> {
  const references = message.references?.length ? [...message.references] : undefined;
  const composer = new MailComposer({
    from: { name: message.from.name, address: message.from.address },
    to: message.to,
    subject: message.subject,
    text: message.text,
    messageId: message.messageId,
    date: message.date,
    ...(message.inReplyTo ? { inReplyTo: message.inReplyTo } : {}),
    ...(references ? { references } : {}),
    newline: 'win',
  });
  return composer.compile().build();
}

/**
 * Sends `message` (as `raw` when already composed) and resolves once the server accepted it.
 * One transport per send: probes are hours apart, a pooled connection would only go stale.
 * Rejects with an `SmtpSendError` saying whether a retry may succeed.
 */
export async function sendMail(
  settings: ServerLogin,
  message: OutgoingMessage,
  options: { raw?: Buffer; now?: () => Date } = {},
): Promise<SmtpAcceptance> {
  const raw = options.raw ?? (await buildRawMessage(message));
  const now = options.now ?? (() => new Date());
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    auth: settings.user ? { user: settings.user, pass: settings.password } : undefined,
    name: EHLO_NAME,
    ...SMTP_TIMEOUTS,
    logger: false,
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: message.envelopeFrom ?? message.from.address, to: [message.to] },
      raw,
    });
    // one recipient: a refused one makes sendMail reject, so having returned means accepted
    return { messageId: message.messageId, response: info.response, acceptedAt: now(), serverMessageId: info.serverMessageId ?? null };
  } catch (err) {
    throw classifySmtpError(err);
  } finally {
    transport.close();
  }
}

export class SmtpSendError extends Error {
  override name = 'SmtpSendError';
  /** True when sending the same message again would get the same refusal. */
  readonly permanent: boolean;
  /** The server's reply, when the failure is one (`550 5.1.1 <x@y>: Recipient address rejected`). */
  readonly response: string | null;
  readonly responseCode: number | null;
  /** nodemailer's code (`ECONNECTION`, `EENVELOPE`…), or the system's. */
  readonly code: string | null;
  /**
   * The mailbox's own settings are refused (a 535 login, missing credentials, bad settings):
   * no message of that mailbox can go out until someone changes them, whatever the message.
   */
  readonly mailboxFault: boolean;

  constructor(message: string, details: { permanent: boolean; response?: string | null; responseCode?: number | null; code?: string | null; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.permanent = details.permanent;
    this.mailboxFault = details.permanent && MAILBOX_FAULT_CODES.has(details.code ?? '');
    this.response = details.response ?? null;
    this.responseCode = details.responseCode ?? null;
    this.code = details.code ?? null;
  }
}

/** nodemailer's codes for a login or settings the server or nodemailer itself refuses. */
const MAILBOX_FAULT_CODES = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG']);

/** Failures where the server was never heard, or stopped being heard: the next attempt may well go through. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY']);

/**
 * Temporary or permanent, from where the failure came:
 * - the server replied: its reply class, as nodemailer read it from the reply itself
 *   (`permanent`: 5yz except 503; 4yz is temporary). A refused login (535) is permanent
 *   until the mailbox's settings change, and a fault of the mailbox (`mailboxFault`);
 * - the connection failed or timed out: temporary;
 * - nodemailer refused before talking (no credentials, bad settings, a bad envelope):
 *   permanent, the same settings would fail the same way;
 * - anything else: temporary, the bounded retries decide.
 */
export function classifySmtpError(err: unknown): SmtpSendError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodemailerError;
  const text = err instanceof Error ? err.message : String(err);
  const details = { response: e.response ?? null, responseCode: e.responseCode ?? null, code: e.code ?? null, cause: err };
  if (typeof e.responseCode === 'number') {
    return new SmtpSendError(text, { ...details, permanent: e.permanent ?? e.responseCode >= 500 });
  }
  if (e.code && CONNECTION_CODES.has(e.code)) return new SmtpSendError(text, { ...details, permanent: false });
  if (e.code && ['EAUTH', 'ENOAUTH', 'ECONFIG', 'EENVELOPE', 'EMESSAGE', 'EREQUIRETLS'].includes(e.code)) {
    return new SmtpSendError(text, { ...details, permanent: true });
  }
  return new SmtpSendError(text, { ...details, permanent: false });
}
