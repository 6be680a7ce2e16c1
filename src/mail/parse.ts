import { parseAddressHeader, simpleParser } from 'mailparser';
import type { Attachment } from 'mailparser';
import { compile } from 'html-to-text';
import type { MailAddress, MessagePart, ParsedMessage } from '../audit/message.ts';
import {
  contentTypeOf,
  decodeEncodedWords,
  decodeHeaderBytes,
  parseableSource,
  readMimeStructure,
  splitHead,
} from './mime-structure.ts';
import type { HeaderFields, MimeStructure } from './mime-structure.ts';

/**
 * Raw message → `ParsedMessage`, the one form every analyser reads.
 *
 * Headers are read by our own reader (`mime-structure.ts`) on every path, so that a message
 * parsed whole and one parsed headers-only (size cap, parser failure) agree field by field;
 * mailparser reads the bodies and attachments. Neither function ever throws: a broken
 * message comes back with what could be read and `parseError` saying what went wrong.
 */

export async function parseMessage(source: Buffer): Promise<ParsedMessage> {
  let structure: MimeStructure;
  let base: ParsedMessage;
  try {
    structure = await readMimeStructure(source);
    base = fromHeaders(structure.headers, structure.contentType, structure.partTypes);
  } catch (error) {
    return emptyMessage(`unreadable message: ${describe(error)}`);
  }
  try {
    const mail = await simpleParser(parseableSource(source, structure), {
      keepCidLinks: true,
      keepDeliveryStatus: true,
      skipHtmlToText: true,
      skipTextToHtml: true,
      checksumAlgo: false,
    });
    const html = typeof mail.html === 'string' && mail.html.trim() !== '' ? mail.html : null;
    const text = mail.text?.trim() ? mail.text : html !== null ? renderHtml(html) : '';
    return {
      ...base,
      text,
      html,
      attachments: mail.attachments.map((attachment) => toMessagePart(attachment, html)),
      parseError: joinDefects(structure.defects),
    };
  } catch (error) {
    const reason = `the MIME body could not be parsed (${describe(error)}); only the header block was read`;
    return { ...base, parseError: joinDefects([...structure.defects, reason]) };
  }
}

/**
 * Headers only, for a message above the size cap (whose body is not fetched or not worth
 * parsing). `source` may be the whole message or its header block alone.
 */
export function parseHeaderBlock(
  source: Buffer,
  reason = 'message above the size cap: only the header block was parsed',
): ParsedMessage {
  try {
    const headers = splitHead(source);
    return { ...fromHeaders(headers, contentTypeOf(headers), []), parseError: reason };
  } catch (error) {
    return emptyMessage(`${reason}; the header block was unreadable too: ${describe(error)}`);
  }
}

/** The fields that come from the top-level header block; the body fields are left empty. */
function fromHeaders(fields: HeaderFields, contentType: string, partTypes: string[]): ParsedMessage {
  const headers: Record<string, string[]> = {};
  for (const field of fields) {
    (headers[field.name] ??= []).push(decodeEncodedWords(decodeHeaderBytes(field.value)).trim());
  }
  const raw = (name: string): string[] =>
    fields.filter((field) => field.name === name).map((field) => decodeHeaderBytes(field.value));
  return {
    messageId: messageIds(raw('message-id'))[0] ?? null,
    inReplyTo: messageIds(raw('in-reply-to')),
    references: messageIds(raw('references')),
    from: addresses(raw('from').slice(0, 1))[0] ?? null,
    returnPath: returnPathOf(raw('return-path')),
    to: addresses(raw('to')),
    cc: addresses(raw('cc')),
    replyTo: addresses(raw('reply-to')),
    subject: headers['subject']?.[0] ?? '',
    date: dateOf(headers['date']?.[0]),
    headers,
    text: '',
    html: null,
    contentType,
    partTypes,
    attachments: [],
    parseError: null,
  };
}

/** Message-IDs without angle brackets; bare ids (no brackets, a known defect) are kept when they hold an `@`. */
function messageIds(values: string[]): string[] {
  const ids: string[] = [];
  for (const value of values) {
    const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((match) => match[1] ?? '');
    const found = bracketed.length > 0 ? bracketed : value.split(/[\s,]+/).filter((token) => token.includes('@'));
    ids.push(...found.filter((id) => id !== ''));
  }
  return ids;
}

/** Group syntax flattened; entries with neither name nor address (a stray comma) dropped. */
function addresses(values: string[]): MailAddress[] {
  if (values.length === 0) return [];
  return parseAddressHeader(values, { flatten: true })
    .value.map((entry) => ({ name: entry.name.trim(), address: (entry.address ?? '').trim().toLowerCase() }))
    .filter((entry) => entry.name !== '' || entry.address !== '');
}

/** The topmost Return-Path (added at final delivery): `''` for the null sender `<>`. */
function returnPathOf(values: string[]): string | null {
  const value = values[0];
  if (value === undefined) return null;
  const match = /<([^<>]*)>/.exec(value);
  return (match ? (match[1] ?? '') : value).trim().toLowerCase();
}

/** RFC 5322 dates as `Date.parse` reads them, comments such as `(CEST)` removed; null when unreadable. */
function dateOf(value: string | undefined): Date | null {
  if (value === undefined) return null;
  const time = Date.parse(value.replace(/\([^)]*\)/g, ' ').trim());
  return Number.isNaN(time) ? null : new Date(time);
}

function toMessagePart(attachment: Attachment, html: string | null): MessagePart {
  const contentId = attachment.cid ?? null;
  const referenced = contentId !== null && html !== null && html.toLowerCase().includes(`cid:${contentId.toLowerCase()}`);
  return {
    filename: attachment.filename ?? null,
    contentType: attachment.contentType.toLowerCase(),
    contentId,
    size: attachment.size,
    inline: attachment.contentDisposition === 'inline' || referenced,
  };
}

/**
 * HTML rendered for reading and for the quote cutter: no wrapping (wrapped attribution lines
 * are harder to recognise), links and images reduced to their text, layout tables read as
 * blocks, quoted history (`<blockquote>`) kept recognisable as `> ` lines.
 */
const htmlToText = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    ...['table', 'tbody', 'thead', 'tfoot', 'tr', 'td', 'th'].map((selector) => ({ selector, format: 'block' })),
  ],
});

function renderHtml(html: string): string {
  return htmlToText(html).replace(/\n{3,}/g, '\n\n');
}

function emptyMessage(parseError: string): ParsedMessage {
  return { ...fromHeaders([], 'text/plain', []), parseError };
}

function joinDefects(defects: string[]): string | null {
  return defects.length > 0 ? defects.join('; ') : null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
