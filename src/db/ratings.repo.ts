/** The auditors' own ratings of replies (double rating): one grade per reply, rater and criterion. */
import type { CriterionId } from '../audit/score.ts';
import type { Grade } from '../audit/double-rating.ts';
import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';

interface GradeRow {
  reply_id: string;
  rater_key_id: string;
  rater: string;
  criterion: string;
  value: number;
  comment: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ReplyGrade extends Grade {
  replyId: string;
}

const toGrade = (r: GradeRow): ReplyGrade => ({
  replyId: r.reply_id,
  criterion: r.criterion as CriterionId,
  raterId: r.rater_key_id,
  rater: r.rater,
  value: r.value,
  comment: r.comment,
  ratedAt: r.created_at,
  updatedAt: r.updated_at,
});

const GRADE_COLUMNS = 'g.reply_id, g.rater_key_id, k.label as rater, g.criterion, g.value, g.comment, g.created_at, g.updated_at';

/** Every grade of a reply, by every rater, oldest first. */
export async function listReplyGrades(db: Queryable, replyId: string): Promise<ReplyGrade[]> {
  const { rows } = await db.query<GradeRow>(
    `select ${GRADE_COLUMNS} from ratings g join api_keys k on k.id = g.rater_key_id
      where g.reply_id = $1 order by g.created_at, g.rater_key_id, g.criterion`,
    [replyId],
  );
  return rows.map(toGrade);
}

/** Every grade of the replies of a campaign's probes, oldest first. */
export async function listCampaignGrades(db: Queryable, campaignId: string): Promise<ReplyGrade[]> {
  const { rows } = await db.query<GradeRow>(
    `select ${GRADE_COLUMNS}
       from ratings g join api_keys k on k.id = g.rater_key_id
       join replies r on r.id = g.reply_id join probes p on p.id = r.probe_id
      where p.campaign_id = $1
      order by g.reply_id, g.created_at, g.rater_key_id, g.criterion`,
    [campaignId],
  );
  return rows.map(toGrade);
}

/**
 * Merges a rater's grades into its rating of a reply: a criterion given replaces that
 * criterion's grade (keeping the time of its first grade), a criterion set to null is
 * removed, the others stay.
 */
export async function mergeGrades(
  db: Queryable,
  replyId: string,
  raterKeyId: string,
  grades: Array<{ criterion: string; grade: { value: number; comment: string | null } | null }>,
): Promise<void> {
  const removed = grades.filter((g) => g.grade === null).map((g) => g.criterion);
  if (removed.length > 0) {
    await db.query('delete from ratings where reply_id = $1 and rater_key_id = $2 and criterion = any($3::text[])', [replyId, raterKeyId, removed]);
  }
  for (const { criterion, grade } of grades) {
    if (grade === null) continue;
    await db.query(
      `insert into ratings (reply_id, rater_key_id, criterion, value, comment) values ($1, $2, $3, $4, $5)
       on conflict (reply_id, rater_key_id, criterion) do update
          set value = excluded.value, comment = excluded.comment, updated_at = now()
        where (ratings.value, ratings.comment) is distinct from (excluded.value, excluded.comment)`,
      [replyId, raterKeyId, criterion, grade.value, grade.comment],
    );
  }
}

/** The criteria of each of a campaign's replies that carry an evaluation override. */
export async function listCampaignOverriddenCriteria(db: Queryable, campaignId: string): Promise<Map<string, Set<string>>> {
  const { rows } = await db.query<{ reply_id: string; criteria: string[] }>(
    `select e.reply_id, array_agg(e.criterion) as criteria
       from evaluations e join replies r on r.id = e.reply_id join probes p on p.id = r.probe_id
      where p.campaign_id = $1 group by e.reply_id`,
    [campaignId],
  );
  return new Map(rows.map((r) => [r.reply_id, new Set(r.criteria)]));
}

export interface QueuedReply {
  id: string;
  probeId: string;
  brandId: string;
  campaignId: string;
  receivedAt: Date;
  createdAt: Date;
}

/**
 * One page of the given replies, in the order of the other lists: the creation of their
 * message (kept to the millisecond, the cursor's precision), then id.
 */
export async function pageReplies(db: Queryable, ids: string[], page: PageRequest): Promise<Page<QueuedReply>> {
  const clause = pageClause(page, 2, 'm');
  const { rows } = await db.query<{ id: string; probe_id: string; brand_id: string; campaign_id: string; received_at: Date; created_at: Date }>(
    `select m.id, r.probe_id, p.brand_id, p.campaign_id, r.received_at, m.created_at
       from messages m join replies r on r.id = m.id join probes p on p.id = r.probe_id
      where m.id = any($1::uuid[]) and ${clause.sql}`,
    [ids, ...clause.values],
  );
  return toPage(rows, page.limit, (r) => ({
    id: r.id,
    probeId: r.probe_id,
    brandId: r.brand_id,
    campaignId: r.campaign_id,
    receivedAt: r.received_at,
    createdAt: r.created_at,
  }));
}

/** Locks the reply's row until the transaction ends: ratings of one reply take their turns. */
export async function lockReplyForRating(db: Queryable, replyId: string): Promise<void> {
  await db.query('select 1 from replies where id = $1 for update', [replyId]);
}
