/**
 * An auditor settles a send held for review (see `deliver-once.ts`): recorded `sent` at the
 * time the auditor established (the outcome, its delays and norms then computed from it),
 * `not_sent` (waiting again: the probe `planned` for now, the reminder `due`), or `failed`.
 * One transaction: the row's change, the resolution kept with who and when, and the outcome.
 * What follows on the queues (sending again, the next reminder) is the caller's, once committed.
 */
import type { CheckedResolution } from '../audit/held-resolution.ts';
import { transitionCampaign } from '../db/campaigns.repo.ts';
import { resolveHeldProbe, resolveHeldReminder, type HeldResolution } from '../db/held-sends.repo.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { cancelRemindersAfterClosing } from '../db/reminders.repo.ts';
import { recomputeOutcome } from './recompute-outcome.ts';

export interface Resolver {
  keyId: string | null;
  label: string;
}

/** Null when the probe is no longer held (resolved meanwhile). */
export async function resolveHeldProbeSend(
  pool: Pool,
  probe: { id: string; campaignId: string },
  checked: CheckedResolution,
  by: Resolver,
  at: Date,
): Promise<HeldResolution | null> {
  return withTransaction(pool, async (tx) => {
    const resolution = await resolveHeldProbe(tx, probe.id, { ...checked, by, at });
    if (resolution?.resolution === 'sent') {
      // unanswered from then on, until a reply says otherwise; the campaign runs from its first probe out
      await recomputeOutcome(tx, probe.id);
      await transitionCampaign(tx, probe.campaignId, ['scheduled'], 'running');
      // a closed campaign sends no reminder, even after a reopen
      await cancelRemindersAfterClosing(tx, probe.id);
    }
    return resolution;
  });
}

/** Null when the reminder is no longer held. */
export async function resolveHeldReminderSend(
  pool: Pool,
  reminder: { probeId: string; seq: number },
  checked: CheckedResolution,
  by: Resolver,
  at: Date,
): Promise<HeldResolution | null> {
  return withTransaction(pool, async (tx) => {
    const resolution = await resolveHeldReminder(tx, reminder.probeId, reminder.seq, { ...checked, by, at });
    if (resolution?.resolution === 'sent') await recomputeOutcome(tx, reminder.probeId);
    return resolution;
  });
}
