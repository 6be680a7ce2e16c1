/**
 * Recovery of lost send jobs. Jobs live in Redis and the truth in PostgreSQL: a Redis that
 * lost its data, a job removed by hand, or a worker that died without a retry left would
 * otherwise leave a probe `planned` or `sending`, or a reminder unsent, for ever. The
 * scheduler role asks the database what should have happened by now and re-enqueues each
 * one whose job is not alive; the jobs are idempotent, so a job that was only slow is never
 * doubled.
 *
 * A Redis that lost its data (restarted without persistence, flushed, replaced) lost the
 * delayed jobs of every probe and reminder to come, not only the late ones: a marker key
 * kept beside the queues says so when it is gone, and the next run then rebuilds every
 * schedule (each planned probe at its time, the next reminder of each sent probe) before
 * setting the marker again; and the campaigns' own jobs with them: each planned campaign's
 * automatic close (at once for one past its time) and the planning of a scheduled one.
 */
import type { Redis } from 'ioredis';
import { listOpenPlannedProbes, listStalledProbes } from '../db/probes.repo.ts';
import { listStalledReminders } from '../db/reminders.repo.ts';
import { listCampaignJobsToRebuild } from '../db/campaigns.repo.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { SYSTEM_TIMING, delayUntil, hoursAfter, type Timing } from '../clock.ts';
import type { Queues } from './queues.ts';
import { requeueReminder, requeueSendProbe } from './requeue.ts';
import { campaignCloseJobId, requestCampaignSchedule, type CampaignJob, type CampaignJobName } from './campaign.job.ts';

/** How late a planned probe or a due reminder is before its job is taken for lost: five minutes. */
export const LOST_AFTER_HOURS = 5 / 60;
/** How long a send may stay `sending`: well beyond the SMTP and IMAP timeouts of one attempt. */
export const SENDING_FOR_HOURS = 15 / 60;
/** At most this many of each per run: a backlog drains over a few runs rather than in one burst. */
const BATCH = 500;

/** At most this many of each when rebuilding after a Redis that lost its data. */
const REBUILD_BATCH = 100_000;

export interface Reconciled {
  probes: number;
  reminders: number;
  /** Redis had lost its data: every schedule was rebuilt. */
  rebuilt: boolean;
}

export interface Rebuilt {
  probes: number;
  reminders: number;
  /** Automatic-close jobs queued again. */
  closings: number;
  /** Scheduled campaigns whose planning was queued again. */
  plannings: number;
}

/** The marker of a Redis that still holds the queues' data; gone after a restart without persistence or a flush. */
const markerKey = (queues: Queues) => `${queues['send-probe'].opts.prefix ?? 'bull'}:sonde:queues-alive`;

export interface ReconcileDeps {
  pool: Pool;
  queues: Queues;
  logger: Logger;
  /** The queues' Redis, where the marker is kept; without it no data loss is detected. */
  redis?: Pick<Redis, 'exists' | 'set'> | undefined;
  /** `SONDE_CLOSE_AFTER_DAYS`: when a campaign closes after its end; without it no close job is rebuilt. */
  closeAfterDays?: number | undefined;
}

export async function reconcileSends(deps: ReconcileDeps, timing: Timing = SYSTEM_TIMING): Promise<Reconciled> {
  const now = timing.now();
  const redis = deps.redis;
  const rebuilt = redis !== undefined && (await redis.exists(markerKey(deps.queues))) === 0;
  if (redis && rebuilt) {
    const rebuiltFigures = await rebuildSchedules(deps, timing);
    await redis.set(markerKey(deps.queues), now.toISOString());
    deps.logger.warn(rebuiltFigures, 'the queues had lost their data (Redis restarted empty?): every send schedule rebuilt from the database');
  }
  const lostBefore = hoursAfter(now, -LOST_AFTER_HOURS, timing);
  const probeIds = await listStalledProbes(deps.pool, lostBefore, hoursAfter(now, -SENDING_FOR_HOURS, timing), BATCH);
  let probes = 0;
  for (const probeId of probeIds) {
    if (await requeueSendProbe(deps.queues, probeId)) probes++;
  }
  let reminders = 0;
  for (const { probeId, seq } of await listStalledReminders(deps.pool, lostBefore, timing.msPerHour, BATCH)) {
    if (await requeueReminder(deps.queues, probeId, seq)) reminders++;
  }
  if (probes + reminders > 0) deps.logger.warn({ probes, reminders }, 'lost send jobs queued again');
  return { probes, reminders, rebuilt };
}

/**
 * Every planned probe queued again at its time, and the next reminder of every sent probe
 * (whose job waits for its due time itself); live jobs are left alone.
 */
export async function rebuildSchedules(deps: Pick<ReconcileDeps, 'pool' | 'queues' | 'closeAfterDays'>, timing: Timing): Promise<Rebuilt> {
  let probes = 0;
  for (const probe of await listOpenPlannedProbes(deps.pool, REBUILD_BATCH)) {
    const delay = probe.scheduledAt ? delayUntil(probe.scheduledAt, timing) : 0;
    if (await requeueSendProbe(deps.queues, probe.id, delay)) probes++;
  }
  let reminders = 0;
  const anyTime = hoursAfter(timing.now(), 24 * 365 * 10, timing);
  for (const { probeId, seq } of await listStalledReminders(deps.pool, anyTime, timing.msPerHour, REBUILD_BATCH)) {
    if (await requeueReminder(deps.queues, probeId, seq)) reminders++;
  }
  return { probes, reminders, ...(await rebuildCampaignJobs(deps, timing)) };
}

/**
 * Each planned campaign's automatic close at `endsAt` + `closeAfterDays` (now for one past it),
 * and the planning of each scheduled campaign not planned yet. A close job still kept under
 * its id (the marker alone was lost) is left as it is: it ran, or it will.
 */
async function rebuildCampaignJobs(deps: Pick<ReconcileDeps, 'pool' | 'queues' | 'closeAfterDays'>, timing: Timing): Promise<{ closings: number; plannings: number }> {
  const { closing, unplanned } = await listCampaignJobsToRebuild(deps.pool);
  let closings = 0;
  if (deps.closeAfterDays !== undefined) {
    for (const campaign of closing) {
      const jobId = campaignCloseJobId(campaign.id);
      if (await deps.queues.campaigns.getJob(jobId)) continue;
      const closeAt = hoursAfter(campaign.endsAt, deps.closeAfterDays * 24, timing);
      await deps.queues.campaigns.add('close' satisfies CampaignJobName, { campaignId: campaign.id } satisfies CampaignJob, { jobId, delay: delayUntil(closeAt, timing) });
      closings++;
    }
  }
  for (const campaignId of unplanned) await requestCampaignSchedule(deps.queues, campaignId);
  return { closings, plannings: unplanned.length };
}
