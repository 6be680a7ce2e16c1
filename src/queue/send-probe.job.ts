/**
 * Sends one planned probe at its time, at most once (see `delivery.ts`): claimed `sending`
 * with its Message-ID before the SMTP conversation, `sent` at the server's acceptance, a copy
 * in the Sent folder, the first reminder queued. Temporary failures retry with the queue's
 * backoff; a permanent one marks the probe `failed` with the server's reply.
 */
import { UnrecoverableError, type Processor } from 'bullmq';
import { cancelPlannedProbe, claimProbe, transitionCampaign, withAdvisoryLock } from '../db/campaign-schedule.repo.ts';
import { findCampaign, type Campaign } from '../db/campaigns.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { findProbe, updateProbeStatus, type Probe } from '../db/probes.repo.ts';
import { recomputeOutcome } from '../flow/recompute-outcome.ts';
import type { Logger } from '../logger.ts';
import type { OutgoingMessage } from '../mail/smtp.ts';
import {
  SYSTEM_TIMING,
  SendInProgressError,
  delayUntil,
  inTransaction,
  judgeFailure,
  newMessageId,
  sendOnce,
  sendingMailbox,
  type SendingMailbox,
  type Sent,
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

export function sendProbeProcessor(deps: ProcessorDeps, timing: Timing = SYSTEM_TIMING): Processor<SendProbeJob, ProbeJobResult> {
  return async (job) => {
    const { probeId } = job.data;
    const log = deps.logger.child({ queue: 'send-probe', probeId });
    const run = await withAdvisoryLock(deps.pool, `probe:${probeId}`, (db) => sendProbe(db, job, deps, timing, log));
    if (!run.locked) throw new SendInProgressError(`probe ${probeId} is being sent by another worker`);
    log.info({ result: run.value }, 'send-probe job done');
    return run.value;
  };
}

type ProbeJobContext = Parameters<Processor<SendProbeJob>>[0];

async function sendProbe(db: Queryable, job: ProbeJobContext, deps: ProcessorDeps, timing: Timing, log: Logger): Promise<ProbeJobResult> {
  const probe = await findProbe(db, job.data.probeId);
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

  let claimed: Probe | null = null;
  let sent: Sent;
  try {
    const mailbox = await sendingMailbox(db, deps.secretBox, probe.mailboxId);
    const resumed = probe.status === 'sending';
    claimed = resumed ? probe : await claimProbe(db, probe.id, newMessageId(probe.personaAddress ?? mailbox.address));
    if (!claimed) return 'not-needed';
    sent = await sendOnce({ message: probeMessage(claimed, mailbox, timing), mailbox, resumed }, timing, log);
  } catch (err) {
    const failure = judgeFailure(err, job);
    if (claimed || failure.final) {
      const status = failure.final ? 'failed' : failure.refused ? 'planned' : 'sending';
      await updateProbeStatus(db, probe.id, { status, error: failure.reason, smtpResponse: failure.response });
    }
    log.warn({ err, final: failure.final }, 'probe not sent');
    throw failure.rethrow;
  }
  // Should this fail, the probe stays `sending` and the next attempt finds the Sent copy.
  await inTransaction(db, async () => {
    await updateProbeStatus(db, probe.id, { status: 'sent', sentAt: sent.sentAt, smtpResponse: sent.response });
    // unanswered from now on, until a reply says otherwise
    await recomputeOutcome(db, probe.id);
  });
  await afterSent(db, deps.queues, campaign, probe.id, sent.sentAt, timing);
  return sent.recovered ? 'recovered' : 'sent';
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
