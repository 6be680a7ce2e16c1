/** Everything found in a test mailbox, raw source kept (gzip) so every analysis can run again. */
import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';

export type MessageKind = 'answer' | 'acknowledgement' | 'follow_up' | 'bounce' | 'unknown';

export interface MessageMatch {
  rule: string;
  confidence: number;
  evidence: Record<string, unknown>;
}

export interface NewMessage {
  mailboxId: string;
  folder: string;
  uidValidity: number;
  uid: number;
  messageId: string | null;
  sourceSha256: Buffer;
  sourceGz: Buffer;
  size: number;
  fromAddress: string | null;
  fromName: string | null;
  to: string[];
  cc: string[];
  subject: string | null;
  receivedAt: Date;
  dateHeader: Date | null;
  inReplyTo: string[];
  references: string[];
  kind: MessageKind;
  signals: string[];
  language: string | null;
  replyText: string | null;
  signature: string | null;
  probeId: string | null;
  match: MessageMatch | null;
  parseError: string | null;
  oversize: boolean;
}

export interface StoredMessage {
  id: string;
  mailboxId: string;
  folder: string;
  uidValidity: number;
  uid: number;
  messageId: string | null;
  size: number;
  from: { address: string | null; name: string | null };
  to: string[];
  cc: string[];
  subject: string | null;
  receivedAt: Date;
  dateHeader: Date | null;
  inReplyTo: string[];
  references: string[];
  kind: MessageKind;
  signals: string[];
  language: string | null;
  replyText: string | null;
  signature: string | null;
  probeId: string | null;
  match: MessageMatch | null;
  parseError: string | null;
  oversize: boolean;
  createdAt: Date;
}

interface MessageRow {
  id: string;
  mailbox_id: string;
  folder: string;
  uid_validity: number;
  uid: number;
  internet_message_id: string | null;
  size: number;
  from_address: string | null;
  from_name: string | null;
  to_addresses: string[];
  cc_addresses: string[];
  subject: string | null;
  received_at: Date;
  date_header: Date | null;
  in_reply_to: string[];
  references: string[];
  kind: MessageKind;
  signals: string[];
  language: string | null;
  reply_text: string | null;
  signature: string | null;
  probe_id: string | null;
  match_rule: string | null;
  match_confidence: number | null;
  match_evidence: Record<string, unknown> | null;
  parse_error: string | null;
  oversize: boolean;
  created_at: Date;
}

/** Every column but the raw source, which only re-analysis reads. */
const COLUMNS = `id, mailbox_id, folder, uid_validity, uid, internet_message_id, size, from_address, from_name,
  to_addresses, cc_addresses, subject, received_at, date_header, in_reply_to, "references", kind, signals, language,
  reply_text, signature, probe_id, match_rule, match_confidence, match_evidence, parse_error, oversize, created_at`;

export const toStoredMessage = (row: MessageRow): StoredMessage => ({
  id: row.id,
  mailboxId: row.mailbox_id,
  folder: row.folder,
  uidValidity: row.uid_validity,
  uid: row.uid,
  messageId: row.internet_message_id,
  size: row.size,
  from: { address: row.from_address, name: row.from_name },
  to: row.to_addresses,
  cc: row.cc_addresses,
  subject: row.subject,
  receivedAt: row.received_at,
  dateHeader: row.date_header,
  inReplyTo: row.in_reply_to,
  references: row.references,
  kind: row.kind,
  signals: row.signals,
  language: row.language,
  replyText: row.reply_text,
  signature: row.signature,
  probeId: row.probe_id,
  match: row.match_rule ? { rule: row.match_rule, confidence: row.match_confidence ?? 0, evidence: row.match_evidence ?? {} } : null,
  parseError: row.parse_error,
  oversize: row.oversize,
  createdAt: row.created_at,
});

/**
 * Inserts a message unless its (folder, UIDVALIDITY, UID) is stored already; returns the
 * new id, or null for a message seen before (a batch re-read after a crash).
 */
