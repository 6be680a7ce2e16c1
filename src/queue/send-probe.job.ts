/**
 * The send-probe job: the probe's send lock, retries and reports around `flow/send-probe.ts`,
 * then the probe's first reminder queued. Temporary failures retry with the queue's backoff;
 * a permanent one marks the probe `failed` with the server's reply.
 */
import { queueEventSink } from './webhooks.job.ts';
import type { Processor } from 'bullmq';
import { SYSTEM_TIMING, delayUntil, type Timing } from '../clock.ts';
import { withAdvisoryLock } from '../db/advisory-lock.ts';
import type { Pool } from '../db/pool.ts';
import { failProbe } from '../db/probes.repo.ts';
import type { MailTransport } from '../flow/deliver-once.ts';
import { sendProbe, type ProbeJobResult } from '../flow/send-probe.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../secrets.ts';
import { jobIds, type Queues, type SendProbeJob } from './queues.ts';
import { reportFailure, waitUntil, waitWhileBusy, type JobRun } from './send-job.ts';
import { scheduleFirstReminder } from './send-reminder.job.ts';

export type { ProbeJobResult };

/** What the send-probe job reads. */
export interface SendProbeJobDeps {
  pool: Pool;
  /** Where the send lock takes its connection, held through the whole SMTP and IMAP exchange; `pool` when absent. */
  lockPool?: Pool | undefined;
  queues: Queues;
  secretBox: SecretBox;
  logger: Logger;
  /** The SMTP and IMAP servers; tests put fakes in their place. */
  transport?: MailTransport | undefined;
}

const BULK = 500;

/**
 * Queues the send jobs of planned probes, each delayed to its time (now when it has none).
 * Idempotent: one job per probe.
 */
export async function enqueueSendProbes(
  queues: Queues,
  probes: ReadonlyArray<{ id: string; scheduledAt: Date | null }>,
  timing: Timing = SYSTEM_TIMING,
): Promise<void> {
  for (let start = 0; start < probes.length; start += BULK) {
    await queues['send-probe'].addBulk(
      probes.slice(start, start + BULK).map((probe) => ({
        name: 'send',
        data: { probeId: probe.id } satisfies SendProbeJob,
        opts: { jobId: jobIds.sendProbe(probe.id), delay: probe.scheduledAt ? delayUntil(probe.scheduledAt, timing) : 0 },
      })),
    );
  }
}

export function sendProbeProcessor(deps: SendProbeJobDeps, timing: Timing = SYSTEM_TIMING): Processor<SendProbeJob, ProbeJobResult> {
  return async (job, token) => {
    const { probeId } = job.data;
    const log = deps.logger.child({ queue: 'send-probe', probeId });
    const run: JobRun = { job, token };
    try {
      const done = await withAdvisoryLock(deps.lockPool ?? deps.pool, `probe:${probeId}`, (db) =>
        sendProbe(db, probeId, { secretBox: deps.secretBox, timing, log, transport: deps.transport, events: queueEventSink(deps.queues.webhooks) }),
      );
      // Another worker is sending it: look again in a minute, without spending an attempt.
      if (!done.locked) return await waitWhileBusy(run, timing, `probe ${probeId} is being sent by another worker`);
      const send = done.value;
      if (send.kind === 'wait') return await waitUntil(run, send.until, timing, send.reason);
      if (send.kind === 'sent') await scheduleFirstReminder(deps.queues, send.campaign, { id: probeId, sentAt: send.sentAt }, timing);
      log.info({ result: send.result }, 'send-probe job done');
      return send.result;
    } catch (err) {
      throw await reportFailure(err, job, (reason) => failProbe(deps.pool, probeId, reason), log);
    }
  };
}
