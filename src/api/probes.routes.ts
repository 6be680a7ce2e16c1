/**
 * Probes. `POST` declares a probe: a web-form probe sent by hand (`channel: "webform"`
 * with its `sentAt`), or an e-mail probe either sent outside the service (with
 * `sentAt` and its `messageId`) or planned for the service to send (`scheduledAt`).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findCampaign, transitionCampaign } from '../db/campaigns.repo.ts';
import { findOutcome, findOutcomes } from '../db/outcomes.repo.ts';
import { findMailbox } from '../db/mailboxes.repo.ts';
import { findProbe, insertProbe, listProbes, type Probe as ProbeRecord, type ProbeStatus } from '../db/probes.repo.ts';
import { listMessages } from '../db/messages.repo.ts';
import { findReplyFigures } from '../db/reply-views.repo.ts';
import { roundHours } from '../audit/timing.ts';
import { withTransaction } from '../db/pool.ts';
import { recomputeOutcome } from '../flow/recompute-outcome.ts';
import { enqueueSendProbes } from '../queue/send-probe.job.ts';
import { requestReminder } from '../queue/send-reminder.job.ts';
import { presentOutcome } from './outcome-schema.ts';
import { heldFields, presentHeld } from './held-schema.ts';
import { latestResolutions, listHeldResolutions } from '../db/held-sends.repo.ts';
import { found, unprocessable } from './problem.ts';
import { Email, IdParams, Nullable, Page, PageQuery, Timestamp, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';
import type { Queues } from '../queue/queues.ts';

const Channel = Type.Union([Type.Literal('email'), Type.Literal('webform')]);
const Status = Type.Union(['planned', 'sending', 'sent', 'failed', 'cancelled'].map((s) => Type.Literal(s)));

const ProbeReply = Type.Object({
  id: Uuid,
  kind: Type.String(),
  from: Nullable(Type.String()),
  subject: Nullable(Type.String()),
  receivedAt: Timestamp,
  delayHours: Nullable(Type.Number()),
  businessDelayHours: Nullable(Type.Number()),
  late: Type.Boolean(),
});

export const Probe = Type.Object(
  {
    id: Uuid,
    campaignId: Uuid,
    brandId: Uuid,
    scenarioId: Nullable(Uuid),
    mailboxId: Uuid,
    channel: Channel,
    recipient: Nullable(Type.String()),
    personaAddress: Nullable(Type.String()),
    subject: Nullable(Type.String()),
    body: Nullable(Type.String()),
    messageId: Nullable(Type.String()),
    scheduledAt: Nullable(Timestamp),
    sentAt: Nullable(Timestamp),
    status: Status,
    error: Nullable(Type.String()),
    ...heldFields,
    outcome: Nullable(Type.Ref('Outcome')),
    replies: Type.Optional(Type.Array(ProbeReply)),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Probe' },
);

const ProbeInput = Type.Object(
  {
    campaignId: Uuid,
    brandId: Uuid,
    mailboxId: Uuid,
    scenarioId: Type.Optional(Nullable(Uuid)),
    channel: Channel,
    recipient: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: "the brand's address, or the web form's URL" })),
    personaAddress: Type.Optional(Email),
    subject: Type.Optional(Type.String({ maxLength: 500 })),
    body: Type.Optional(Type.String({ maxLength: 50_000 })),
    messageId: Type.Optional(Type.String({ minLength: 3, maxLength: 998, description: 'Message-ID of an e-mail probe sent outside the service' })),
    sentAt: Type.Optional(Timestamp),
    scheduledAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

const tags = ['probes'];

/** What the routes read. */
export interface ProbesRouteOptions {
  pool: Pool;
  /** The job queues; absent when no queue is wired. */
  queues?: Queues | undefined;
}

