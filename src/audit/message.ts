/**
 * The parsed form of one raw message, as every analyser sees it.
 * Built by `src/mail/parse.ts` from the raw source; analysers never parse MIME themselves.
 */
export interface MailAddress {
  /** Display name, as decoded ("Marie Dupont"); empty when absent. */
  name: string;
  /** Lower-cased address ("marie.dupont@example.fr"); empty for the null sender `<>`. */
  address: string;
}

export interface MessagePart {
  filename: string | null;
  contentType: string;
  /** Content-ID without angle brackets, when the part has one (inline images referenced as `cid:`). */
  contentId: string | null;
  size: number;
  /** Content-Disposition inline, or referenced from the HTML body. */
  inline: boolean;
}

export interface ParsedMessage {
  /** Message-ID without angle brackets, or null when absent. */
  messageId: string | null;
  /** Message-IDs without angle brackets. */
  inReplyTo: string[];
  references: string[];
  from: MailAddress | null;
  /** Return-Path / envelope sender when present; `''` for the null sender `<>`. */
  returnPath: string | null;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo: MailAddress[];
  subject: string;
  /** The Date header, or null when absent or unparseable. */
  date: Date | null;
  /** Every header, names lower-cased, values decoded as text, in order of appearance. */
  headers: Record<string, string[]>;
  /** The plain-text body: the text/plain part, or the HTML part rendered to text. */
  text: string;
  /** The HTML body when there is one. */
  html: string | null;
  /** Top-level content type, e.g. `multipart/report`. */
  contentType: string;
  /** Content types of every MIME leaf part (e.g. `message/delivery-status`). */
  partTypes: string[];
  attachments: MessagePart[];
  /** Set when the source could only be parsed in part; the fields above hold what could be read. */
  parseError: string | null;
}
