import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DateTime } from 'luxon';
import { checkHolidaySetting } from '../audit/holidays.ts';
import {
  deleteCampaign,
  findCampaign,
  insertCampaign,
  listCampaigns,
  updateCampaign,
  type CampaignPatch,
} from '../db/campaigns.repo.ts';
import { countHeldSends } from '../db/held-sends.repo.ts';
import { listOutcomeProbeIds } from '../db/outcomes.repo.ts';
import { withTransaction } from '../db/pool.ts';
import { recomputeOutcome } from '../flow/recompute-outcome.ts';
import { conflict, found, unprocessable } from './problem.ts';
import { IdParams, Nullable, Page, PageQuery, Timestamp, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';

const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$';
const WeeklyHours = Type.Object(
  {
    days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, uniqueItems: true, description: 'ISO weekdays, Monday = 1' }),
    from: Type.String({ pattern: HHMM, description: 'HH:MM' }),
    to: Type.String({ pattern: HHMM, description: 'HH:MM; 24:00 reaches midnight' }),
  },
  { additionalProperties: false },
);
const Holidays = Type.Object(
  {
    country: Nullable(
      Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code (FR) whose public holidays are closed, as date-holidays computes them; null: none' }),
    ),
    region: Type.Optional(
      Nullable(Type.String({ minLength: 1, maxLength: 10, description: "a subdivision in date-holidays' codes, e.g. 57, 67, 68 for Alsace-Moselle (Good Friday and 26 December closed too)" })),
    ),
    extraClosedDates: Type.Optional(
      Type.Array(Type.String({ format: 'date' }), { maxItems: 1000, uniqueItems: true, description: 'more closed days, local dates YYYY-MM-DD' }),
    ),
  },
  { additionalProperties: false, description: "days closed besides the weekly days off; absent or null: France's public holidays for a campaign in Europe/Paris, none elsewhere" },
);
const BusinessHours = Type.Object({ ...WeeklyHours.properties, holidays: Type.Optional(Nullable(Holidays)) }, { additionalProperties: false });
const Reminder = Type.Object(
  {
    afterHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 60, description: 'hours without an answer before the "relance"; fractions allowed' }),
    max: Type.Integer({ minimum: 0, maximum: 5 }),
  },
  { additionalProperties: false },
);
const Status = Type.Union([Type.Literal('draft'), Type.Literal('scheduled'), Type.Literal('running'), Type.Literal('closed')]);

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  startsAt: Nullable(Timestamp),
  endsAt: Nullable(Timestamp),
  timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA name, e.g. Europe/Paris' }),
  businessHours: BusinessHours,
  sendWindow: WeeklyHours,
  norms: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 60 }), { minItems: 1, maxItems: 10, uniqueItems: true, description: 'hours' }),
  reminder: Reminder,
  probesPerBrand: Type.Integer({ minimum: 0, maximum: 1000 }),
  minProbesPerBrand: Type.Integer({ minimum: 1, maximum: 100000, description: "below it, a brand's statistics warn panel_too_small; default 30" }),
  minBrandsPerSector: Type.Integer({ minimum: 1, maximum: 1000, description: "below it, a sector's statistics and ranking warn panel_too_small; default 3" }),
  seed: Type.Integer({ description: 'makes the schedule reproducible' }),
  brandIds: Type.Array(Uuid, { uniqueItems: true, maxItems: 5000 }),
  scenarioIds: Type.Array(Uuid, { uniqueItems: true, maxItems: 500 }),
  mailboxIds: Type.Array(Uuid, { uniqueItems: true, maxItems: 500 }),
};

export const Campaign = Type.Object(
  {
    id: Uuid,
    status: Status,
    ...fields,
    closedAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    heldSends: Type.Optional(
      Type.Object(
        { probes: Type.Integer({ minimum: 0 }), reminders: Type.Integer({ minimum: 0 }) },
        { description: 'sends held for an auditor, to settle (GET /v1/probes?campaignId=…&held=true, GET /v1/reminders?campaignId=…&held=true)' },
      ),
    ),
  },
  { $id: 'Campaign' },
);
const CampaignInput = Type.Object(
  { ...Type.Partial(Type.Object(fields)).properties, name: fields.name },
  { additionalProperties: false },
);
const CampaignPatchSchema = Type.Partial(Type.Object(fields, { additionalProperties: false }));

