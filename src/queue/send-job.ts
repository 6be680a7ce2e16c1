/**
 * What the send-probe and send-reminder jobs wrap around their use case: waiting without
 * spending an attempt, judging a failure against the attempts left, and recording why a job
 * gave up.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { delayUntil, hoursAfter, type Timing } from '../clock.ts';
import { judgeSendFailure, type SendFailure } from '../flow/send-failure.ts';
import type { Logger } from '../logger.ts';

/** How long a job waits when another worker holds the send lock of its message. */
export const BUSY_WAIT_HOURS = 1 / 60;

/** A job being processed: what moving it back to the delayed set needs. */
export interface JobRun {
  job: Pick<Job, 'attemptsMade' | 'opts' | 'moveToDelayed'>;
  token: string | undefined;
}

/** Puts the job back to run in `delayMs` without spending an attempt (BullMQ's `DelayedError`). */
export async function waitThenRetry(run: JobRun, delayMs: number, reason: string): Promise<never> {
  await run.job.moveToDelayed(Date.now() + delayMs, run.token);
  throw new DelayedError(reason);
}

/** `waitThenRetry` until `at` on the worker's clock. */
export const waitUntil = (run: JobRun, at: Date, timing: Timing, reason: string): Promise<never> => waitThenRetry(run, delayUntil(at, timing), reason);

/** Another worker holds the message's send lock: look again in a minute. */
export const waitWhileBusy = (run: JobRun, timing: Timing, reason: string): Promise<never> =>
  waitUntil(run, hoursAfter(timing.now(), BUSY_WAIT_HOURS, timing), timing, reason);

export interface Failure extends SendFailure {
  /** No attempt will follow: permanent, or the last one allowed. */
  final: boolean;
  /** What the processor throws: `UnrecoverableError` for a permanent failure, so BullMQ stops. */
  rethrow: Error;
}

/** How a failed send attempt ends: retried with the queue's backoff, or given up. */
export function judgeFailure(err: unknown, job: Pick<Job, 'attemptsMade' | 'opts'>): Failure {
  const error = err instanceof Error ? err : new Error(String(err));
  const judged = judgeSendFailure(err);
  const permanent = judged.permanent || (!judged.mailboxFault && err instanceof UnrecoverableError);
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  return {
    ...judged,
    permanent,
    final: permanent || (!judged.mailboxFault && lastAttempt),
    rethrow: permanent && !(err instanceof UnrecoverableError) ? new UnrecoverableError(error.message) : error,
  };
}

/**
 * Records why a send job gave up, when this failure is its last, whatever the cause (a
 * database outage as much as an SMTP refusal), and gives the error the job throws. A failure
 * to record is only logged: the job's own failure is the one to report.
 */
export async function reportFailure(err: unknown, job: Pick<Job, 'attemptsMade' | 'opts'>, record: (reason: string) => Promise<void>, log: Logger): Promise<unknown> {
  if (err instanceof DelayedError) return err;
  const failure = judgeFailure(err, job);
  if (failure.final) await record(failure.reason).catch((recordErr: unknown) => log.error({ err: recordErr }, 'could not record why the job gave up'));
  log.warn({ err, final: failure.final }, 'not sent');
  return failure.rethrow;
}
