/** Verifies a stored message's DKIM signatures and records the verdict beside it. */
import type { Queryable } from '../db/pool.ts';
import { saveDkimVerdict } from '../db/dkim.repo.ts';
import { verifyDkim, type DkimOptions, type DkimVerdict } from '../mail/dkim.ts';

export async function recordDkimVerdict(db: Queryable, messageId: string, source: Buffer, options: DkimOptions = {}): Promise<DkimVerdict> {
  const verdict = await verifyDkim(source, options);
  await saveDkimVerdict(db, messageId, verdict);
  return verdict;
}
