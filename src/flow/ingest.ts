/**
 * From prepared messages (see `prepare-message.ts`) to stored rows: classify, match, store,
 * and recompute the outcome of every probe a batch touched — all of a batch in one
 * transaction with the folder's checkpoint, so a crash anywhere re-reads and never skips
 * or doubles.
 */
import { classifyMessage, type Classification } from '../audit/classify.ts';
import { buildThreadIndex, matchMessage, messageIdKey, extractTicketRefs, type MatchCandidate, type MatchResult, type ThreadIndex } from '../audit/match.ts';
import type { FolderCheckpoint } from '../db/folders.repo.ts';
import { saveFolderCheckpoint } from '../db/folders.repo.ts';
import { listMatchCandidates } from '../db/matching.repo.ts';
import {
  findMessagesBySource,
  findStoredUids,
  insertMessages,
  listMatchedThreadKeys,
  relocateMessages,
  type InsertedMessage,
  type NewMessage,
} from '../db/messages.repo.ts';
import { withSavepoint, withTransaction, type Pool, type Queryable } from '../db/pool.ts';
import type { PreparedMessage } from './prepare-message.ts';
import { recomputeOutcome } from './recompute-outcome.ts';

/**
 * What a sync of one mailbox keeps in memory across its batches: the candidates and
 * what earlier matches taught, updated as the batches match new messages.
 */
export interface MailboxMatchState {
  mailboxId: string;
  mailboxAddress: string;
  candidates: MatchCandidate[];
  brandDomains: string[];
  /** Message-IDs of the probes and reminders the service sent from this mailbox. */
  ownMessageIds: Set<string>;
  index: { messageIds: Map<string, string>; ticketRefs: Map<string, string> };
}

export async function loadMatchState(db: Queryable, mailbox: { id: string; address: string }): Promise<MailboxMatchState> {
  const [candidates, matched] = await Promise.all([listMatchCandidates(db, mailbox.id), listMatchedThreadKeys(db, mailbox.id)]);
  const index = buildThreadIndex(matched) as ThreadIndex;
  return {
    mailboxId: mailbox.id,
    mailboxAddress: mailbox.address,
    candidates,
    brandDomains: [...new Set(candidates.flatMap((c) => c.brandSenderDomains))],
    ownMessageIds: new Set(candidates.flatMap((c) => [c.messageId, ...c.reminderMessageIds]).filter((id): id is string => id !== null).map(messageIdKey)),
    index: { messageIds: new Map(index.messageIds), ticketRefs: new Map(index.ticketRefs) },
  };
}

export interface StoredOutcomeOfBatch {
  inserted: number;
  duplicates: number;
  matched: number;
  /** Ids of new replies, for the analysis queue. */
  replyIds: string[];
}

/**
 * Stores a batch and advances the checkpoint, in one transaction of a few statements
 * whatever the batch's size, plus the outcome of each probe it touches: what is known
 * already is looked up at once, the new messages and their replies are inserted at once.
 * Messages are classified and matched in UID order, each learning from those before it.
 */
export async function storeBatch(
  pool: Pool,
  state: MailboxMatchState,
  folder: string,
  uidValidity: number,
  batch: PreparedMessage[],
  checkpoint: FolderCheckpoint,
): Promise<StoredOutcomeOfBatch> {
  return withTransaction(pool, async (tx) => {
    const result: StoredOutcomeOfBatch = { inserted: 0, duplicates: 0, matched: 0, replyIds: [] };
    const knownSources = await findMessagesBySource(tx, state.mailboxId, batch.map((message) => message.sha256));
    const storedUids = await findStoredUids(tx, { mailboxId: state.mailboxId, folder, uidValidity }, batch.map((message) => message.fetched.uid));
    const moves = new Map<string, MessagePlace>();
    const rows = new Map<string, NewMessage>();
    for (const message of batch) {
      const source = message.sha256.toString('hex');
      const place = { folder, uidValidity, uid: message.fetched.uid };
      // A message seen before (UIDVALIDITY reset, the same bytes in two folders or twice in
      // this batch) keeps its one row, moved to where the server shows it now.
      const knownId = knownSources.get(source);
      const twin = rows.get(source);
      if (knownId !== undefined) moves.set(knownId, { id: knownId, ...place });
      else if (twin !== undefined) twin.uid = place.uid;
      if (knownId !== undefined || twin !== undefined || storedUids.has(place.uid)) {
        result.duplicates++;
        continue;
      }
      const classification = classifyMessage(message.parsed, { brandDomains: state.brandDomains });
      // a copy of our own probe or reminder (a mailbox rule, a brand's Cc) is no reply to it
      const own = message.parsed.messageId !== null && state.ownMessageIds.has(messageIdKey(message.parsed.messageId));
      if (own) classification.signals.push('own:probe-or-reminder');
      const match = own ? null : matchOne(state, message, classification.kind === 'bounce');
      if (match) learn(state, match.probeId, message);
      rows.set(source, withoutNul(newMessageRow(state.mailboxId, place, message, classification, match)));
    }
    await relocateMessages(tx, [...moves.values()]);
    const stored = await insertOrKeepMinimal(tx, [...rows.values()]);
    const touched = new Set<string>();
    for (const row of rows.values()) {
      const message = stored.get(row.uid);
      // stored meanwhile under this UID: nothing to add
      if (message === undefined) {
        result.duplicates++;
        continue;
      }
      result.inserted++;
      if (message.probeId !== null) {
        touched.add(message.probeId);
        result.matched++;
        result.replyIds.push(message.id);
      }
    }
    // in id order: two transactions recomputing the same probes never wait on each other
    for (const probeId of [...touched].sort()) await recomputeOutcome(tx, probeId);
    await saveFolderCheckpoint(tx, state.mailboxId, checkpoint);
    return result;
  });
}

