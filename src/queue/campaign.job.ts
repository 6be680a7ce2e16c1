/**
 * A campaign's own jobs. `schedule` plans its probes (once: `planned_at`) and queues each one's send job
 * for its time, then the automatic closing `closeAfterDays` after `endsAt`; `close` closes
 * it then, unless an auditor closed it first. Both are idempotent: a retry, or a second
 * request, plans nothing twice and queues nothing twice.
 */
import { UnrecoverableError, type Processor } from 'bullmq';
import { PlanError } from '../audit/plan-error.ts';
import { planCampaign } from '../audit/schedule.ts';
import { type Campaign, closeCampaign, findCampaign, loadPlanInputs, lockCampaign, markCampaignPlanned, transitionCampaign } from '../db/campaigns.repo.ts';
import { insertPlannedProbes, listPlannedProbes, takenPersonaAddresses } from '../db/probes.repo.ts';
import { withTransaction, type Queryable } from '../db/pool.ts';
import { SYSTEM_TIMING, delayUntil, hoursAfter, type Timing } from '../clock.ts';
import type { ProcessorDeps } from './processors.ts';
import type { Queues } from './queues.ts';
import { enqueueSendProbes } from './send-probe.job.ts';

export type CampaignJobName = 'schedule' | 'close';
export interface CampaignJob {
  campaignId: string;
}

/** Deterministic: a campaign closes once. */
export const campaignCloseJobId = (campaignId: string) => `campaign-close-${campaignId}`;

/**
 * Asks for a scheduled campaign to be planned and queued. No fixed job id: the job is
 * idempotent, and a fixed id would swallow a new request while an old job is still kept.
 */
export async function requestCampaignSchedule(queues: Queues, campaignId: string): Promise<void> {
  await queues.campaigns.add('schedule' satisfies CampaignJobName, { campaignId } satisfies CampaignJob);
}

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

export function campaignProcessor(deps: ProcessorDeps, timing: Timing = SYSTEM_TIMING): Processor<CampaignJob, string> {
  return async (job) => {
    const { campaignId } = job.data;
    const log = deps.logger.child({ queue: 'campaigns', job: job.name, campaignId });
    if (job.name === 'close') {
      const closed = await withTransaction(deps.pool, (tx) => closeCampaign(tx, campaignId, timing.now()));
      log.info({ closed }, closed ? 'campaign closed automatically' : 'campaign was not open: nothing to close');
      return closed ? 'closed' : 'not-open';
    }
    if (job.name !== 'schedule') throw new UnrecoverableError(`unknown campaign job "${job.name}"`);
    return scheduleCampaign(deps, campaignId, timing, log);
  };
}

async function scheduleCampaign(deps: ProcessorDeps, campaignId: string, timing: Timing, log: ProcessorDeps['logger']): Promise<string> {
  let campaign: Campaign | null;
  try {
    campaign = await withTransaction(deps.pool, async (tx) => {
      const locked = await lockCampaign(tx, campaignId);
      if (locked?.status !== 'scheduled' && locked?.status !== 'running') return null;
      const current = (await findCampaign(tx, campaignId))!;
      // Planned once, with the mark in the plan's own transaction: probes declared by hand do not count.
      if (!locked.planned) {
        const plan = await planFor(tx, current, timing.now());
        await insertPlannedProbes(tx, campaignId, plan);
        await markCampaignPlanned(tx, campaignId, timing.now());
        log.info({ probes: plan.length, first: plan[0]?.scheduledAt, last: plan[plan.length - 1]?.scheduledAt }, 'campaign planned');
      }
      return current;
    });
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    // What changed since the API checked it (a brand lost its address…) is for the auditor to fix.
    await transitionCampaign(deps.pool, campaignId, ['scheduled'], 'draft');
    throw new UnrecoverableError(`the campaign cannot be planned: ${err.message}; it is back to draft`);
  }
  if (!campaign) return 'not-scheduled';

  const planned = await listPlannedProbes(deps.pool, campaignId);
  await enqueueSendProbes(deps.queues, planned, timing);
  const closeAt = hoursAfter(campaign.endsAt!, deps.config.closeAfterDays * 24, timing);
  await deps.queues.campaigns.add('close' satisfies CampaignJobName, { campaignId } satisfies CampaignJob, {
    jobId: campaignCloseJobId(campaignId),
    delay: delayUntil(closeAt, timing),
  });
  log.info({ queued: planned.length, closeAt }, 'campaign probes queued');
  return 'scheduled';
}
