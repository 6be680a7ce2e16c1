/**
 * Sends held for an auditor: a probe or reminder whose attempt was interrupted and left no
 * copy in the Sent folder, so that nobody knows whether the brand got it. Find them with
 * `GET /v1/probes?held=true` and `GET /v1/reminders?held=true`; settle each one here once the
 * provider's sent log (or the brand) says what happened: `sent` at the time established,
 * `not_sent` (sent again now), or `failed`. Each resolution is kept with the key that made it.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { checkHeldResolution, isRefusal, type HeldResolutionRequest, type HeldSendContext } from '../audit/held-resolution.ts';
import { reminderSentEvent } from '../audit/webhook-events.ts';
import { findCampaign } from '../db/campaigns.repo.ts';
import { findProbe, type Probe } from '../db/probes.repo.ts';
import { findReminder, listSentReminders } from '../db/reminders.repo.ts';
import type { Pool } from '../db/pool.ts';
import { emitEvents } from '../flow/events.ts';
import { resolveHeldProbeSend, resolveHeldReminderSend, type Resolver } from '../flow/resolve-held-send.ts';
import type { Queues } from '../queue/queues.ts';
import { requeueReminder, requeueSendProbe } from '../queue/requeue.ts';
import { queueEventSink } from '../queue/webhooks.job.ts';
import { Reminder } from './campaign-lifecycle.routes.ts';
import { presentHeld } from './held-schema.ts';
import { presentProbe } from './probes.routes.ts';
import { ApiProblem, conflict, found, notFound } from './problem.ts';
import { Timestamp, Uuid, commonErrors } from './schemas.ts';

const ResolutionBody = Type.Object(
  {
    resolution: Type.Union([Type.Literal('sent'), Type.Literal('not_sent'), Type.Literal('failed')], {
      description: '"sent": it went out at `sentAt`; "not_sent": it did not, send it again now; "failed": give it up (say why in `note`)',
    }),
    sentAt: Type.Optional(Timestamp),
    note: Type.Optional(Type.String({ maxLength: 2000, description: "the auditor's note: where the answer was found; required for \"failed\"" })),
  },
  {
    additionalProperties: false,
    description: '`sentAt` (with "sent" only): the time the auditor established, e.g. from the provider\'s sent log; not in the future, not before the probe was created',
  },
);

const errors = { ...commonErrors, 503: Type.Ref('Problem') };
const auditor = { writeRole: 'auditor' as const };

export interface HeldSendsRouteOptions {
  pool: Pool;
  /** The job queues; absent when no queue is wired (a send again is then left to the reconciler). */
  queues?: Queues | undefined;
}