export const probesRoutes: FastifyPluginAsyncTypebox<ProbesRouteOptions> = async (app, { pool, queues }) => {
  const db = pool;

  app.get(
    '/probes',
    {
      schema: {
        tags,
        querystring: Type.Object({
          ...PageQuery,
          campaignId: Type.Optional(Uuid),
          brandId: Type.Optional(Uuid),
          mailboxId: Type.Optional(Uuid),
          status: Type.Optional(Status),
          held: Type.Optional(Type.Boolean({ description: 'true: only the probes held for an auditor (to settle with POST /v1/probes/:id/held-resolution); false: none of them' })),
        }),
        response: { 200: Page(Type.Ref('Probe')), ...commonErrors },
      },
    },
    async (request) => {
      const { campaignId, brandId, mailboxId, status, held } = request.query;
      const page = await listProbes(db, request.query, { campaignId, brandId, mailboxId, status: status as ProbeStatus | undefined, held });
      const ids = page.items.map((p) => p.id);
      const [outcomes, resolutions] = await Promise.all([findOutcomes(db, ids), listHeldResolutions(db, ids)]);
      const latest = latestResolutions(resolutions.filter((r) => r.reminderSeq === null));
      return {
        ...page,
        items: page.items.map((p) => {
          const outcome = outcomes.get(p.id);
          return { ...p, ...presentHeld(p, latest.get(p.id)), outcome: outcome ? presentOutcome(outcome) : null };
        }),
      };
    },
  );

  app.post('/probes', { config: { writeRole: 'auditor' }, schema: { tags, body: ProbeInput, response: { 201: Type.Ref('Probe'), ...commonErrors } } }, async (request, reply) => {
    const b = request.body;
    const errors = [];
    if (b.channel === 'webform' && !b.sentAt) errors.push({ field: 'body/sentAt', message: 'a web-form probe is declared with the time it was sent' });
    if (b.channel === 'webform' && b.messageId) errors.push({ field: 'body/messageId', message: 'a web-form probe has no Message-ID' });
    if (b.channel === 'email' && !b.sentAt && !b.scheduledAt) errors.push({ field: 'body/sentAt', message: 'give sentAt (sent outside the service) or scheduledAt (for the service to send)' });
    if (b.channel === 'email' && b.sentAt && !b.messageId) errors.push({ field: 'body/messageId', message: 'an e-mail probe sent outside the service needs its Message-ID, which threads the answers to it' });
    if (b.sentAt && new Date(b.sentAt).getTime() > Date.now() + 5 * 60_000) errors.push({ field: 'body/sentAt', message: 'is in the future' });
    if (b.channel === 'email' && !b.sentAt) {
      for (const field of ['recipient', 'subject', 'body'] as const) {
        if (!b[field]) errors.push({ field: `body/${field}`, message: 'is needed for the service to send the probe' });
      }
    }

    if (errors.length) throw unprocessable(errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
    if (b.channel === 'email' && !b.sentAt) {
      // the service sends only for a campaign that runs: a draft's plan is not made yet
      const campaign = await findCampaign(db, b.campaignId);
      if (campaign && campaign.status !== 'scheduled' && campaign.status !== 'running') {
        throw unprocessable(`campaignId ${b.campaignId}: the campaign is ${campaign.status}; the service sends probes of a scheduled or running campaign only`, [
          { field: 'body/campaignId', message: `the campaign is ${campaign.status}: schedule it first` },
        ]);
      }
    }
    const mailbox = await findMailbox(db, b.mailboxId);
    if (!mailbox) throw unprocessable(`mailboxId ${b.mailboxId} does not exist`, [{ field: 'body/mailboxId', message: 'no mailbox has this id' }]);
    const sent = Boolean(b.sentAt);
    // a sent probe has an outcome from the start: unanswered until a reply says otherwise
    const probe = await withTransaction(db, async (tx) => {
      const inserted = await insertProbe(tx, {
        ...b,
        personaAddress: b.personaAddress ?? mailbox.address,
        messageId: b.messageId?.replace(/^<|>$/g, '') ?? null,
        sentAt: b.sentAt ? new Date(b.sentAt) : null,
        scheduledAt: b.scheduledAt ? new Date(b.scheduledAt) : null,
        status: sent ? 'sent' : 'planned',
      });
      if (sent) {
        await recomputeOutcome(tx, inserted.id);
        // a campaign with a sent probe, of any channel (web-form campaigns are never scheduled), is running
        await transitionCampaign(tx, b.campaignId, ['draft', 'scheduled'], 'running');
      }
      return inserted;
    });
    // what comes next runs on the queues: the reminder of a probe already out, or the sending of a planned one
    if (queues) {
      if (probe.sentAt) await requestReminder(queues, probe.id, 1);
      else await enqueueSendProbes(queues, [probe]);
    }
    const outcome = await findOutcome(db, probe.id);
    return reply.code(201).send({ ...probe, ...presentHeld(probe, undefined), outcome: outcome ? presentOutcome(outcome) : null, replies: [] });
  });

  app.get('/probes/:id', { schema: { tags, params: IdParams, response: { 200: Type.Ref('Probe'), ...commonErrors } } }, async (request) =>
    presentProbe(db, found(await findProbe(db, request.params.id), 'probe', request.params.id)),
  );
};

/** A probe as `GET /v1/probes/:id` gives it: with its outcome, its replies in order and its hold. */
export async function presentProbe(db: Pool, probe: ProbeRecord) {
  const [outcome, messages, resolutions] = await Promise.all([
    findOutcome(db, probe.id),
    listMessages(db, { limit: 500 }, { probeId: probe.id }),
    listHeldResolutions(db, [probe.id]),
  ]);
  const figures = await findReplyFigures(db, messages.items.map((m) => m.id));
  const replies = messages.items
    .map((m) => {
      const f = figures.get(m.id);
      return {
        id: m.id,
        kind: f?.kind ?? m.kind,
        from: m.from.address,
        subject: m.subject,
        receivedAt: m.receivedAt,
        delayHours: f?.delayHours == null ? null : roundHours(f.delayHours),
        businessDelayHours: f?.businessDelayHours == null ? null : roundHours(f.businessDelayHours),
        late: f?.late ?? false,
      };
    })
    .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
  const latest = latestResolutions(resolutions.filter((r) => r.reminderSeq === null)).get(probe.id);
  return { ...probe, ...presentHeld(probe, latest), outcome: outcome ? presentOutcome(outcome) : null, replies };
}
