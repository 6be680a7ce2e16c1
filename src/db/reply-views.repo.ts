/** Reads of replies for the API: figures, analysis and auditor evaluation. */
import type { MessageKind } from './messages.repo.ts';
import type { Queryable } from './pool.ts';

export interface ReplyView {
  id: string;
  probeId: string;
  kind: MessageKind;
  receivedAt: Date;
  delayHours: number | null;
  businessDelayHours: number | null;
  late: boolean;
}

interface ReplyRow {
  id: string;
  probe_id: string;
  kind: MessageKind;
  received_at: Date;
  delay_hours: number | null;
  business_delay_hours: number | null;
  late: boolean;
}

const toView = (r: ReplyRow): ReplyView => ({
  id: r.id,
  probeId: r.probe_id,
  kind: r.kind,
  receivedAt: r.received_at,
  delayHours: r.delay_hours,
  businessDelayHours: r.business_delay_hours,
  late: r.late,
});

export async function findReply(db: Queryable, id: string): Promise<ReplyView | null> {
  const { rows } = await db.query<ReplyRow>('select * from replies where id = $1', [id]);
  return rows[0] ? toView(rows[0]) : null;
}

export async function findReplyFigures(db: Queryable, ids: string[]): Promise<Map<string, ReplyView>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<ReplyRow>('select * from replies where id = any($1::uuid[])', [ids]);
  return new Map(rows.map((r) => [r.id, toView(r)]));
}

export interface Evaluation {
  criterion: string;
  value: number;
  comment: string | null;
  author: string | null;
  updatedAt: Date;
}

export async function listEvaluations(db: Queryable, replyId: string): Promise<Evaluation[]> {
  const { rows } = await db.query<{ criterion: string; value: number; comment: string | null; author: string | null; updated_at: Date }>(
    'select * from evaluations where reply_id = $1 order by criterion',
    [replyId],
  );
  return rows.map((r) => ({ criterion: r.criterion, value: r.value, comment: r.comment, author: r.author, updatedAt: r.updated_at }));
}

/** Replaces the auditor's overrides of a reply with `evaluations` (PUT semantics). */
export async function replaceEvaluations(
  db: Queryable,
  replyId: string,
  evaluations: Array<{ criterion: string; value: number; comment: string | null }>,
  author: string,
): Promise<void> {
  await db.query('delete from evaluations where reply_id = $1 and not (criterion = any($2::text[]))', [replyId, evaluations.map((e) => e.criterion)]);
  for (const e of evaluations) {
    await db.query(
      `insert into evaluations (reply_id, criterion, value, comment, author) values ($1, $2, $3, $4, $5)
       on conflict (reply_id, criterion) do update
          set value = excluded.value, comment = excluded.comment, author = excluded.author, updated_at = now()
        where (evaluations.value, evaluations.comment) is distinct from (excluded.value, excluded.comment)`,
      [replyId, e.criterion, e.value, e.comment, author],
    );
  }
}

export async function findLatestAnalysis(db: Queryable, replyId: string): Promise<{ version: string; result: unknown; createdAt: Date } | null> {
  const { rows } = await db.query<{ analyser_version: string; result: unknown; created_at: Date }>(
    'select analyser_version, result, created_at from analyses where reply_id = $1 order by created_at desc limit 1',
    [replyId],
  );
  const r = rows[0];
  return r ? { version: r.analyser_version, result: r.result, createdAt: r.created_at } : null;
}
