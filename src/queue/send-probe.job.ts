/**
 * Sends one planned probe at its time, at most once (see `delivery.ts`): claimed `sending`
 * with its Message-ID before the SMTP conversation, `sent` at the server's acceptance, a copy
 * in the Sent folder, the first reminder queued. Temporary failures retry with the queue's
 * backoff; a permanent one marks the probe `failed` with the server's reply.
 */
import { UnrecoverableError, type Processor } from 'bullmq';
import { nextSendTime } from '../audit/schedule.ts';
import { withAdvisoryLock } from '../db/advisory-lock.ts';
import { type Campaign, findCampaign, transitionCampaign } from '../db/campaigns.repo.ts';
import { cancelPlannedProbe, claimProbe, failProbe, findProbe, type Probe, updateProbeStatus } from '../db/probes.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { recomputeOutcome } from '../flow/recompute-outcome.ts';
import type { Logger } from '../logger.ts';
import type { OutgoingMessage } from '../mail/smtp.ts';
import {
  BUSY_WAIT_HOURS,
  SYSTEM_TIMING,
  delayUntil,
  deliverOnce,
  hoursAfter,
  recordFinalFailure,
  waitThenRetry,
  type JobRun,
  type SendingMailbox,
  type Timing,
} from './delivery.ts';
import type { ProcessorDeps } from './processors.ts';
import { jobIds, type Queues, type SendProbeJob } from './queues.ts';
import { scheduleFirstReminder } from './send-reminder.job.ts';

/** How a send-probe job ended, for the job's return value and the logs. */
export type ProbeJobResult = 'sent' | 'recovered' | 'cancelled' | 'not-needed';

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

/**
 * A probe that runs this late after its time (an outage, a weekend of the worker down) is
 * not sent outside the send window: it waits for the window's next opening.
 */
export const OVERDUE_HOURS = 0.25;

export function sendProbeProcessor(deps: ProcessorDeps, timing: Timing = SYSTEM_TIMING): Processor<SendProbeJob, ProbeJobResult> {
  return async (job, token) => {
    const { probeId } = job.data;
    const log = deps.logger.child({ queue: 'send-probe', probeId });
    const run: JobRun = { job, token };
    try {
      const done = await withAdvisoryLock(deps.pool, `probe:${probeId}`, (db) => sendProbe(db, probeId, run, deps, timing, log));
      // Another worker is sending it: look again in a minute, without spending an attempt.
      if (!done.locked) return await waitThenRetry(run, delayUntil(hoursAfter(timing.now(), BUSY_WAIT_HOURS, timing), timing), `probe ${probeId} is being sent by another worker`);
      log.info({ result: done.value }, 'send-probe job done');
      return done.value;
    } catch (err) {
      await recordFinalFailure(err, job, (reason) => failProbe(deps.pool, probeId, reason), log);
      throw err;
    }
  };
}

async function sendProbe(db: Queryable, probeId: string, run: JobRun, deps: ProcessorDeps, timing: Timing, log: Logger): Promise<ProbeJobResult> {
  const probe = await findProbe(db, probeId);
  if (!probe || probe.channel !== 'email') return 'not-needed';
  const campaign = (await findCampaign(db, probe.campaignId))!;
  // A retry after the probe went out finishes what that attempt left undone.
  if (probe.status === 'sent' && probe.sentAt) {
    await afterSent(db, deps.queues, campaign, probe.id, probe.sentAt, timing);
    return 'not-needed';
  }
  if (probe.status !== 'planned' && probe.status !== 'sending') return 'not-needed';
  if (campaign.status === 'closed' && probe.status === 'planned') {
    await cancelPlannedProbe(db, probe.id);
    return 'cancelled';
  }
  if (probe.status === 'planned') {
    const at = sendTime(probe, campaign, timing);
    if (at > timing.now()) {
      log.info({ at }, 'overdue outside the send window: waiting for its next opening');
      return waitThenRetry(run, delayUntil(at, timing), `probe ${probe.id} waits for the send window (${at.toISOString()})`);
    }
  }

  const sent = await deliverOnce<Probe>(
    db,
    deps.secretBox,
    {
      mailboxId: probe.mailboxId,
      personaAddress: probe.personaAddress,
      resumed: probe.status === 'sending' ? probe : null,
      claim: (messageId) => claimProbe(db, probe.id, messageId),
      compose: async (claimed, mailbox) => probeMessage(claimed, mailbox, timing),
      record: async (accepted) => {
        await updateProbeStatus(db, probe.id, { status: 'sent', sentAt: accepted.sentAt, smtpResponse: accepted.response });
        // unanswered from now on, until a reply says otherwise
        await recomputeOutcome(db, probe.id);
      },
      setback: (to, failure) =>
        updateProbeStatus(db, probe.id, { status: to === 'waiting' ? 'planned' : to, error: to === 'waiting' && failure.mailboxFault ? null : failure.reason, smtpResponse: failure.response }),
    },
    run,
    timing,
    log,
  );
  if (!sent) return 'not-needed';
  await afterSent(db, deps.queues, campaign, probe.id, sent.sentAt, timing);
  return sent.recovered ? 'recovered' : 'sent';
}

/**
 * When a planned probe may go out: now, unless it runs more than `OVERDUE_HOURS` late and
 * the campaign's send window is shut, then at the window's next opening. A probe on time
 * goes at its time, wherever it was put.
 */
function sendTime(probe: Probe, campaign: Campaign, timing: Timing): Date {
  const now = timing.now();
  if (!probe.scheduledAt || now < hoursAfter(probe.scheduledAt, OVERDUE_HOURS, timing)) return now;
  return nextSendTime(now, campaign.sendWindow, campaign.timezone) ?? now;
}

/** The campaign runs from its first probe out; the probe's first reminder waits its hours. Both idempotent. */
async function afterSent(db: Queryable, queues: Queues, campaign: Campaign, probeId: string, sentAt: Date, timing: Timing): Promise<void> {
  await transitionCampaign(db, campaign.id, ['scheduled'], 'running');
  await scheduleFirstReminder(queues, campaign, { id: probeId, sentAt }, timing);
}

/** The probe as planned, from the persona, with the Message-ID stored at the claim. */
function probeMessage(probe: Probe, mailbox: SendingMailbox, timing: Timing): OutgoingMessage {
  if (!probe.recipient) throw new UnrecoverableError('the probe has no recipient');
  return {
    from: { name: `${mailbox.persona.firstName} ${mailbox.persona.lastName}`, address: probe.personaAddress ?? mailbox.address },
    to: probe.recipient,
    subject: probe.subject ?? '',
    text: probe.body ?? '',
    messageId: probe.messageId!,
    date: timing.now(),
    envelopeFrom: mailbox.address,
  };
}
