/** Raw messages as brands' mail systems write them, for tests and benchmarks. */
import { randomBytes } from 'node:crypto';

export interface RawMailOptions {
  from: string;
  to: string;
  subject: string;
  text?: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string | null;
  references?: string[];
  date?: Date;
  headers?: Record<string, string>;
}

export function newMessageId(domain = 'mail.example.test'): string {
  return `${randomBytes(8).toString('hex')}.${Date.now().toString(36)}@${domain}`;
}

/** A plain or HTML (multipart/alternative) message with CRLF line ends. */
export function rawMail(o: RawMailOptions): string {
  const head = [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${encodeSubject(o.subject)}`,
    `Date: ${(o.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${o.messageId ?? newMessageId()}>`,
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`] : []),
    ...(o.references?.length ? [`References: ${o.references.map((r) => `<${r}>`).join(' ')}`] : []),
    ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
  ];
  const text = o.text ?? '';
  if (!o.html) {
    return [...head, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text].join('\r\n');
  }
  const boundary = `b_${randomBytes(6).toString('hex')}`;
  return [
    ...head,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    text,
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    o.html,
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

function encodeSubject(subject: string): string {
  return /^[\x20-\x7e]*$/.test(subject) ? subject : `=?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`;
}

export const HOUR = 3600_000;
