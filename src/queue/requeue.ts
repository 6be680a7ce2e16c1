/**
 * Queuing a job again under its deterministic id. A finished job (completed, or failed with
 * its reason kept) still holds the id and would swallow the new one: it is removed first.
 * Used by the reconciler (lost jobs) and when an auditor sends a held message again.
 */
import type { Queue } from 'bullmq';
import { jobIds, type Queues, type SendProbeJob, type SendReminderJob } from './queues.ts';

/** Adds the job unless one with its id is alive (waiting, delayed, running); false when a live job is there. */
export async function requeue(queue: Queue, jobId: string, name: string, data: object, delay = 0): Promise<boolean> {
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
    await existing.remove();
  }
  await queue.add(name, data, { jobId, delay });
  return true;
}

/** The probe's send job, now (its held attempt failed for good and keeps the id). */
export const requeueSendProbe = (queues: Queues, probeId: string, delay = 0) =>
  requeue(queues['send-probe'], jobIds.sendProbe(probeId), 'send', { probeId } satisfies SendProbeJob, delay);

/** Reminder `seq`'s job, now: the job works out when the reminder is due and waits until then. */
export const requeueReminder = (queues: Queues, probeId: string, seq: number, delay = 0) =>
  requeue(queues['send-reminder'], jobIds.sendReminder(probeId, seq), 'remind', { probeId, seq } satisfies SendReminderJob, delay);
