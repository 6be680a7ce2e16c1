/**
 * What the double rating shows, shared by the API (`/v1/replies/:id/ratings`,
 * `/v1/campaigns/:id/agreement`, `/v1/arbitrations`) and the dashboard, so both show the same:
 * the ratings of a reply, blind; the raters' agreement over a campaign; the arbitration queue.
 *
 * Blindness: an auditor sees the other raters' ratings of a reply only once it has rated that
 * reply itself; an admin always sees them; a reader only how many there are.
 */
import { agreementByCriterion, openDisputes, type Dispute, type Grade } from '../audit/double-rating.ts';
import { CRITERIA } from '../audit/score.ts';
import type { PageRequest } from '../db/page.ts';
import type { Queryable } from '../db/pool.ts';
import { listCampaignGrades, listCampaignOverriddenCriteria, listReplyGrades, pageReplies, type QueuedReply, type ReplyGrade } from '../db/ratings.repo.ts';

/** Who asks: a key (none for the environment's admin key) and its role. */
export interface RatingViewer {
  keyId: string | null;
  role: string;
}

/** Groups grades by rater, first rater first. */
export function presentRatings(grades: readonly Grade[], callerKeyId: string | null) {
  const byRater = new Map<string, Grade[]>();
  for (const grade of grades) byRater.set(grade.raterId, [...(byRater.get(grade.raterId) ?? []), grade]);
  return [...byRater.values()]
    .map((own) => ({
      rater: own[0]!.rater,
      raterKeyId: own[0]!.raterId,
      mine: own[0]!.raterId === callerKeyId,
      criteria: Object.fromEntries(own.map((g) => [g.criterion, { value: g.value, comment: g.comment, ratedAt: g.ratedAt, updatedAt: g.updatedAt }])),
      ratedAt: new Date(Math.min(...own.map((g) => g.ratedAt.getTime()))),
      updatedAt: new Date(Math.max(...own.map((g) => g.updatedAt.getTime()))),
    }))
    .sort((a, b) => a.ratedAt.getTime() - b.ratedAt.getTime());
}

export type PresentedRating = ReturnType<typeof presentRatings>[number];

/** The ratings the viewer may see (see "Blindness" above). */
export function visibleTo<R extends { mine: boolean }>(ratings: R[], viewer: RatingViewer | null): R[] {
  if (viewer?.role === 'admin') return ratings;
  if (viewer?.role !== 'auditor') return [];
  return ratings.some((r) => r.mine) ? ratings : [];
}

export interface ReplyRatings {
  replyId: string;
  /** Raters of this reply, the viewer included. */
  count: number;
  /** Ratings withheld from the viewer. */
  hidden: number;
  ratings: PresentedRating[];
}

/** The ratings of a reply as the viewer may see them. */
export async function replyRatings(db: Queryable, replyId: string, viewer: RatingViewer | null): Promise<ReplyRatings> {
  const ratings = presentRatings(await listReplyGrades(db, replyId), viewer?.keyId ?? null);
  const shown = visibleTo(ratings, viewer);
  return { replyId, count: ratings.length, hidden: ratings.length - shown.length, ratings: shown };
}

/** The viewer's own rating of a reply, if it has one. */
export async function ownRating(db: Queryable, replyId: string, keyId: string): Promise<PresentedRating | undefined> {
  return presentRatings(await listReplyGrades(db, replyId), keyId).find((r) => r.mine);
}

const byReply = (grades: readonly ReplyGrade[]) => {
  const map = new Map<string, ReplyGrade[]>();
  for (const grade of grades) map.set(grade.replyId, [...(map.get(grade.replyId) ?? []), grade]);
  return map;
};

/** The raters' agreement over a campaign, criterion by criterion. */
export async function campaignAgreement(db: Queryable, campaignId: string, weighted: boolean) {
  const grades = byReply(await listCampaignGrades(db, campaignId));
  return agreementByCriterion([...grades.values()], CRITERIA.map((c) => c.id), { weighted });
}

export interface QueuedArbitration {
  reply: QueuedReply;
  disputes: Dispute[];
  ratings: PresentedRating[];
}

/** One page of a campaign's replies whose two raters disagree and that no arbitration settled. */
export async function arbitrationQueue(
  db: Queryable,
  campaignId: string,
  page: PageRequest,
  viewerKeyId: string | null,
): Promise<{ items: QueuedArbitration[]; nextCursor: string | null }> {
  const [grades, overridden] = await Promise.all([listCampaignGrades(db, campaignId), listCampaignOverriddenCriteria(db, campaignId)]);
  const grouped = byReply(grades);
  const open = new Map(
    [...grouped]
      .map(([replyId, own]) => [replyId, openDisputes(own, overridden.get(replyId) ?? new Set())] as const)
      .filter(([, disputes]) => disputes.length > 0),
  );
  const replies = await pageReplies(db, [...open.keys()], page);
  return {
    nextCursor: replies.nextCursor,
    items: replies.items.map((reply) => ({ reply, disputes: open.get(reply.id)!, ratings: presentRatings(grouped.get(reply.id) ?? [], viewerKeyId) })),
  };
}
