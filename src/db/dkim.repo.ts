/** Stored DKIM verdicts of messages (migration 0007). */
import type { DkimSignature, DkimStatus, DkimVerdict } from '../mail/dkim.ts';
import type { Queryable } from './pool.ts';

export interface StoredDkimVerdict {
  status: DkimStatus;
  domain: string | null;
  signatures: DkimSignature[];
  verifiedAt: Date;
}

/** Records a verdict; a definite one already stored stays (keys rotate), a temporary error is replaced. */
export async function saveDkimVerdict(db: Queryable, messageId: string, verdict: DkimVerdict): Promise<void> {
  await db.query(
    `insert into message_dkim (message_id, status, domain, signatures) values ($1, $2, $3, $4)
     on conflict (message_id) do update
        set status = excluded.status, domain = excluded.domain, signatures = excluded.signatures, verified_at = now()
      where message_dkim.status = 'temperror'`,
    [messageId, verdict.status, verdict.domain, JSON.stringify(verdict.signatures)],
  );
}

export async function findDkimVerdicts(db: Queryable, messageIds: readonly string[]): Promise<Map<string, StoredDkimVerdict>> {
  if (messageIds.length === 0) return new Map();
  const { rows } = await db.query<{ message_id: string; status: DkimStatus; domain: string | null; signatures: DkimSignature[]; verified_at: Date }>(
    'select message_id, status, domain, signatures, verified_at from message_dkim where message_id = any($1::uuid[])',
    [messageIds],
  );
  return new Map(rows.map((r) => [r.message_id, { status: r.status, domain: r.domain, signatures: r.signatures, verifiedAt: r.verified_at }]));
}
