/** A message found in a test mailbox, as the API shows it: shared by the messages and replies routes. */
import { Type } from '@sinclair/typebox';
import type { StoredMessage } from '../db/messages.repo.ts';
import { Nullable, Timestamp, Uuid } from './schemas.ts';

/** The kinds a message may have. */
export const Kind = Type.Union(['answer', 'acknowledgement', 'follow_up', 'bounce', 'unknown'].map((k) => Type.Literal(k)));

export const Message = Type.Object(
  {
    id: Uuid,
    mailboxId: Uuid,
    folder: Type.String(),
    uid: Type.Integer(),
    messageId: Nullable(Type.String()),
    from: Nullable(Type.String()),
    fromName: Nullable(Type.String()),
    to: Type.Array(Type.String()),
    cc: Type.Array(Type.String()),
    subject: Nullable(Type.String()),
    receivedAt: Timestamp,
    dateHeader: Nullable(Timestamp),
    kind: Kind,
    signals: Type.Array(Type.String(), { description: 'the headers and phrases behind kind' }),
    language: Nullable(Type.String()),
    replyText: Nullable(Type.String({ description: 'the new text, without quoted history and signature' })),
    probeId: Nullable(Uuid),
    match: Nullable(Type.Object({ rule: Type.String(), confidence: Type.Number(), evidence: Type.Record(Type.String(), Type.Unknown()) })),
    parseError: Nullable(Type.String()),
    oversize: Type.Boolean(),
    size: Type.Integer(),
    createdAt: Timestamp,
  },
  { $id: 'Message' },
);

export const presentMessage = (m: StoredMessage) => ({
  id: m.id,
  mailboxId: m.mailboxId,
  folder: m.folder,
  uid: m.uid,
  messageId: m.messageId,
  from: m.from.address,
  fromName: m.from.name,
  to: m.to,
  cc: m.cc,
  subject: m.subject,
  receivedAt: m.receivedAt,
  dateHeader: m.dateHeader,
  kind: m.kind,
  signals: m.signals,
  language: m.language,
  replyText: m.replyText,
  probeId: m.probeId,
  match: m.match,
  parseError: m.parseError,
  oversize: m.oversize,
  size: m.size,
  createdAt: m.createdAt,
});
