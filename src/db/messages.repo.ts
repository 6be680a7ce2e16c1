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

/** A stored message as the API and the flows read it: what was stored, without the raw source. */
export type StoredMessage = Omit<NewMessage, 'sourceSha256' | 'sourceGz' | 'fromAddress' | 'fromName'> & {
  id: string;
  from: { address: string | null; name: string | null };
  createdAt: Date;
};

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

/** The columns `insertMessages` writes, in the order of `insertValues`. */
const INSERT_COLUMNS = [
  'mailbox_id', 'folder', 'uid_validity', 'uid', 'internet_message_id', 'source_sha256', 'source_gz', 'size',
  'from_address', 'from_name', 'to_addresses', 'cc_addresses', 'subject', 'received_at', 'date_header', 'in_reply_to',
  '"references"', 'kind', 'signals', 'language', 'reply_text', 'signature', 'probe_id', 'match_rule', 'match_confidence',
  'match_evidence', 'parse_error', 'oversize',
];

function insertValues(m: NewMessage): unknown[] {
  return [
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
  ];
}

export interface InsertedMessage {
  id: string;
  probeId: string | null;
}

/**
 * Inserts messages in one statement, with the reply of each matched one (a reply shares
 * its message's id). A message whose (folder, UIDVALIDITY, UID) is stored already is left
 * as it is and missing from the result, which gives the new messages by UID.
 */
export async function insertMessages(db: Queryable, messages: readonly NewMessage[]): Promise<Map<number, InsertedMessage>> {
  if (messages.length === 0) return new Map();
  const width = INSERT_COLUMNS.length;
  const rows = messages.map((_, row) => `(${INSERT_COLUMNS.map((_, column) => `$${row * width + column + 1}`).join(', ')})`);
  const { rows: stored } = await db.query<{ id: string; uid: number; probe_id: string | null }>(
    `with stored as (
       insert into messages (${INSERT_COLUMNS.join(', ')}) values ${rows.join(', ')}
       on conflict (mailbox_id, folder, uid_validity, uid) do nothing
       returning id, uid, probe_id, kind, received_at
     ), new_replies as (
       insert into replies (id, probe_id, kind, received_at)
       select id, probe_id, kind, received_at from stored where probe_id is not null
     )
     select id, uid, probe_id from stored`,
    messages.flatMap(insertValues),
  );
  return new Map(stored.map((row) => [Number(row.uid), { id: row.id, probeId: row.probe_id }]));
}

/** Which of these UIDs of a folder (under one UIDVALIDITY) are stored already. */
export async function findStoredUids(
  db: Queryable,
  place: { mailboxId: string; folder: string; uidValidity: number },
  uids: readonly number[],
): Promise<Set<number>> {
  if (uids.length === 0) return new Set();
  const { rows } = await db.query<{ uid: number }>(
    'select uid from messages where mailbox_id = $1 and folder = $2 and uid_validity = $3 and uid = any($4::bigint[])',
    [place.mailboxId, place.folder, place.uidValidity, uids],
  );
  return new Set(rows.map((row) => Number(row.uid)));
}

/**
 * The messages of a mailbox already stored with these exact sources (after a UIDVALIDITY
 * change every message comes again under new UIDs): the oldest row of each, by hex SHA-256.
 */
export async function findMessagesBySource(db: Queryable, mailboxId: string, sourceSha256s: readonly Buffer[]): Promise<Map<string, string>> {
  if (sourceSha256s.length === 0) return new Map();
  const { rows } = await db.query<{ source_sha256: Buffer; id: string }>(
    `select distinct on (source_sha256) source_sha256, id from messages
      where mailbox_id = $1 and source_sha256 = any($2::bytea[])
      order by source_sha256, created_at`,
    [mailboxId, sourceSha256s],
  );
  return new Map(rows.map((row) => [row.source_sha256.toString('hex'), row.id]));
}

/** Moves known messages to the place they now have on the server, instead of storing them twice. */
export async function relocateMessages(
  db: Queryable,
  moves: ReadonlyArray<{ id: string; folder: string; uidValidity: number; uid: number }>,
): Promise<void> {
  if (moves.length === 0) return;
  await db.query(
    `update messages m set folder = v.folder, uid_validity = v.uid_validity, uid = v.uid
       from json_to_recordset($1::json) as v(id uuid, folder text, uid_validity bigint, uid bigint)
      where m.id = v.id`,
    [JSON.stringify(moves.map((move) => ({ id: move.id, folder: move.folder, uid_validity: move.uidValidity, uid: move.uid })))],
  );
}

export async function findMessage(db: Queryable, id: string): Promise<StoredMessage | null> {
  const { rows } = await db.query<MessageRow>(`select ${COLUMNS} from messages where id = $1`, [id]);
  return rows[0] ? toStoredMessage(rows[0]) : null;
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

/** How far back, and how many, matched messages teach the cascade: campaigns last weeks, not years. */
export const THREAD_KEYS_BOUND = { days: 180, rows: 20_000, replyChars: 2_000 } as const;

/**
 * What the matching cascade learnt from the messages already matched in a mailbox:
 * bounded to the last `THREAD_KEYS_BOUND.days` days and rows (the newest kept), the reply
 * text cut to its beginning (where ticket references are), so that a mailbox years old
 * costs what a campaign's worth of mail costs. Oldest first, as the index expects.
 */
export async function listMatchedThreadKeys(
  db: Queryable,
  mailboxId: string,
  now: Date = new Date(),
): Promise<Array<{ probeId: string; messageId: string | null; subject: string; replyText: string }>> {
  const { rows } = await db.query<{ probe_id: string; internet_message_id: string | null; subject: string | null; reply_text: string | null }>(
    `select probe_id, internet_message_id, subject, reply_text from (
       select probe_id, internet_message_id, subject, left(reply_text, $4) as reply_text, received_at from messages
        where mailbox_id = $1 and probe_id is not null and received_at > $2::timestamptz - make_interval(days => $3)
        order by received_at desc limit $5
     ) recent order by received_at`,
    [mailboxId, now, THREAD_KEYS_BOUND.days, THREAD_KEYS_BOUND.replyChars, THREAD_KEYS_BOUND.rows],
  );
  return rows.map((r) => ({ probeId: r.probe_id, messageId: r.internet_message_id, subject: r.subject ?? '', replyText: r.reply_text ?? '' }));
}