interface MessagePlace {
  id: string;
  folder: string;
  uidValidity: number;
  uid: number;
}

function newMessageRow(
  mailboxId: string,
  place: Omit<MessagePlace, 'id'>,
  message: PreparedMessage,
  classification: Classification,
  match: MatchResult | null,
): NewMessage {
  const p = message.parsed;
  return {
    mailboxId,
    ...place,
    messageId: p.messageId,
    sourceSha256: message.sha256,
    sourceGz: message.gz,
    size: message.fetched.size,
    fromAddress: p.from?.address || null,
    fromName: p.from?.name || null,
    to: p.to.map((a) => a.address),
    cc: p.cc.map((a) => a.address),
    subject: p.subject || null,
    receivedAt: message.fetched.internalDate,
    dateHeader: p.date,
    inReplyTo: p.inReplyTo,
    references: p.references,
    kind: classification.kind,
    signals: classification.signals,
    language: message.language,
    replyText: message.replyText || null,
    signature: message.signature,
    probeId: match?.probeId ?? null,
    match: match && { rule: match.rule, confidence: match.confidence, evidence: { ...match.evidence } },
    parseError: p.parseError,
    oversize: message.fetched.oversize,
  };
}

/**
 * One message must never stop its mailbox: when the database refuses the batch (a value it
 * cannot store), its rows are stored one at a time, and a row refused again is stored bare
 * — place, source, dates and the database's reason as the parse error, no reply — and the
 * sync goes on. (What such a row's match taught the later messages of its batch stays
 * learnt: the match was found, only its storage failed.)
 */
async function insertOrKeepMinimal(tx: Queryable, rows: NewMessage[]): Promise<Map<number, InsertedMessage>> {
  const all = await insertWithin(tx, rows);
  if (!(all instanceof Error)) return all;
  const stored = new Map<number, InsertedMessage>();
  for (const row of rows) {
    let one = await insertWithin(tx, [row]);
    if (one instanceof Error) one = await insertMessages(tx, [bare(row, one)]);
    for (const [uid, message] of one) stored.set(uid, message);
  }
  return stored;
}

/** The insert in a savepoint: a refusal is returned, and the transaction goes on. */
async function insertWithin(tx: Queryable, rows: NewMessage[]): Promise<Map<number, InsertedMessage> | Error> {
  try {
    return await withSavepoint(tx, () => insertMessages(tx, rows));
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function bare(row: NewMessage, refusal: Error): NewMessage {
  const reason = `the message could not be stored as parsed (${refusal.message}); kept with its source only`;
  return {
    ...row,
    fromAddress: null,
    fromName: null,
    to: [],
    cc: [],
    subject: null,
    inReplyTo: [],
    references: [],
    signals: [],
    language: null,
    replyText: null,
    signature: null,
    probeId: null,
    match: null,
    messageId: null,
    parseError: [row.parseError, reason].filter(Boolean).join('; '),
  };
}

/** PostgreSQL text cannot hold NUL, which an encoded header or body may decode to. */
function withoutNul(row: NewMessage): NewMessage {
  const clean = (text: string | null) => (text === null ? null : text.replaceAll('\u0000', ''));
  return {
    ...row,
    messageId: clean(row.messageId),
    fromAddress: clean(row.fromAddress),
    fromName: clean(row.fromName),
    to: row.to.map((a) => a.replaceAll('\u0000', '')),
    cc: row.cc.map((a) => a.replaceAll('\u0000', '')),
    subject: clean(row.subject),
    inReplyTo: row.inReplyTo.map((a) => a.replaceAll('\u0000', '')),
    references: row.references.map((a) => a.replaceAll('\u0000', '')),
    replyText: clean(row.replyText),
    signature: clean(row.signature),
    parseError: clean(row.parseError),
  };
}

/**
 * A bounce carries the probe it returns as an attached part (`message/rfc822`,
 * `text/rfc822-headers`) that the parsed text leaves out: its whole source is searched.
 */
function matchOne(state: MailboxMatchState, message: PreparedMessage, bounce: boolean): MatchResult | null {
  const p = message.parsed;
  const text = bounce ? `${p.text}\n${message.fetched.source.toString('latin1')}` : p.text;
  return matchMessage(
    {
      messageId: p.messageId,
      inReplyTo: p.inReplyTo,
      references: p.references,
      from: p.from,
      to: p.to,
      cc: p.cc,
      subject: p.subject,
      headers: p.headers,
      text,
      mailboxId: state.mailboxId,
      mailboxAddress: state.mailboxAddress,
      receivedAt: message.fetched.internalDate,
      replyText: message.replyText,
    },
    state.candidates,
    state.index,
  );
}

/** A matched message teaches the cascade its Message-ID and ticket references, for the rest of the sync. */
function learn(state: MailboxMatchState, probeId: string, message: PreparedMessage): void {
  if (message.parsed.messageId) state.index.messageIds.set(messageIdKey(message.parsed.messageId), probeId);
  for (const ref of extractTicketRefs(`${message.parsed.subject}\n${message.replyText}`)) {
    const known = state.index.ticketRefs.get(ref);
    if (known === undefined) state.index.ticketRefs.set(ref, probeId);
    else if (known !== probeId) state.index.ticketRefs.delete(ref);
  }
}
