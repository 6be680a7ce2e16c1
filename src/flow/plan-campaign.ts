/** Planning a campaign: its probes from its brands, scenarios and mailboxes, made once. */
import { PlanError } from '../audit/plan-error.ts';
import { planCampaign } from '../audit/schedule.ts';
import { findCampaign, loadPlanInputs, lockCampaign, markCampaignPlanned, type Campaign } from '../db/campaigns.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { insertPlannedProbes, takenPersonaAddresses } from '../db/probes.repo.ts';
import type { Logger } from '../logger.ts';

/**
 * The plan of a campaign, from its brands, scenarios and mailboxes as they are now. Throws a
 * `PlanError` saying what makes it impossible (no period, a window that never opens, an
 * unknown placeholder…); `notBefore` keeps a late-scheduled campaign from sending its
 * overdue probes all at once.
 */
export async function planFor(db: Queryable, campaign: Campaign, notBefore: Date) {
  if (!campaign.startsAt || !campaign.endsAt) throw new PlanError('the campaign needs startsAt and endsAt');
  const inputs = await loadPlanInputs(db, campaign.id);
  const taken = await takenPersonaAddresses(db, inputs.mailboxes.map((m) => m.id));
  const period = { ...campaign, startsAt: campaign.startsAt, endsAt: campaign.endsAt };
  return planCampaign(period, inputs.brands, inputs.scenarios, inputs.mailboxes, campaign.seed, { notBefore, takenAddresses: taken });
}

/**
 * Plans a scheduled or running campaign unless it was planned already, and gives it back;
 * null when it is neither scheduled nor running. Call inside a transaction: the campaign's
 * row is locked, and the mark that it was planned lands with its probes (probes declared by
 * hand do not count). Throws the `PlanError` of a campaign that cannot be planned.
 */
export async function planCampaignOnce(tx: Queryable, campaignId: string, now: Date, log: Logger): Promise<Campaign | null> {
  const locked = await lockCampaign(tx, campaignId);
  if (locked?.status !== 'scheduled' && locked?.status !== 'running') return null;
  const current = (await findCampaign(tx, campaignId))!;
  if (!locked.planned) {
    const plan = await planFor(tx, current, now);
    await insertPlannedProbes(tx, campaignId, plan);
    await markCampaignPlanned(tx, campaignId, now);
    log.info({ probes: plan.length, first: plan[0]?.scheduledAt, last: plan[plan.length - 1]?.scheduledAt }, 'campaign planned');
  }
  return current;
}
