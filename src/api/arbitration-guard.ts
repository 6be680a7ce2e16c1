/**
 * The double rating's guard on evaluations: one of the two raters who disagree on a
 * criterion does not arbitrate their own disagreement (see `src/audit/double-rating.ts`).
 */
import type { Queryable } from '../db/pool.ts';
import { refusedArbitrations } from '../flow/rate-reply.ts';
import type { Caller } from './auth.ts';
import { ApiProblem } from './problem.ts';

/**
 * Refuses (403, naming the criteria) an evaluation by which one of the two raters who disagree
 * on a criterion would set, change or remove its arbitration. Call before storing one.
 */
export async function assertMayArbitrate(
  db: Queryable,
  replyId: string,
  caller: Caller | null,
  criteria: Readonly<Record<string, { value: number } | undefined>>,
): Promise<void> {
  if (!caller) return;
  const after = Object.fromEntries(Object.entries(criteria).flatMap(([c, o]) => (o ? [[c, o.value] as const] : [])));
  const refused = await refusedArbitrations(db, replyId, caller, after);
  if (refused.length === 0) return;
  throw new ApiProblem(403, 'Forbidden', `you rated this reply: ${refused.join(', ')} must be arbitrated by a third auditor or an admin`, {
    errors: refused.map((c) => ({ field: `body/criteria/${c}`, message: 'disputed between you and another rater' })),
  });
}