const DEFAULT_HOURS = { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' };
/** Fields that define the schedule: frozen once the campaign runs. */
const SCHEDULE_FIELDS = ['startsAt', 'endsAt', 'timezone', 'sendWindow', 'probesPerBrand', 'seed', 'brandIds', 'scenarioIds', 'mailboxIds'] as const;

const tags = ['campaigns'];
const auditor = { writeRole: 'auditor' as const };

/** What the routes read. */
export interface CampaignsRouteOptions {
  pool: Pool;
}

/** Campaigns with the count of their sends held for an auditor. */
async function withHeldSends<T extends { id: string }>(pool: Pool, campaigns: readonly T[]) {
  const counts = await countHeldSends(pool, campaigns.map((c) => c.id));
  return campaigns.map((c) => ({ ...c, heldSends: counts.get(c.id)! }));
}

export const campaignsRoutes: FastifyPluginAsyncTypebox<CampaignsRouteOptions> = async (app, { pool }) => {

  app.get(
    '/campaigns',
    {
      schema: {
        tags,
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(Status), brandId: Type.Optional(Uuid) }),
        response: { 200: Page(Type.Ref('Campaign')), ...commonErrors },
      },
    },
    async (request) => {
      const page = await listCampaigns(pool, request.query, request.query);
      return { ...page, items: await withHeldSends(pool, page.items) };
    },
  );

  app.post('/campaigns', { config: auditor, schema: { tags, body: CampaignInput, response: { 201: Type.Ref('Campaign'), ...commonErrors } } }, async (request, reply) => {
    const b = request.body;
    checkCampaign(b);
    const campaign = await withTransaction(pool, (tx) =>
      insertCampaign(tx, {
        name: b.name,
        startsAt: toDate(b.startsAt),
        endsAt: toDate(b.endsAt),
        timezone: b.timezone ?? 'Europe/Paris',
        businessHours: b.businessHours ?? DEFAULT_HOURS,
        sendWindow: b.sendWindow ?? DEFAULT_HOURS,
        norms: b.norms ?? [4, 24],
        reminder: b.reminder ?? { afterHours: 24, max: 1 },
        probesPerBrand: b.probesPerBrand ?? 1,
        minProbesPerBrand: b.minProbesPerBrand,
        minBrandsPerSector: b.minBrandsPerSector,
        seed: b.seed ?? 1,
        brandIds: b.brandIds ?? [],
        scenarioIds: b.scenarioIds ?? [],
        mailboxIds: b.mailboxIds ?? [],
      }),
    );
    return reply.code(201).send({ ...campaign, heldSends: { probes: 0, reminders: 0 } });
  });

  app.get('/campaigns/:id', { schema: { tags, params: IdParams, response: { 200: Type.Ref('Campaign'), ...commonErrors } } }, async (request) => {
    const campaign = found(await findCampaign(pool, request.params.id), 'campaign', request.params.id);
    return (await withHeldSends(pool, [campaign]))[0]!;
  });

  app.patch(
    '/campaigns/:id',
    { config: auditor, schema: { tags, params: IdParams, body: CampaignPatchSchema, response: { 200: Type.Ref('Campaign'), ...commonErrors } } },
    async (request) => {
      const id = request.params.id;
      const b = request.body;
      const current = found(await findCampaign(pool, id), 'campaign', id);
      checkCampaign({ ...current, ...b, startsAt: b.startsAt === undefined ? current.startsAt : b.startsAt, endsAt: b.endsAt === undefined ? current.endsAt : b.endsAt });
      // once scheduled, the plan is made: its inputs can no longer change
      if (current.status !== 'draft') {
        const frozen = SCHEDULE_FIELDS.filter((f) => b[f] !== undefined);
        if (frozen.length > 0) {
          throw conflict(`the campaign is ${current.status}: its schedule (${frozen.join(', ')}) can no longer change`, {
            errors: frozen.map((f) => ({ field: `body/${f}`, message: `cannot change once the campaign is ${current.status}` })),
          });
        }
      }
      const patch: CampaignPatch = {
        ...b,
        startsAt: b.startsAt === undefined ? undefined : toDate(b.startsAt),
        endsAt: b.endsAt === undefined ? undefined : toDate(b.endsAt),
      };
      const updated = found(
        await withTransaction(pool, async (tx) => {
          const updated = await updateCampaign(tx, id, patch);
          // outcomes are measured against these: measure them again, in the same transaction
          if (updated && (b.norms || b.businessHours || b.timezone)) {
            for (const probeId of await listOutcomeProbeIds(tx, id)) await recomputeOutcome(tx, probeId);
          }
          return updated;
        }),
        'campaign',
        id,
      );
      return (await withHeldSends(pool, [updated]))[0]!;
    },
  );

  app.delete('/campaigns/:id', { config: auditor, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...commonErrors } } }, async (request, reply) => {
    found((await deleteCampaign(pool, request.params.id)) || null, 'campaign', request.params.id);
    return reply.code(204).send(null);
  });
};

const toDate = (value: Date | string | null | undefined): Date | null => (value ? new Date(value) : null);

type CampaignShape = Partial<Static<typeof CampaignPatchSchema>> & { startsAt?: Date | string | null; endsAt?: Date | string | null };

/** Rules a JSON schema cannot say: a real timezone, a period that ends after it starts, windows that end after they start. */
function checkCampaign(c: CampaignShape): void {
  const errors = [];
  if (c.timezone && !DateTime.local().setZone(c.timezone).isValid) {
    errors.push({ field: 'body/timezone', message: `"${c.timezone}" is not an IANA timezone (e.g. Europe/Paris)` });
  }
  if (c.startsAt && c.endsAt && new Date(c.endsAt) <= new Date(c.startsAt)) {
    errors.push({ field: 'body/endsAt', message: 'must come after startsAt' });
  }
  for (const key of ['businessHours', 'sendWindow'] as const) {
    const hours = c[key];
    if (hours && hours.to <= hours.from) errors.push({ field: `body/${key}/to`, message: 'must come after from' });
  }
  const holidays = c.businessHours?.holidays;
  if (holidays) {
    for (const problem of checkHolidaySetting(holidays)) errors.push({ field: `body/businessHours/holidays/${problem.field}`, message: problem.message });
  }
  if (errors.length) throw unprocessable(errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
}
