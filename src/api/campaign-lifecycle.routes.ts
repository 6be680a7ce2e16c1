/**
 * A campaign's life after its draft: `schedule` (draft → scheduled; the worker plans and
 * queues its probes, and it runs from the first probe out), `close` (outcomes frozen, what
 * was still to be sent cancelled), `reopen` (late replies count again). And the reminders of
 * web-form probes, which an auditor sends by hand and confirms here.
 */
import { campaignClosedEvent, reminderSentEvent } from '../audit/webhook-events.ts';
import type { WebhookEvent } from '../audit/webhook-payload.ts';
import { emitEvents, type WarnLogger } from '../flow/events.ts';
import { queueEventSink } from '../queue/webhooks.job.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PlanError } from '../audit/plan-error.ts';
import { probeAddress } from '../audit/schedule.ts';
import { unknownPlaceholders } from '../audit/probe-template.ts';
import { type Campaign, closeCampaign, findCampaign, campaignPlanState, loadPlanInputs, reopenCampaign, transitionCampaign } from '../db/campaigns.repo.ts';
import { confirmReminder, findReminder, listReminders, type ReminderStatus } from '../db/reminders.repo.ts';
import { findProbe, listSentProbeIds } from '../db/probes.repo.ts';
import { withTransaction, type Queryable } from '../db/pool.ts';
import { findOutcome } from '../db/outcomes.repo.ts';
import { recomputeOutcome } from '../flow/recompute-outcome.ts';
import { planFor } from '../flow/plan-campaign.ts';
import { requestCampaignSchedule } from '../queue/campaign.job.ts';
import type { Queues } from '../queue/queues.ts';
import { remindedByHand } from '../flow/send-reminder.ts';
import { requestReminder } from '../queue/send-reminder.job.ts';
import { ApiProblem, conflict, found, notFound, unprocessable, type FieldError } from './problem.ts';
import { IdParams, Nullable, Page, PageQuery, Timestamp, Uuid, commonErrors } from './schemas.ts';
import { heldFields, presentHeld } from './held-schema.ts';
import { latestResolutions, listHeldResolutions, resolutionKey } from '../db/held-sends.repo.ts';
import type { Pool } from '../db/pool.ts';

const ReminderStatusSchema = Type.Union(['due', 'sending', 'sent', 'cancelled', 'failed'].map((s) => Type.Literal(s)));
export const Reminder = Type.Object({
  id: Uuid,
  probeId: Uuid,
  campaignId: Uuid,
  channel: Type.Union([Type.Literal('email'), Type.Literal('webform')]),
  seq: Type.Integer({ minimum: 1, description: '1 for the first reminder of the probe' }),
  dueAt: Timestamp,
  sentAt: Nullable(Timestamp),
  messageId: Nullable(Type.String()),
  status: ReminderStatusSchema,
  error: Nullable(Type.String()),
  ...heldFields,
  createdAt: Timestamp,
});

const errors = { ...commonErrors, 503: Type.Ref('Problem') };
const auditor = { writeRole: 'auditor' as const };

/** What the routes read. */
export interface CampaignLifecycleRouteOptions {
  pool: Pool;
  /** The job queues; absent when no queue is wired. */
  queues?: Queues | undefined;
}

