/**
 * An auditor attaches a message to a probe by hand (or detaches it): the message
 * becomes a reply of that probe with the rule `manual`, and the outcomes of the probe
 * it leaves and of the probe it joins are recomputed in the same transaction.
 */
import { findMessage, setMessageMatch, type MessageKind } from '../db/messages.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../db/pool.ts';
import { findProbe } from '../db/probes.repo.ts';
import { deleteReply, upsertReply } from '../db/replies.repo.ts';
import { recomputeOutcome } from './recompute-outcome.ts';

export async function assignMessage(
  pool: Pool,
  input: { messageId: string; probeId: string | null; kind?: MessageKind | undefined; by: string },
): Promise<void> {
  await withTransaction(pool, async (tx) => {
    const message = await findMessage(tx, input.messageId);
    if (!message) throw new Error(`message ${input.messageId} vanished`);
    const previous = message.probeId;
    const kind = input.kind ?? message.kind;
    await setMessageMatch(tx, message.id, {
      probeId: input.probeId,
      match: input.probeId ? { rule: 'manual', confidence: 1, evidence: { by: input.by, previousProbeId: previous } } : null,
      kind,
    });
    if (input.probeId) await upsertReply(tx, { id: message.id, probeId: input.probeId, kind, receivedAt: message.receivedAt });
    else await deleteReply(tx, message.id);
    const probes = [...new Set([previous, input.probeId])].filter((id): id is string => id !== null).sort();
    for (const probeId of probes) await recomputeOutcome(tx, probeId);
  });
}

/** Why a message cannot go to this probe, or null when it can (taking it back, `null`, always can). */
export type AssignmentRefusal = 'no-such-probe' | 'other-mailbox';

export async function checkAssignment(db: Queryable, message: { mailboxId: string }, probeId: string | null): Promise<AssignmentRefusal | null> {
  if (!probeId) return null;
  const probe = await findProbe(db, probeId);
  if (!probe) return 'no-such-probe';
  return probe.mailboxId === message.mailboxId ? null : 'other-mailbox';
}
