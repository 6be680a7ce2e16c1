/**
 * The two messages of the brand simulator that a mail composer does not write: a
 * delivery status notification as Postfix sends it (RFC 3464, the undelivered message
 * attached), and the brand's logo as a real PNG image in its own colour.
 */
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export interface DeliveryFailure {
  /** The host that gives up, e.g. `mx1.brand.example`. */
  reportingHost: string;
  /** The persona: where the report goes. */
  to: string;
  /** The address that does not exist. */
  recipient: string;
  /** The message that could not be delivered, as received. */
  original: Buffer;
  messageId: string;
  date: Date;
}

/**
 * `multipart/report; report-type=delivery-status` from MAILER-DAEMON: a human-readable part,
 * the machine-readable status, and the undelivered message in full (which is how the
 * service finds the probe it belongs to: its Message-ID is in there).
 */
export function deliveryStatusNotification(failure: DeliveryFailure): Buffer {
  const boundary = `${randomBytes(6).toString('hex').toUpperCase()}.${Math.floor(failure.date.getTime() / 1000)}/${failure.reportingHost}`;
  const queueId = randomBytes(5).toString('hex').toUpperCase();
  const diagnostic = `550 5.1.1 <${failure.recipient}>: Recipient address rejected: User unknown in virtual mailbox table`;
  const date = rfc2822Date(failure.date);
  const lines = [
    `From: MAILER-DAEMON@${failure.reportingHost} (Mail Delivery System)`,
    `To: ${failure.to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${date}`,
    `Message-ID: <${failure.messageId}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    'Content-Transfer-Encoding: 8bit',
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is the mail system at host ${failure.reportingHost}.`,
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients. It\'s attached below.',
    '',
    'For further assistance, please send mail to postmaster.',
    '',
    '                   The mail system',
    '',
    `<${failure.recipient}>: ${diagnostic}`,
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${failure.reportingHost}`,
    `X-Postfix-Queue-ID: ${queueId}`,
    `Arrival-Date: ${date}`,
    '',
    `Final-Recipient: rfc822; ${failure.recipient}`,
    `Original-Recipient: rfc822;${failure.recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    `--${boundary}`,
    'Content-Description: Undelivered Message',
    'Content-Type: message/rfc822',
    'Content-Transfer-Encoding: 8bit',
    '',
  ];
  return Buffer.concat([
    Buffer.from(lines.join('\r\n') + '\r\n'),
    failure.original,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

/** `Tue, 3 Mar 2026 10:12:00 +0000`, as mail headers write dates. */
function rfc2822Date(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

/** A solid `width` × `height` PNG in `colour` (`#rrggbb`): a logo the analyser can find, small on the wire. */
export function solidPng(colour: string, width = 160, height = 48): Buffer {
  const rgb = Buffer.from(colour.replace('#', ''), 'hex');
  if (rgb.length !== 3) throw new Error(`not a #rrggbb colour: ${colour}`);
  // each row: filter byte 0, then the pixels
  const row = Buffer.concat([Buffer.from([0]), ...Array.from({ length: width }, () => rgb)]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, truecolour, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