export const campaignLifecycleRoutes: FastifyPluginAsyncTypebox<CampaignLifecycleRouteOptions> = async (app, { pool, queues: wired }) => {
  // webhook events: enqueued only, a queue outage is logged and never fails the request
  const events = wired ? queueEventSink(wired.webhooks) : undefined;
  const emit = (list: WebhookEvent[], log: WarnLogger) => emitEvents(events, list, log);

  app.post(
    '/campaigns/:id/schedule',
    {
      config: auditor,
      schema: {
        tags: ['campaigns'],
        summary: 'Schedule a draft campaign: its probes are planned over the period and sent at their times',
        params: IdParams,
        response: { 200: Type.Ref('Campaign'), ...errors },
      },
    },
    async (request) => {
      const id = request.params.id;
      const campaign = found(await findCampaign(pool, id), 'campaign', id);
      // a campaign runs from its first sent probe, web-form ones included: one running on declared probes alone may still be planned
      const state = campaign.status === 'running' ? await campaignPlanState(pool, id) : null;
      const unplannedRunning = state !== null && !state.planned && state.sentProbes;
      if (campaign.status !== 'draft' && !unplannedRunning) throw conflict(`the campaign is ${campaign.status}: only a draft campaign can be scheduled`);
      const problems = await schedulingProblems(pool, campaign, new Date());
      if (problems.length > 0) throw unprocessable(`the campaign cannot be scheduled: ${problems.map((p) => p.message).join('; ')}`, problems);
      const queues = requireQueues(wired);
      if (!unplannedRunning && !(await transitionCampaign(pool, id, ['draft'], 'scheduled'))) throw conflict('the campaign changed meanwhile: read it again');
      try {
        await requestCampaignSchedule(queues, id);
      } catch (err) {
        if (!unplannedRunning) await transitionCampaign(pool, id, ['scheduled'], 'draft');
        request.log.error({ err }, 'could not queue the campaign schedule');
        throw new ApiProblem(503, 'Service Unavailable', 'the job queue is unreachable: the campaign stays a draft; try again');
      }
      return (await findCampaign(pool, id))!;
    },
  );

  app.post(
    '/campaigns/:id/close',
    {
      config: auditor,
      schema: {
        tags: ['campaigns'],
        summary: 'Close a campaign: outcomes are frozen, probes and reminders not yet sent are cancelled',
        params: IdParams,
        response: { 200: Type.Ref('Campaign'), ...errors },
      },
    },
    async (request) => {
      const id = request.params.id;
      const campaign = found(await findCampaign(pool, id), 'campaign', id);
      if (campaign.status === 'closed') throw conflict(`the campaign is already closed (since ${campaign.closedAt?.toISOString()})`);
      if (campaign.status === 'draft') throw conflict('the campaign is a draft: it has nothing to close; schedule it, or delete it');
      const closedAt = new Date();
      const closed = await withTransaction(pool, (tx) => closeCampaign(tx, id, closedAt));
      if (!closed) throw conflict('the campaign changed meanwhile: read it again');
      await emit([campaignClosedEvent({ id, status: 'closed', closedAt })], request.log);
      return (await findCampaign(pool, id))!;
    },
  );

  app.post(
    '/campaigns/:id/reopen',
    {
      config: auditor,
      schema: {
        tags: ['campaigns'],
        summary: 'Reopen a closed campaign: its outcomes thaw, and replies that came after closing count again',
        params: IdParams,
        response: { 200: Type.Ref('Campaign'), ...errors },
      },
    },
    async (request) => {
      const id = request.params.id;
      const campaign = found(await findCampaign(pool, id), 'campaign', id);
      if (campaign.status !== 'closed') throw conflict(`the campaign is ${campaign.status}: only a closed campaign can be reopened`);
      await withTransaction(pool, async (tx) => {
        if (!(await reopenCampaign(tx, id))) throw conflict('the campaign changed meanwhile: read it again');
        for (const probeId of await listSentProbeIds(tx, id)) await recomputeOutcome(tx, probeId);
      });
      return (await findCampaign(pool, id))!;
    },
  );

  app.get(
    '/reminders',
    {
      schema: {
        tags: ['reminders'],
        summary: 'Reminders ("relances"); `?status=due&channel=webform` lists those an auditor has to send by hand',
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(ReminderStatusSchema),
          campaignId: Type.Optional(Uuid),
          probeId: Type.Optional(Uuid),
          channel: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('webform')])),
          held: Type.Optional(Type.Boolean({ description: 'true: only the reminders held for an auditor (to settle with POST /v1/probes/:id/reminders/:seq/held-resolution); false: none of them' })),
        }),
        response: { 200: Page(Reminder), ...commonErrors },
      },
    },
    async (request) => {
      const { status, campaignId, probeId, channel, held } = request.query;
      const page = await listReminders(pool, request.query, { status: status as ReminderStatus | undefined, campaignId, probeId, channel, held });
      const latest = latestResolutions(await listHeldResolutions(pool, [...new Set(page.items.map((r) => r.probeId))]));
      return { ...page, items: page.items.map((r) => ({ ...r, ...presentHeld(r, latest.get(resolutionKey(r.probeId, r.seq))) })) };
    },
  );

  app.post(
    '/probes/:id/reminders/:seq/confirm',
    {
      config: auditor,
      schema: {
        tags: ['reminders'],
        summary: "Confirm a reminder sent by hand (a web-form probe's, or an e-mail probe's declared without recipient or subject)",
        params: Type.Object({ id: Uuid, seq: Type.Integer({ minimum: 1 }) }),
        // no body at all confirms it as sent now
        body: Type.Union([
          Type.Object({ sentAt: Type.Optional(Timestamp) }, { additionalProperties: false, description: 'sentAt: when it was sent through the web form; now when absent' }),
          Type.Null(),
        ]),
        response: { 200: Reminder, ...errors },
      },
    },
    async (request) => {
      const { id, seq } = request.params;
      const probe = found(await findProbe(pool, id), 'probe', id);
      const reminder = await findReminder(pool, id, seq);
      if (!reminder) throw notFound('reminder', `${seq} of probe ${id}`);
      if (!remindedByHand(probe)) throw conflict('the service sends the reminders of this e-mail probe itself: there is nothing to confirm');
      if (reminder.status === 'cancelled') {
        const outcome = await findOutcome(pool, id);
        if (outcome?.answeredAt) throw conflict(`the brand answered at ${outcome.answeredAt.toISOString()}: reminder ${seq} was cancelled and must not be sent`);
      }
      if (reminder.status !== 'due') {
        throw conflict(`reminder ${seq} is ${reminder.status}${reminder.sentAt ? ` (sent at ${reminder.sentAt.toISOString()})` : ''}: only a due reminder can be confirmed`);
      }
      const sentAt = request.body?.sentAt ? new Date(request.body.sentAt) : new Date();
      if (sentAt.getTime() > Date.now() + 5 * 60_000) throw unprocessable('body/sentAt is in the future', [{ field: 'body/sentAt', message: 'is in the future' }]);
      if (probe.sentAt && sentAt < probe.sentAt) throw unprocessable('body/sentAt comes before the probe itself', [{ field: 'body/sentAt', message: 'must come after the probe was sent' }]);
      const campaign = (await findCampaign(pool, probe.campaignId))!;
      const more = seq < campaign.reminder.max && campaign.status !== 'closed';
      const queues = more ? requireQueues(wired) : null;

      const confirmed = await withTransaction(pool, async (tx) => {
        const row = await confirmReminder(tx, id, seq, sentAt);
        if (!row) throw conflict('the reminder changed meanwhile: read it again');
        await recomputeOutcome(tx, id);
        return row;
      });
      if (queues) await requestReminder(queues, id, seq + 1);
      await emit([reminderSentEvent({ ...probe, probeId: probe.id }, seq, sentAt)], request.log);
      return { ...confirmed, ...presentHeld(confirmed, undefined), campaignId: probe.campaignId, channel: probe.channel };
    },
  );
};

