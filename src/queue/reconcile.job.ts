/**
 * Recovery of lost send jobs. Jobs live in Redis and the truth in PostgreSQL: a Redis that
 * lost its data, a job removed by hand, or a worker that died without a retry left would
 * otherwise leave a probe `planned` or `sending`, or a reminder unsent, for ever. The
 * scheduler role asks the database what should have happened by now and re-enqueues each
 * one whose job is not alive; the jobs are idempotent, so a job that was only slow is never
 * doubled.
 */
import type { Queue } from 'bullmq';
import { listStalledProbes } from '../db/probes.repo.ts';
import { listStalledReminders } from '../db/reminders.repo.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { SYSTEM_TIMING, hoursAfter, type Timing } from '../clock.ts';
import { jobIds, type Queues, type SendProbeJob, type SendReminderJob } from './queues.ts';

/** How late a planned probe or a due reminder is before its job is taken for lost: five minutes. */
export const LOST_AFTER_HOURS = 5 / 60;
/** How long a send may stay `sending`: well beyond the SMTP and IMAP timeouts of one attempt. */
export const SENDING_FOR_HOURS = 15 / 60;
/** At most this many of each per run: a backlog drains over a few runs rather than in one burst. */
const BATCH = 500;

export interface Reconciled {
  probes: number;
  reminders: number;
}

export async function reconcileSends(deps: { pool: Pool; queues: Queues; logger: Logger }, timing: Timing = SYSTEM_TIMING): Promise<Reconciled> {
  const now = timing.now();
  const lostBefore = hoursAfter(now, -LOST_AFTER_HOURS, timing);
  const probeIds = await listStalledProbes(deps.pool, lostBefore, hoursAfter(now, -SENDING_FOR_HOURS, timing), BATCH);
  let probes = 0;
  for (const probeId of probeIds) {
    if (await requeue(deps.queues['send-probe'], jobIds.sendProbe(probeId), 'send', { probeId } satisfies SendProbeJob)) probes++;
  }
  let reminders = 0;
  for (const { probeId, seq } of await listStalledReminders(deps.pool, lostBefore, timing.msPerHour, BATCH)) {
    if (await requeue(deps.queues['send-reminder'], jobIds.sendReminder(probeId, seq), 'remind', { probeId, seq } satisfies SendReminderJob)) reminders++;
  }
  if (probes + reminders > 0) deps.logger.warn({ probes, reminders }, 'lost send jobs queued again');
  return { probes, reminders };
}

/**
 * Adds the job unless one with its id is alive (waiting, delayed, running). A finished one
 * (completed, or failed with its reason kept) holds the deterministic id and would swallow
 * the new job: it is removed first. False when a live job is there.
 */
async function requeue(queue: Queue, jobId: string, name: string, data: object): Promise<boolean> {
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
    await existing.remove();
  }
  await queue.add(name, data, { jobId });
  return true;
}
