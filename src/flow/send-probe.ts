/**
 * Sending one planned probe at its time, at most once (see `deliver-once.ts`): claimed
 * `sending` with its Message-ID before the SMTP conversation, `sent` at the server's
 * acceptance, its outcome started, the campaign running. The caller (the send-probe job)
 * holds the probe's send lock, queues what follows and retries what failed.
 */
import { createHash } from 'node:crypto';
import { overdueSendTime } from '../audit/schedule.ts';
import { hoursAfter, type Timing } from '../clock.ts';
import { findCampaign, transitionCampaign, type Campaign } from '../db/campaigns.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { cancelPlannedProbe, claimProbe, findProbe, holdProbe, updateProbeStatus, type Probe } from '../db/probes.repo.ts';
import type { OutgoingMessage } from '../mail/smtp.ts';
import { deliverOnce, type DeliveryDeps, type SendingMailbox } from './deliver-once.ts';
import { recomputeOutcome } from './recompute-outcome.ts';
import { PermanentSendError } from './send-failure.ts';

/** How a send-probe job ended, for the job's return value and the logs. */
export type ProbeJobResult = 'sent' | 'recovered' | 'cancelled' | 'not-needed';

/**
 * What became of the probe: done; sent now or by an earlier attempt (`sentAt`: its first
 * reminder is to be queued); or to be tried again at `until`.
 */
export type ProbeSend =
  | { kind: 'done'; result: ProbeJobResult }
  | { kind: 'sent'; result: ProbeJobResult; campaign: Campaign; sentAt: Date }
  | { kind: 'wait'; until: Date; reason: string };

/**
 * A probe that runs this late after its time (an outage, a weekend of the worker down) is
 * not sent outside the send window: it waits for the window's next opening.
 */
export const OVERDUE_HOURS = 0.25;

/** Overdue probes leave spread over this many hours of the window's open time. */
export const OVERDUE_SPREAD_HOURS = 3;

export async function sendProbe(db: Queryable, probeId: string, deps: DeliveryDeps): Promise<ProbeSend> {
  const { timing, log } = deps;
  const probe = await findProbe(db, probeId);
  if (!probe || probe.channel !== 'email') return { kind: 'done', result: 'not-needed' };
  const campaign = (await findCampaign(db, probe.campaignId))!;
  // A retry after the probe went out finishes what that attempt left undone.
  if (probe.status === 'sent' && probe.sentAt) return afterSent(db, campaign, probe.sentAt, 'not-needed');
  if (probe.status !== 'planned' && probe.status !== 'sending') return { kind: 'done', result: 'not-needed' };
  if (campaign.status === 'closed' && probe.status === 'planned') {
    await cancelPlannedProbe(db, probe.id);
    return { kind: 'done', result: 'cancelled' };
  }
  if (probe.status === 'planned') {
    const at = sendTime(probe, campaign, timing);
    if (at > timing.now()) {
      log.info({ at }, 'overdue outside the send window: waiting for its next opening');
      return { kind: 'wait', until: at, reason: `probe ${probe.id} waits for the send window (${at.toISOString()})` };
    }
  }

  const delivery = await deliverOnce<Probe>(
    db,
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
      hold: (reason) => holdProbe(db, probe.id, reason),
      setback: (to, failure) =>
        updateProbeStatus(db, probe.id, { status: to === 'waiting' ? 'planned' : to, error: to === 'waiting' && failure.mailboxFault ? null : failure.reason, smtpResponse: failure.response }),
    },
    deps,
  );
  if (delivery.kind === 'taken') return { kind: 'done', result: 'not-needed' };
  if (delivery.kind === 'mailbox-fault') return { kind: 'wait', until: delivery.retryAt, reason: `mailbox fault: ${delivery.reason}` };
  return afterSent(db, campaign, delivery.sent.sentAt, delivery.sent.recovered ? 'recovered' : 'sent');
}

/**
 * When a planned probe may go out: now, unless it runs more than `OVERDUE_HOURS` late and
 * the campaign's send window is shut, then at the window's next opening. A probe on time
 * goes at its time, wherever it was put.
 */
function sendTime(probe: Probe, campaign: Campaign, timing: Timing): Date {
  const now = timing.now();
  if (!probe.scheduledAt || now < hoursAfter(probe.scheduledAt, OVERDUE_HOURS, timing)) return now;
  return overdueSendTime(now, campaign.sendWindow, campaign.timezone, spreadShare(probe.id), OVERDUE_SPREAD_HOURS * timing.msPerHour) ?? now;
}

/** A fixed share in [0, 1) per probe: where in the spread it leaves. */
function spreadShare(probeId: string): number {
  return createHash('sha256').update(probeId).digest().readUInt32BE(0) / 2 ** 32;
}

/** The campaign runs from its first probe out (idempotent). */
async function afterSent(db: Queryable, campaign: Campaign, sentAt: Date, result: ProbeJobResult): Promise<ProbeSend> {
  await transitionCampaign(db, campaign.id, ['scheduled'], 'running');
  return { kind: 'sent', result, campaign, sentAt };
}

/** The probe as planned, from the persona, with the Message-ID stored at the claim. */
function probeMessage(probe: Probe, mailbox: SendingMailbox, timing: Timing): OutgoingMessage {
  if (!probe.recipient) throw new PermanentSendError('the probe has no recipient');
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