function requireQueues(queues: Queues | undefined): Queues {
  if (!queues) throw new ApiProblem(503, 'Service Unavailable', 'no job queue is wired to this API process');
  return queues;
}

/**
 * Everything that would stop the campaign from running, each naming what to fix: what it
 * lacks, mailboxes that cannot send, brands it cannot write to, placeholders no persona
 * fills, and a window that never opens in the period.
 */
async function schedulingProblems(db: Queryable, campaign: Campaign, now: Date): Promise<FieldError[]> {
  const problems: FieldError[] = [];
  const add = (field: string, message: string) => problems.push({ field: `campaign/${field}`, message });
  const inputs = await loadPlanInputs(db, campaign.id);
  if (inputs.brands.length === 0) add('brandIds', 'the campaign has no brand');
  if (inputs.scenarios.length === 0) add('scenarioIds', 'the campaign has no scenario');
  if (inputs.mailboxes.length === 0) add('mailboxIds', 'the campaign has no mailbox');
  if (campaign.probesPerBrand < 1) add('probesPerBrand', 'is 0: the campaign would send nothing');
  if (!campaign.startsAt) add('startsAt', 'is needed to plan the probes');
  if (!campaign.endsAt) add('endsAt', 'is needed to plan the probes');
  else if (campaign.endsAt <= now) add('endsAt', `has passed (${campaign.endsAt.toISOString()})`);
  for (const mailbox of inputs.mailboxes) {
    if (!mailbox.smtpConfigured) add('mailboxIds', `mailbox "${mailbox.label}" (${mailbox.address}) has no SMTP settings`);
    if (mailbox.probeAddressPattern) {
      try {
        probeAddress(mailbox.probeAddressPattern, 'ab12');
      } catch (err) {
        add('mailboxIds', `mailbox "${mailbox.label}": ${(err as Error).message}`);
      }
    }
  }
  for (const brand of inputs.brands) {
    if (brand.contactAddresses.length === 0) add('brandIds', `brand "${brand.name}" has no contact address to send probes to`);
  }
  for (const scenario of inputs.scenarios) {
    const texts = { subject: scenario.subject, body: scenario.body, reminderBody: scenario.reminderBody ?? '' };
    for (const [field, text] of Object.entries(texts)) {
      for (const name of unknownPlaceholders(text)) {
        add('scenarioIds', `scenario "${scenario.name}": unknown placeholder {{${name}}} in its ${field}`);
      }
    }
  }
  if (problems.length > 0) return problems;
  try {
    if ((await planFor(db, campaign, now)).length === 0) add('probesPerBrand', 'the plan holds no probe');
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    add('sendWindow', err.message);
  }
  return problems;
}