export async function insertMessage(db: Queryable, m: NewMessage): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>(
    `insert into messages (mailbox_id, folder, uid_validity, uid, internet_message_id, source_sha256, source_gz, size,
                           from_address, from_name, to_addresses, cc_addresses, subject, received_at, date_header,
                           in_reply_to, "references", kind, signals, language, reply_text, signature,
                           probe_id, match_rule, match_confidence, match_evidence, parse_error, oversize)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
             $23, $24, $25, $26, $27, $28)
     on conflict (mailbox_id, folder, uid_validity, uid) do nothing
     returning id`,
    [
      m.mailboxId,
      m.folder,
      m.uidValidity,
      m.uid,
      m.messageId,
      m.sourceSha256,
      m.sourceGz,
      m.size,
      m.fromAddress,
      m.fromName,
      m.to,
      m.cc,
      m.subject,
      m.receivedAt,
      m.dateHeader,
      m.inReplyTo,
      m.references,
      m.kind,
      m.signals,
      m.language,
      m.replyText,
      m.signature,
      m.probeId,
      m.match?.rule ?? null,
      m.match?.confidence ?? null,
      m.match ? JSON.stringify(m.match.evidence) : null,
      m.parseError,
      m.oversize,
    ],
  );
  return rows[0]?.id ?? null;
}

/**
 * After a UIDVALIDITY change every message comes again under new UIDs: one already
 * stored (same source bytes) is moved to its new place instead of being stored twice.
 * Returns the id of the message found, or null.
 */
export async function relocateKnownMessage(
  db: Queryable,
  m: Pick<NewMessage, 'mailboxId' | 'sourceSha256' | 'folder' | 'uidValidity' | 'uid'>,
): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>(
    `update messages set folder = $3, uid_validity = $4, uid = $5
      where id = (select id from messages where mailbox_id = $1 and source_sha256 = $2 order by created_at limit 1)
      returning id`,
    [m.mailboxId, m.sourceSha256, m.folder, m.uidValidity, m.uid],
  );
  return rows[0]?.id ?? null;
}

export async function findMessage(db: Queryable, id: string): Promise<StoredMessage | null> {
  const { rows } = await db.query<MessageRow>(`select ${COLUMNS} from messages where id = $1`, [id]);
  return rows[0] ? toStoredMessage(rows[0]) : null;
}

export async function findMessageSource(db: Queryable, id: string): Promise<Buffer | null> {
  const { rows } = await db.query<{ source_gz: Buffer | null }>('select source_gz from messages where id = $1', [id]);
  return rows[0]?.source_gz ?? null;
}

export interface MessageFilter {
  mailboxId?: string | undefined;
  probeId?: string | undefined;
  matched?: boolean | undefined;
  kind?: MessageKind | undefined;
}

export async function listMessages(db: Queryable, page: PageRequest, filter: MessageFilter): Promise<Page<StoredMessage>> {
  const clause = pageClause(page, 5);
  const { rows } = await db.query<MessageRow>(
    `select ${COLUMNS} from messages
      where ($1::uuid is null or mailbox_id = $1) and ($2::uuid is null or probe_id = $2)
        and ($3::boolean is null or (probe_id is not null) = $3) and ($4::text is null or kind = $4)
        and ${clause.sql}`,
    [filter.mailboxId ?? null, filter.probeId ?? null, filter.matched ?? null, filter.kind ?? null, ...clause.values],
  );
  return toPage(rows, page.limit, toStoredMessage);
}

export async function setMessageMatch(
  db: Queryable,
  id: string,
  change: { probeId: string | null; match: MessageMatch | null; kind?: MessageKind | undefined },
): Promise<void> {
  await db.query(
    `update messages set probe_id = $2, match_rule = $3, match_confidence = $4, match_evidence = $5, kind = coalesce($6, kind)
      where id = $1`,
    [id, change.probeId, change.match?.rule ?? null, change.match?.confidence ?? null, change.match ? JSON.stringify(change.match.evidence) : null, change.kind ?? null],
  );
}

/** What the matching cascade learnt from the messages already matched in a mailbox. */
export async function listMatchedThreadKeys(
  db: Queryable,
  mailboxId: string,
): Promise<Array<{ probeId: string; messageId: string | null; subject: string; replyText: string }>> {
  const { rows } = await db.query<{ probe_id: string; internet_message_id: string | null; subject: string | null; reply_text: string | null }>(
    `select probe_id, internet_message_id, subject, reply_text from messages
      where mailbox_id = $1 and probe_id is not null order by received_at`,
    [mailboxId],
  );
  return rows.map((r) => ({ probeId: r.probe_id, messageId: r.internet_message_id, subject: r.subject ?? '', replyText: r.reply_text ?? '' }));
}
