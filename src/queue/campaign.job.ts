/**
 * A campaign's own jobs. `schedule` plans its probes (once: `planned_at`) and queues each one's send job
 * for its time, then the automatic closing `closeAfterDays` after `endsAt`; `close` closes
 * it then, unless an auditor closed it first. Both are idempotent: a retry, or a second
 * request, plans nothing twice and queues nothing twice.
 */
import { UnrecoverableError, type Processor } from 'bullmq';
import { PlanError } from '../audit/plan-error.ts';
import { type Campaign, closeCampaign, transitionCampaign } from '../db/campaigns.repo.ts';
import { listPlannedProbes } from '../db/probes.repo.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { planCampaignOnce } from '../flow/plan-campaign.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { SYSTEM_TIMING, delayUntil, hoursAfter, type Timing } from '../clock.ts';
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

/** What the campaign jobs read. */
export interface CampaignJobDeps {
  pool: Pool;
  queues: Queues;
  logger: Logger;
  config: Pick<Config, 'closeAfterDays'>;
}

export function campaignProcessor(deps: CampaignJobDeps, timing: Timing = SYSTEM_TIMING): Processor<CampaignJob, string> {
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

async function scheduleCampaign(deps: CampaignJobDeps, campaignId: string, timing: Timing, log: Logger): Promise<string> {
  let campaign: Campaign | null;
  try {
    campaign = await withTransaction(deps.pool, (tx) => planCampaignOnce(tx, campaignId, timing.now(), log));
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