export const heldSendsRoutes: FastifyPluginAsyncTypebox<HeldSendsRouteOptions> = async (app, { pool, queues }) => {
  app.post(
    '/probes/:id/held-resolution',
    {
      config: auditor,
      schema: {
        tags: ['probes'],
        summary: 'Settle a probe held for an auditor (an interrupted send with no copy in the Sent folder): sent at a time, not sent (sent again now), or failed',
        params: Type.Object({ id: Uuid }),
        body: ResolutionBody,
        response: { 200: Type.Ref('Probe'), ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const probe = found(await findProbe(pool, id), 'probe', id);
      if (!probe.heldAt) throw conflict(`probe ${id} is not held for an auditor: it is ${probeState(probe)}; only a held probe (GET /v1/probes?held=true) can be settled`);
      const campaign = (await findCampaign(pool, probe.campaignId))!;
      const checked = check(request.body, { notBefore: probe.createdAt, notBeforeWhat: 'the probe was created', campaignClosed: campaign.status === 'closed' });
      const resolution = await resolveHeldProbeSend(pool, probe, checked, resolver(request), new Date());
      if (!resolution) throw conflict('the probe changed meanwhile (settled by someone else?): read it again');
      request.log.info({ probeId: id, resolution: resolution.resolution, by: resolution.resolvedBy.label }, 'held probe settled');
      // after the commit: the queues follow; should they fail, the reconciler finds the probe planned, or its reminder missing
      if (queues) {
        const next =
          resolution.resolution === 'not_sent'
            ? requeueSendProbe(queues, id)
            : resolution.resolution === 'sent' && campaign.status !== 'closed' && campaign.reminder.max >= 1
              ? requeueReminder(queues, id, 1)
              : null;
        await next?.catch((err: unknown) => request.log.warn({ err, probeId: id }, 'could not queue what follows the resolution; the reconciler will'));
      }
      return presentProbe(pool, (await findProbe(pool, id))!);
    },
  );

  app.post(
    '/probes/:id/reminders/:seq/held-resolution',
    {
      config: auditor,
      schema: {
        tags: ['reminders'],
        summary: 'Settle a reminder held for an auditor: sent at a time, not sent (sent again now), or failed',
        params: Type.Object({ id: Uuid, seq: Type.Integer({ minimum: 1 }) }),
        body: ResolutionBody,
        response: { 200: Reminder, ...errors },
      },
    },
    async (request) => {
      const { id, seq } = request.params;
      const probe = found(await findProbe(pool, id), 'probe', id);
      const reminder = await findReminder(pool, id, seq);
      if (!reminder) throw notFound('reminder', `${seq} of probe ${id}`);
      if (!reminder.heldAt) {
        throw conflict(`reminder ${seq} of probe ${id} is not held for an auditor: it is ${reminder.status}${reminder.sentAt ? ` (sent at ${reminder.sentAt.toISOString()})` : ''}; only a held reminder (GET /v1/reminders?held=true) can be settled`);
      }
      const campaign = (await findCampaign(pool, probe.campaignId))!;
      // it follows the probe, or the reminder before it
      const previous = seq === 1 ? null : (await listSentReminders(pool, id)).find((r) => r.seq === seq - 1);
      const context: HeldSendContext = previous?.sentAt
        ? { notBefore: previous.sentAt, notBeforeWhat: `reminder ${seq - 1} was sent`, campaignClosed: campaign.status === 'closed' }
        : { notBefore: probe.sentAt ?? probe.createdAt, notBeforeWhat: probe.sentAt ? 'the probe was sent' : 'the probe was created', campaignClosed: campaign.status === 'closed' };
      const checked = check(request.body, context);
      const resolution = await resolveHeldReminderSend(pool, { probeId: id, seq }, checked, resolver(request), new Date());
      if (!resolution) throw conflict('the reminder changed meanwhile (settled by someone else?): read it again');
      request.log.info({ probeId: id, seq, resolution: resolution.resolution, by: resolution.resolvedBy.label }, 'held reminder settled');
      if (queues) {
        const next =
          resolution.resolution === 'not_sent'
            ? requeueReminder(queues, id, seq)
            : resolution.resolution === 'sent' && campaign.status !== 'closed' && seq < campaign.reminder.max
              ? requeueReminder(queues, id, seq + 1)
              : null;
        await next?.catch((err: unknown) => request.log.warn({ err, probeId: id, seq }, 'could not queue what follows the resolution; the reconciler will'));
        if (resolution.resolution === 'sent') await emitReminderSent(queues, probe, seq, resolution.sentAt!, request.log);
      }
      const settled = (await findReminder(pool, id, seq))!;
      return { ...settled, ...presentHeld(settled, resolution), campaignId: probe.campaignId, channel: probe.channel };
    },
  );
};

function check(body: HeldResolutionRequest, context: HeldSendContext) {
  const checked = checkHeldResolution(body, context, new Date());
  if (!isRefusal(checked)) return checked;
  const title = { 400: 'Bad Request', 409: 'Conflict', 422: 'Unprocessable Content' }[checked.status];
  throw new ApiProblem(checked.status, title, checked.detail, { errors: checked.errors });
}

const resolver = (request: FastifyRequest): Resolver => ({ keyId: request.caller?.keyId ?? null, label: request.caller?.label ?? 'unknown' });

function probeState(probe: Probe): string {
  if (probe.status === 'sent' && probe.sentAt) return `sent (at ${probe.sentAt.toISOString()})`;
  if (probe.status === 'sending') return 'sending (an attempt under way, not held)';
  return probe.status;
}

async function emitReminderSent(queues: Queues, probe: Probe, seq: number, sentAt: Date, log: FastifyBaseLogger): Promise<void> {
  await emitEvents(queueEventSink(queues.webhooks), [reminderSentEvent({ ...probe, probeId: probe.id }, seq, sentAt)], log);
}
