/**
 * Statistics and rankings over a dataset small enough to work out by hand: every expected
 * figure below was computed from the fixture table, not by the code under test. Then the
 * flows that feed the statistics: an auditor's override, a closed campaign and its late
 * reply; and the API's guards: a reader key, a rate limit.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/pool.ts';
import { recomputeOutcome } from '../../src/flow/recompute-outcome.ts';
import { analyseStoredReply } from '../../src/queue/analyse-reply.job.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

const HOUR = 3600_000;

// Sectors, brands, mailboxes, campaigns.
const S1 = 'a1000000-0000-4000-8000-000000000001'; // Banque
const S2 = 'a1000000-0000-4000-8000-000000000002'; // Énergie
const S3 = 'a1000000-0000-4000-8000-000000000003'; // Transport: no brand in any campaign
const B1 = 'b1000000-0000-4000-8000-000000000001'; // Banque Alpha
const B2 = 'b1000000-0000-4000-8000-000000000002'; // Banque Beta
const B3 = 'b1000000-0000-4000-8000-000000000003'; // Énergie Gamma
const B4 = 'b1000000-0000-4000-8000-000000000004'; // Énergie "Delta", SA: in C1, no probe sent
const B5 = 'b1000000-0000-4000-8000-000000000005'; // Transport Epsilon: in no campaign
const M1 = 'c1000000-0000-4000-8000-000000000001';
const M2 = 'c1000000-0000-4000-8000-000000000002';
const C1 = 'd1000000-0000-4000-8000-000000000001'; // norms 4 h and 24 h
const C2 = 'd1000000-0000-4000-8000-000000000002'; // norms 1 h and 4 h

interface FixtureProbe {
  id: string;
  campaign: string;
  brand: string;
  sector: string;
  mailbox: string;
  /** Null: planned, never sent. */
  sentAt: string | null;
  answer?: { delay: number; business: number; afterReminder?: boolean; followUps?: number };
  ackHours?: number;
  /** The answer's analysis: current, not yet there, or stale (made for an answer since reassigned). */
  analysis?: { state: 'current' | 'stale'; spelling: [errors: number, words: number] | null; logo: boolean; charter: boolean; signature: boolean; personalised: boolean; score: number };
}

const probe = (n: number) => `e1000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * The dataset. Weeks (Monday 00:00 UTC): W10 = 2026-03-02, W11 = 03-09, W12 = 03-16 (empty), W13 = 03-23.
 *
 * | probe | campaign | brand | mailbox | week | delay h | business h | ack | after reminder | follow-ups | analysis: errors/words, logo, charter, signature, personalised, note |
 * | p1 | C1 | B1 | M1 | W10 | 2   | 2   |     |     | 1 | 0/100, L C S P, 80 |
 * | p2 | C1 | B1 | M1 | W10 | 30  | 9   | yes | yes |   | 2/50, P, 40 |
 * | p3 | C1 | B1 | M2 | W11 | -   | -   | yes |     |   | unanswered: note 0 |
 * | p4 | C1 | B2 | M2 | W10 | 0.5 | 0.5 |     |     |   | 1/200, L S, 90 |
 * | p5 | C1 | B2 | M2 | W11 | 5   | 5   |     |     |   | not analysed yet |
 * | p6 | C1 | B3 | M1 | W10 | 50  | 20  |     | yes |   | no dictionary, nothing, 10 |
 * | p7 | C1 | B3 | M1 | W10 | -   | -   |     |     |   | unanswered: note 0 |
 * | p8 | C2 | B1 | M1 | W13 | 1   | 1   |     |     |   | 0/80, L C S P, 100 |
 * | p9 | C2 | B3 | M1 | W13 | 3   | 3   |     |     | 1 | stale (5/10, L C S P, 70): counts as not analysed |
 * | p10 | C2 | B1 | M1 | planned, never sent: counts nowhere |
 */
const PROBES: FixtureProbe[] = [
  { id: probe(1), campaign: C1, brand: B1, sector: S1, mailbox: M1, sentAt: '2026-03-02T09:00:00Z', answer: { delay: 2, business: 2, followUps: 1 },
    analysis: { state: 'current', spelling: [0, 100], logo: true, charter: true, signature: true, personalised: true, score: 80 } },
  { id: probe(2), campaign: C1, brand: B1, sector: S1, mailbox: M1, sentAt: '2026-03-02T10:00:00Z', answer: { delay: 30, business: 9, afterReminder: true }, ackHours: 0.1,
    analysis: { state: 'current', spelling: [2, 50], logo: false, charter: false, signature: false, personalised: true, score: 40 } },
  { id: probe(3), campaign: C1, brand: B1, sector: S1, mailbox: M2, sentAt: '2026-03-09T09:00:00Z', ackHours: 0.05 },
  { id: probe(4), campaign: C1, brand: B2, sector: S1, mailbox: M2, sentAt: '2026-03-03T09:00:00Z', answer: { delay: 0.5, business: 0.5 },
    analysis: { state: 'current', spelling: [1, 200], logo: true, charter: false, signature: true, personalised: false, score: 90 } },
  { id: probe(5), campaign: C1, brand: B2, sector: S1, mailbox: M2, sentAt: '2026-03-10T09:00:00Z', answer: { delay: 5, business: 5 } },
  { id: probe(6), campaign: C1, brand: B3, sector: S2, mailbox: M1, sentAt: '2026-03-04T09:00:00Z', answer: { delay: 50, business: 20, afterReminder: true },
    analysis: { state: 'current', spelling: null, logo: false, charter: false, signature: false, personalised: false, score: 10 } },
  { id: probe(7), campaign: C1, brand: B3, sector: S2, mailbox: M1, sentAt: '2026-03-04T10:00:00Z' },
  { id: probe(8), campaign: C2, brand: B1, sector: S1, mailbox: M1, sentAt: '2026-03-23T09:00:00Z', answer: { delay: 1, business: 1 },
    analysis: { state: 'current', spelling: [0, 80], logo: true, charter: true, signature: true, personalised: true, score: 100 } },
  { id: probe(9), campaign: C2, brand: B3, sector: S2, mailbox: M1, sentAt: '2026-03-24T09:00:00Z', answer: { delay: 3, business: 3, followUps: 1 },
    analysis: { state: 'stale', spelling: [5, 10], logo: true, charter: true, signature: true, personalised: true, score: 70 } },
  { id: probe(10), campaign: C2, brand: B1, sector: S1, mailbox: M1, sentAt: null },
];

/** A row without the figures of issue 14 (intervals, spread, panel check), tested on their own below. */
function classic<T extends object>(row: T): T {
  return Object.fromEntries(
    Object.entries(row).filter(([key]) => !key.endsWith('Ci95') && !['scoreStdDev', 'panelSufficient', 'warnings', 'significanceGroup', 'tiedWith', 'brands'].includes(key)),
  ) as T;
}

const EMPTY_HISTOGRAM = { within1h: 0, from1To4h: 0, from4To24h: 0, from24To48h: 0, over48h: 0 };
/** The metrics of a group without probes: counts at zero, everything else null. */
const emptyGroup = (norms: Record<string, null>) => ({
  probes: 0, answered: 0, responseRate: null, responseRateAfterReminder: null, acknowledged: 0, ackRate: null,
  withinNorm: norms, delayP50Hours: null, delayP90Hours: null, delayMeanHours: null, businessDelayP50Hours: null,
  delayHistogram: { ...EMPTY_HISTOGRAM, noAnswer: 0 }, followUpRate: null, answersAnalysed: 0, spellingErrorRate: null,
  errorsPer100Words: null, logoRate: null, charterRate: null, signatureRate: null, personalisedRate: null, scoredProbes: 0, scoreMean: null,
});

let uid = 0;
/** A brand message in the mailbox, matched to the probe (as a reply) unless `probeId` is null. */
async function insertMessage(db: Queryable, o: { mailboxId: string; probeId: string | null; receivedAt: Date; source?: Buffer }): Promise<string> {
  const source = o.source ?? Buffer.from(`Subject: reply ${++uid}\r\n\r\nBonjour`);
  const { rows } = await db.query<{ id: string }>(
    `insert into messages (mailbox_id, folder, uid_validity, uid, source_sha256, source_gz, size, received_at, kind, probe_id, from_address)
     values ($1, 'INBOX', 1, $2, $3, $4, $5, $6, 'answer', $7, 'service@brand.example') returning id`,
    [o.mailboxId, ++uid, createHash('sha256').update(source).digest(), gzipSync(source), source.length, o.receivedAt, o.probeId],
  );
  const id = rows[0]!.id;
  if (o.probeId) await db.query(`insert into replies (id, probe_id, kind, received_at) values ($1, $2, 'answer', $3)`, [id, o.probeId, o.receivedAt]);
  return id;
}

async function insertReferenceData(db: Queryable): Promise<void> {
  await db.query(`insert into sectors (id, name) values ($1, 'Banque'), ($2, 'Énergie'), ($3, 'Transport')`, [S1, S2, S3]);
  await db.query(
    `insert into brands (id, sector_id, name) values ($1, $6, 'Banque Alpha'), ($2, $6, 'Banque Beta'), ($3, $7, 'Énergie Gamma'),
                                                     ($4, $7, 'Énergie "Delta", SA'), ($5, $8, 'Transport Epsilon')`,
    [B1, B2, B3, B4, B5, S1, S2, S3],
  );
  const { rows } = await db.query<{ id: string }>(`insert into personas (first_name, last_name) values ('Marie', 'Dupont') returning id`);
  await db.query(
    `insert into mailboxes (id, label, address, persona_id, imap_host, imap_port, imap_user, imap_password_enc)
     values ($1, 'Boîte Marie', 'marie@test.example', $3, 'imap.test.example', 993, 'marie', 'sealed'),
            ($2, 'Boîte Paul', 'paul@test.example', $3, 'imap.test.example', 993, 'paul', 'sealed')`,
    [M1, M2, rows[0]!.id],
  );
  // C1 asks for 3 probes per brand and 2 brands per sector; C2 keeps the defaults, 30 and 3
  await db.query(
    `insert into campaigns (id, name, status, norms, min_probes_per_brand, min_brands_per_sector)
     values ($1, 'Printemps 2026', 'running', '{4,24}', 3, 2), ($2, 'Équinoxe 2026', 'running', '{1,4}', 30, 3)`,
    [C1, C2],
  );
  await db.query(`insert into campaign_brands values ($1, $3), ($1, $4), ($1, $5), ($1, $6), ($2, $3), ($2, $5)`, [C1, C2, B1, B2, B3, B4]);
  await db.query(`insert into campaign_mailboxes values ($1, $3), ($1, $4), ($2, $3)`, [C1, C2, M1, M2]);
}

async function insertFixture(db: Queryable): Promise<void> {
  await insertReferenceData(db);
  for (const p of PROBES) {
    await db.query(`insert into probes (id, campaign_id, brand_id, mailbox_id, sent_at, status) values ($1, $2, $3, $4, $5, $6)`, [
      p.id, p.campaign, p.brand, p.mailbox, p.sentAt, p.sentAt ? 'sent' : 'planned',
    ]);
    if (!p.sentAt) continue;
    const sentAt = new Date(p.sentAt);
    const answeredAt = p.answer && new Date(sentAt.getTime() + p.answer.delay * HOUR);
    const answerId = answeredAt ? await insertMessage(db, { mailboxId: p.mailbox, probeId: p.id, receivedAt: answeredAt }) : null;
    // a stale analysis was made for another reply of the probe, since taken out of its answer
    const scoredId = p.analysis?.state === 'stale' ? await insertMessage(db, { mailboxId: p.mailbox, probeId: p.id, receivedAt: sentAt }) : answerId;
    const a = p.analysis;
    await db.query(
      `insert into outcomes (probe_id, campaign_id, brand_id, sector_id, mailbox_id, sent_at, acknowledged_at, ack_delay_hours,
                             answered_at, answer_reply_id, delay_hours, business_delay_hours, reminders_sent, answered_after_reminder,
                             follow_ups, score, scored_reply_id, spelling_errors, spelling_words, form_logo, form_charter,
                             form_named_signature, form_personalised)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
      [
        p.id, p.campaign, p.brand, p.sector, p.mailbox, sentAt,
        p.ackHours === undefined ? null : new Date(sentAt.getTime() + p.ackHours * HOUR), p.ackHours ?? null,
        answeredAt ?? null, answerId, p.answer?.delay ?? null, p.answer?.business ?? null,
        p.answer?.afterReminder ? 1 : 0, p.answer?.afterReminder ?? false, p.answer?.followUps ?? 0,
        a?.score ?? null, a ? scoredId : null, a?.spelling?.[0] ?? null, a?.spelling?.[1] ?? null,
        a?.logo ?? null, a?.charter ?? null, a?.signature ?? null, a?.personalised ?? null,
      ],
    );
  }
}

/** RFC 4180 fields of each line (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const lines: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') fields.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') fields.push(field), lines.push(fields), (fields = []), (field = ''), i++;
    else field += c;
  }
  return lines;
}

/**
 * A JSON row as CSV writes it: nested objects flattened with a dot, an interval as two fields
 * `…Ci95Low` and `…Ci95High` (per norm: `withinNormCi95Low.4`), warnings by their details, null
 * as an empty field.
 */
function flatten(value: Record<string, unknown>, prefix = ''): Record<string, string> {
  const flat: Record<string, string> = {};
  const text = (item: unknown) => (item === null || item === undefined ? '' : String(item));
  for (const [key, item] of Object.entries(value)) {
    if (key === 'withinNormCi95') {
      for (const [norm, bounds] of Object.entries(item as Record<string, number[] | null>)) {
        flat[`withinNormCi95Low.${norm}`] = text(bounds?.[0]);
        flat[`withinNormCi95High.${norm}`] = text(bounds?.[1]);
      }
    } else if (key.endsWith('Ci95')) {
      flat[`${prefix}${key}Low`] = text((item as number[] | null)?.[0]);
      flat[`${prefix}${key}High`] = text((item as number[] | null)?.[1]);
    } else if (key === 'warnings') {
      flat[key] = (item as { detail: string }[]).map((w) => w.detail).join(' ');
    } else if (item !== null && typeof item === 'object') Object.assign(flat, flatten(item as Record<string, unknown>, `${prefix}${key}.`));
    else flat[`${prefix}${key}`] = text(item);
  }
  return flat;
}

describe('statistics over a hand-computed dataset', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
    await insertFixture(t.db.pool);
  });
  afterAll(async () => t?.close());

  async function stats(query: string, headers: Record<string, string> = {}) {
    const res = await t.app.inject({ method: 'GET', url: `/v1/stats?${query}`, headers: { ...t.auth(), ...headers } });
    expect(res.statusCode, res.body).toBe(200);
    return res;
  }
  const rowsOf = async (query: string) => (await stats(query)).json().rows as Array<Record<string, unknown> & { group: { key: string; label: string } }>;

  it('groups one campaign by brand, every brand of the campaign included, the one without probes as nulls', async () => {
    const body = (await stats(`campaignId=${C1}&groupBy=brand`)).json();
    expect(body.norms).toEqual([4, 24]);
    expect(body.rows.map((r: { group: { label: string } }) => r.group.label)).toEqual(['Banque Alpha', 'Banque Beta', 'Énergie "Delta", SA', 'Énergie Gamma']);
    const [alpha, beta, delta, gamma] = body.rows.map(classic);
    expect(alpha).toEqual({
      group: { key: B1, label: 'Banque Alpha' },
      probes: 3, answered: 2, responseRate: 1 / 3, responseRateAfterReminder: 2 / 3, acknowledged: 2, ackRate: 2 / 3,
      withinNorm: { '4': 1 / 3, '24': 1 / 3 },
      // delays 2 and 30 h: p50 = 16, p90 = 2 + 0.9 × 28 = 27.2; business 2 and 9 h
      delayP50Hours: 16, delayP90Hours: 27.2, delayMeanHours: 16, businessDelayP50Hours: 5.5,
      delayHistogram: { within1h: 0, from1To4h: 1, from4To24h: 0, from24To48h: 1, over48h: 0, noAnswer: 1 },
      followUpRate: 0.5,
      answersAnalysed: 2, spellingErrorRate: 0.5, errorsPer100Words: 1.33, // 100 × 2 / 150
      logoRate: 0.5, charterRate: 0.5, signatureRate: 0.5, personalisedRate: 1,
      scoredProbes: 3, scoreMean: 40, // (80 + 40 + 0) / 3
    });
    expect(beta).toEqual({
      group: { key: B2, label: 'Banque Beta' },
      probes: 2, answered: 2, responseRate: 1, responseRateAfterReminder: 1, acknowledged: 0, ackRate: 0,
      withinNorm: { '4': 0.5, '24': 1 },
      delayP50Hours: 2.75, delayP90Hours: 4.55, delayMeanHours: 2.75, businessDelayP50Hours: 2.75,
      delayHistogram: { within1h: 1, from1To4h: 0, from4To24h: 1, from24To48h: 0, over48h: 0, noAnswer: 0 },
      followUpRate: 0,
      // p5's answer is not analysed yet: it weighs in no form metric and no note
      answersAnalysed: 1, spellingErrorRate: 1, errorsPer100Words: 0.5,
      logoRate: 1, charterRate: 0, signatureRate: 1, personalisedRate: 0,
      scoredProbes: 1, scoreMean: 90,
    });
    expect(delta).toEqual({ group: { key: B4, label: 'Énergie "Delta", SA' }, ...emptyGroup({ '4': null, '24': null }) });
    expect(gamma).toEqual({
      group: { key: B3, label: 'Énergie Gamma' },
      probes: 2, answered: 1, responseRate: 0, responseRateAfterReminder: 0.5, acknowledged: 0, ackRate: 0,
      withinNorm: { '4': 0, '24': 0 },
      delayP50Hours: 50, delayP90Hours: 50, delayMeanHours: 50, businessDelayP50Hours: 20,
      delayHistogram: { within1h: 0, from1To4h: 0, from4To24h: 0, from24To48h: 0, over48h: 1, noAnswer: 1 },
      followUpRate: 0,
      // analysed, but in a language without a dictionary: no spelling figure
      answersAnalysed: 1, spellingErrorRate: null, errorsPer100Words: null,
      logoRate: 0, charterRate: 0, signatureRate: 0, personalisedRate: 0,
      scoredProbes: 2, scoreMean: 5,
    });
  });

  it('groups everything by sector across campaigns with different norms, an empty sector included', async () => {
    const body = (await stats('groupBy=sector')).json();
    expect(body.norms).toEqual([1, 4, 24]);
    const [banque, energie, transport] = body.rows.map(classic);
    expect(banque).toEqual({
      group: { key: S1, label: 'Banque' },
      probes: 6, answered: 5, responseRate: 4 / 6, responseRateAfterReminder: 5 / 6, acknowledged: 2, ackRate: 2 / 6,
      // 1 h: C2's p8 only; 4 h: all six probes, p1, p4 and p8 within; 24 h: C1's five, p1, p4 and p5 within
      withinNorm: { '1': 1, '4': 0.5, '24': 0.6 },
      // delays 0.5, 1, 2, 5, 30: p90 at position 3.6 = 5 + 0.6 × 25
      delayP50Hours: 2, delayP90Hours: 20, delayMeanHours: 7.7, businessDelayP50Hours: 2,
      delayHistogram: { within1h: 2, from1To4h: 1, from4To24h: 1, from24To48h: 1, over48h: 0, noAnswer: 1 },
      followUpRate: 0.2,
      answersAnalysed: 4, spellingErrorRate: 0.5, errorsPer100Words: 0.7, // 100 × 3 / 430 = 0.6977
      logoRate: 0.75, charterRate: 0.5, signatureRate: 0.75, personalisedRate: 0.75,
      scoredProbes: 5, scoreMean: 62, // (80 + 40 + 0 + 90 + 100) / 5
    });
    expect(energie).toEqual({
      group: { key: S2, label: 'Énergie' },
      probes: 3, answered: 2, responseRate: 1 / 3, responseRateAfterReminder: 2 / 3, acknowledged: 0, ackRate: 0,
      withinNorm: { '1': 0, '4': 1 / 3, '24': 0 },
      // delays 3 and 50: p90 = 3 + 0.9 × 47 = 45.3
      delayP50Hours: 26.5, delayP90Hours: 45.3, delayMeanHours: 26.5, businessDelayP50Hours: 11.5,
      delayHistogram: { within1h: 0, from1To4h: 1, from4To24h: 0, from24To48h: 0, over48h: 1, noAnswer: 1 },
      followUpRate: 0.5,
      // p9's figures belong to a reply that is no longer its answer: not counted
      answersAnalysed: 1, spellingErrorRate: null, errorsPer100Words: null,
      logoRate: 0, charterRate: 0, signatureRate: 0, personalisedRate: 0,
      scoredProbes: 2, scoreMean: 5,
    });
    expect(transport).toEqual({ group: { key: S3, label: 'Transport' }, ...emptyGroup({ '1': null, '4': null, '24': null }) });
  });

  it('gives the weeks without a gap, the empty one included, each with the norms of its own campaigns', async () => {
    expect((await stats('groupBy=week')).json().weekTimeZone).toBe('Europe/Paris');
    const rows = (await rowsOf('groupBy=week')).map(classic);
    expect(rows.map((r) => [r.group.key, r.group.label, r.probes])).toEqual([
      ['2026-03-02', '2026-W10', 5],
      ['2026-03-09', '2026-W11', 2],
      ['2026-03-16', '2026-W12', 0],
      ['2026-03-23', '2026-W13', 2],
    ]);
    expect(rows[0]).toMatchObject({ answered: 4, delayP50Hours: 16, withinNorm: { '1': null, '4': 0.4, '24': 0.4 } });
    expect(rows[2]).toEqual({ group: { key: '2026-03-16', label: '2026-W12' }, ...emptyGroup({ '1': null, '4': null, '24': null }) });
    expect(rows[3]).toMatchObject({ answered: 2, delayP50Hours: 2, withinNorm: { '1': 0.5, '4': 1, '24': null }, scoredProbes: 1, scoreMean: 100 });
  });

  it('adds a weekly series to every group, over the same weeks', async () => {
    const rows = await rowsOf('groupBy=sector&series=week');
    const weeksOf = (row: Record<string, unknown>) => (row.series as Array<{ week: string; probes: number }>).map((p) => `${p.week}:${p.probes}`);
    expect(weeksOf(rows[0]!)).toEqual(['2026-W10:3', '2026-W11:2', '2026-W12:0', '2026-W13:1']);
    expect(weeksOf(rows[1]!)).toEqual(['2026-W10:2', '2026-W11:0', '2026-W12:0', '2026-W13:1']);
    expect(weeksOf(rows[2]!)).toEqual(['2026-W10:0', '2026-W11:0', '2026-W12:0', '2026-W13:0']);
    // Banque in W10: p1, p2 and p4, delays 0.5, 2, 30
    expect((rows[0]!.series as unknown[])[0]).toMatchObject({ weekStart: '2026-03-02', answered: 3, delayP50Hours: 2, scoreMean: 70 });
    // the totals are those of the sector without the series
    const [banque] = await rowsOf('groupBy=sector');
    const { series: _series, ...withoutSeries } = rows[0]!;
    expect(withoutSeries).toEqual(banque);
  });

  it('filters across campaigns: a brand by campaign, a sector by brand', async () => {
    const byCampaign = await rowsOf(`brandId=${B1}&groupBy=campaign`);
    expect(byCampaign.map((r) => [r.group.label, r.probes, r.answered, r.withinNorm])).toEqual([
      ['Équinoxe 2026', 1, 1, { '1': 1, '4': 1, '24': null }],
      ['Printemps 2026', 3, 2, { '1': null, '4': 1 / 3, '24': 1 / 3 }],
    ]);
    const byBrand = await rowsOf(`sectorId=${S1}&groupBy=brand`);
    expect(byBrand.map((r) => r.group.label)).toEqual(['Banque Alpha', 'Banque Beta']);
    // Banque Alpha over both campaigns: delays 1, 2, 30 (p90 at 1.8 = 2 + 0.8 × 28), notes 80, 40, 0, 100
    expect(byBrand[0]).toMatchObject({ probes: 4, answered: 3, delayP50Hours: 2, delayP90Hours: 24.4, scoredProbes: 4, scoreMean: 55 });
    const byMailbox = await rowsOf(`campaignId=${C1}&groupBy=mailbox`);
    expect(byMailbox.map((r) => [r.group.label, r.probes, r.answered])).toEqual([
      ['Boîte Marie', 4, 3],
      ['Boîte Paul', 3, 2],
    ]);
  });

  it('filters by period, the same figures whether the period follows week boundaries or not', async () => {
    // sent in [03-03, 03-24): p3, p4, p5, p6, p7, p8; answered p4, p5, p6, p8 with delays 0.5, 5, 50, 1
    const [cut] = await rowsOf('from=2026-03-03T00:00:00Z&to=2026-03-24T00:00:00Z');
    expect(cut).toMatchObject({ group: { key: null, label: 'all' }, probes: 6, answered: 4, delayP50Hours: 3, delayMeanHours: 14.13 });
    // [W11, W14): p3, p5, p8, p9, read from the stored rollups; and the same probes through a bound inside a week
    const [weeks] = await rowsOf('from=2026-03-09T00:00:00Z&to=2026-03-30T00:00:00Z');
    const [inside] = await rowsOf('from=2026-03-08T12:00:00Z&to=2026-03-29T23:59:59Z');
    expect(weeks).toMatchObject({ probes: 4, answered: 3, delayP50Hours: 3 });
    expect(inside).toEqual(weeks);
    // inside one week: p2, p4 and p6, delays 30, 0.5 and 50
    const [days] = await rowsOf('from=2026-03-02T09:30:00Z&to=2026-03-04T09:30:00Z');
    expect(days).toMatchObject({ probes: 3, answered: 3, delayP50Hours: 30, delayMeanHours: 26.83 });
  });

  it('gives one row of nulls when nothing matches, never zeros for rates', async () => {
    const rows = await rowsOf('from=2030-01-01T00:00:00Z');
    expect(rows.map(classic)).toEqual([{ group: { key: null, label: 'all' }, ...emptyGroup({}) }]);
    expect(rows[0]).toMatchObject({ responseRateCi95: null, withinNormCi95: {}, delayP50HoursCi95: null, scoreMeanCi95: null, panelSufficient: null, warnings: [] });
    const campaign = await rowsOf(`campaignId=${C2}&from=2030-01-01T00:00:00Z`);
    expect(campaign[0]!.withinNorm).toEqual({ '1': null, '4': null });
  });

  it('serves the same figures as CSV, asked by format or by Accept', async () => {
    const json = (await stats(`campaignId=${C1}&groupBy=brand`)).json();
    const res = await stats(`campaignId=${C1}&groupBy=brand`, { accept: 'text/csv' });
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.vary).toMatch(/Accept/);
    const [header, ...lines] = parseCsv(res.body);
    expect(header!.slice(0, 8)).toEqual(['groupKey', 'groupLabel', 'probes', 'answered', 'responseRate', 'responseRateCi95Low', 'responseRateCi95High', 'responseRateAfterReminder']);
    for (const name of ['withinNorm.24', 'withinNormCi95Low.24', 'withinNormCi95High.24', 'delayHistogram.noAnswer', 'delayP50HoursCi95Low', 'panelSufficient', 'warnings']) {
      expect(header).toContain(name);
    }
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => {
      const { group, ...metrics } = json.rows[i];
      expect(Object.fromEntries(header!.map((name, j) => [name, line[j]]))).toEqual({ groupKey: group.key, groupLabel: group.label, ...flatten(metrics) });
    });
    // quoted where it must be, written as JSON writes numbers
    expect(res.body).toContain(`${B4},"Énergie ""Delta"", SA",0,0,,`);
    expect(lines[0]!.slice(2, 8)).toEqual(['3', '2', '0.3333333333333333', '0.0615', '0.7923', '0.6666666666666666']);

    const byFormat = await stats(`campaignId=${C1}&groupBy=brand&format=csv`);
    expect(byFormat.body).toBe(res.body);
    const jsonWins = await stats(`campaignId=${C1}&groupBy=brand`, { accept: 'application/json, text/csv;q=0.5' });
    expect(jsonWins.headers['content-type']).toMatch(/^application\/json/);
  });

  it('writes a series as CSV: each group, then its weeks', async () => {
    const res = await stats('groupBy=sector&series=week&format=csv');
    const [header, ...lines] = parseCsv(res.body);
    expect(header!.slice(0, 5)).toEqual(['groupKey', 'groupLabel', 'week', 'weekStart', 'probes']);
    expect(lines.slice(0, 5).map((l) => [l[1], l[2], l[4]])).toEqual([
      ['Banque', '', '6'],
      ['Banque', '2026-W10', '3'],
      ['Banque', '2026-W11', '2'],
      ['Banque', '2026-W12', '0'],
      ['Banque', '2026-W13', '1'],
    ]);
    expect(lines).toHaveLength(3 * 5);
  });

  it('ranks the brands of a campaign within each sector, beside the sector average and its leader', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/campaigns/${C1}/ranking`, headers: t.auth() });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.campaign).toMatchObject({ id: C1, name: 'Printemps 2026', status: 'running', closedAt: null });
    const classicSectors = body.sectors.map((sector: { ranking: object[] }) => ({ ...classic(sector), ranking: sector.ranking.map(classic) }));
    expect(classicSectors).toEqual([
      {
        sector: { id: S1, name: 'Banque' },
        scoreMean: 65, // (90 + 40) / 2, each brand once
        leader: { brandId: B2, name: 'Banque Beta', scoreMean: 90 },
        ranking: [
          { rank: 1, brandId: B2, name: 'Banque Beta', scoreMean: 90, scoredProbes: 1, probes: 2, answered: 2, responseRate: 1, responseRateAfterReminder: 1, delayP50Hours: 2.75 },
          { rank: 2, brandId: B1, name: 'Banque Alpha', scoreMean: 40, scoredProbes: 3, probes: 3, answered: 2, responseRate: 1 / 3, responseRateAfterReminder: 2 / 3, delayP50Hours: 16 },
        ],
      },
      {
        sector: { id: S2, name: 'Énergie' },
        scoreMean: 5,
        leader: { brandId: B3, name: 'Énergie Gamma', scoreMean: 5 },
        ranking: [
          { rank: 1, brandId: B3, name: 'Énergie Gamma', scoreMean: 5, scoredProbes: 2, probes: 2, answered: 1, responseRate: 0, responseRateAfterReminder: 0.5, delayP50Hours: 50 },
          { rank: null, brandId: B4, name: 'Énergie "Delta", SA', scoreMean: null, scoredProbes: 0, probes: 0, answered: 0, responseRate: null, responseRateAfterReminder: null, delayP50Hours: null },
        ],
      },
    ]);

    const csv = await t.app.inject({ method: 'GET', url: `/v1/campaigns/${C1}/ranking?format=csv`, headers: t.auth() });
    const [header, ...csvLines] = parseCsv(csv.body);
    const classicColumns = [
      'sectorId', 'sectorName', 'sectorScoreMean', 'leaderBrandId', 'leaderName', 'leaderScoreMean',
      'rank', 'brandId', 'brandName', 'scoreMean', 'scoredProbes', 'probes', 'answered', 'responseRate', 'responseRateAfterReminder', 'delayP50Hours',
    ];
    expect(header!.filter((name) => classicColumns.includes(name))).toEqual(classicColumns);
    expect(header).toEqual(expect.arrayContaining([
      'sectorBrands', 'sectorPanelSufficient', 'sectorWarnings', 'scoreMeanCi95Low', 'scoreMeanCi95High', 'scoreStdDev', 'significanceGroup', 'tiedWith',
      'responseRateCi95Low', 'responseRateCi95High', 'responseRateAfterReminderCi95Low', 'delayP50HoursCi95High', 'panelSufficient', 'warnings',
    ]));
    const lines = csvLines.map((line) => classicColumns.map((name) => line[header!.indexOf(name)]));
    expect(lines).toEqual([
      [S1, 'Banque', '65', B2, 'Banque Beta', '90', '1', B2, 'Banque Beta', '90', '1', '2', '2', '1', '1', '2.75'],
      [S1, 'Banque', '65', B2, 'Banque Beta', '90', '2', B1, 'Banque Alpha', '40', '3', '3', '2', '0.3333333333333333', '0.6666666666666666', '16'],
      [S2, 'Énergie', '5', B3, 'Énergie Gamma', '5', '1', B3, 'Énergie Gamma', '5', '2', '2', '1', '0', '0.5', '50'],
      [S2, 'Énergie', '5', B3, 'Énergie Gamma', '5', '', B4, 'Énergie "Delta", SA', '', '0', '0', '0', '', '', ''],
    ]);

    // in C2 Énergie Gamma's only answer has stale figures: no note, no leader
    const c2 = (await t.app.inject({ method: 'GET', url: `/v1/campaigns/${C2}/ranking`, headers: t.auth() })).json();
    expect(c2.sectors[1]).toMatchObject({ scoreMean: null, leader: null, ranking: [{ rank: null, name: 'Énergie Gamma' }] });
    const missing = await t.app.inject({ method: 'GET', url: `/v1/campaigns/${randomUUID()}/ranking`, headers: t.auth() });
    expect(missing.statusCode).toBe(404);
  });

  it('gives each rate its Wilson interval and the median its order-statistics interval, over the same counts', async () => {
    const [alpha, beta] = await rowsOf(`campaignId=${C1}&groupBy=brand`);
    // Banque Alpha: 1 of 3 before the reminder, 2 of 3 after it, 2 of 3 acknowledged, 1 of 3 within 4 h and
    // within 24 h, 1 of its 2 answers followed up; form over its 2 analysed answers; notes 80, 40, 0
    expect(alpha).toMatchObject({
      responseRateCi95: [0.0615, 0.7923],
      responseRateAfterReminderCi95: [0.2077, 0.9385],
      ackRateCi95: [0.2077, 0.9385],
      withinNormCi95: { '4': [0.0615, 0.7923], '24': [0.0615, 0.7923] },
      followUpRateCi95: [0.0945, 0.9055],
      spellingErrorRateCi95: [0.0945, 0.9055],
      logoRateCi95: [0.0945, 0.9055],
      personalisedRateCi95: [0.3424, 1],
      // two answers: too few for an interval of the median
      delayP50HoursCi95: null,
      scoreStdDev: 40,
      // 40 ± 4.303 × 40 / √3, clipped to the scale
      scoreMeanCi95: [0, 100],
    });
    // Banque Beta: 2 of 2 answered, 0 of 2 acknowledged, 1 of 2 within 4 h; one analysed answer, one note
    expect(beta).toMatchObject({
      responseRateCi95: [0.3424, 1],
      ackRateCi95: [0, 0.6576],
      withinNormCi95: { '4': [0.0945, 0.9055], '24': [0.3424, 1] },
      charterRateCi95: [0, 0.7935],
      signatureRateCi95: [0.2065, 1],
      scoreStdDev: null,
      scoreMeanCi95: null,
    });
    // Banque over both campaigns (six probes, delays 0.5, 1, 2, 5, 30 and one unanswered)
    const [banque] = await rowsOf('groupBy=sector');
    expect(banque).toMatchObject({ responseRateAfterReminderCi95: [0.4365, 0.9699], withinNormCi95: { '1': [0.2065, 1], '4': [0.1876, 0.8124] }, delayP50HoursCi95: null });
    // everything: seven answers, 0.5, 1, 2, 3, 5, 30 and 50 h; from seven on, [smallest, largest] holds the median at 98 %
    const [all] = await rowsOf('');
    expect(all).toMatchObject({ answered: 7, delayP50Hours: 3, delayP50HoursCi95: [0.5, 50] });
  });

  it('checks each brand and sector panel against its campaigns, and says why', async () => {
    // C1 asks for 3 probes per brand: Alpha has 3, Beta and Gamma 2, Delta none
    const byBrand = await rowsOf(`campaignId=${C1}&groupBy=brand`);
    expect(byBrand.map((r) => [r.group.label, r.panelSufficient])).toEqual([
      ['Banque Alpha', true],
      ['Banque Beta', false],
      ['Énergie "Delta", SA', false],
      ['Énergie Gamma', false],
    ]);
    expect(byBrand[0]!.warnings).toEqual([]);
    expect(byBrand[1]!.warnings).toEqual([
      {
        code: 'panel_too_small',
        detail: '2 probes sent to this brand, fewer than the 3 the campaign asks for (minProbesPerBrand): its rates and its rank rest on too few probes.',
      },
    ]);
    expect((byBrand[2]!.warnings as { detail: string }[])[0]!.detail).toMatch(/^0 probes sent to this brand, fewer than the 3 /);
    // across both campaigns the strictest minimum holds: Alpha's 4 probes against C2's 30
    const acrossCampaigns = await rowsOf(`sectorId=${S1}&groupBy=brand`);
    expect((acrossCampaigns[0]!.warnings as { detail: string }[])[0]!.detail).toMatch(/^4 probes .* the 30 /);
    // C1 asks for 2 brands per sector: Banque has 2 with probes, Énergie 1 (Delta has none)
    const bySector = await rowsOf(`campaignId=${C1}&groupBy=sector`);
    expect(bySector.map((r) => [r.group.label, r.panelSufficient])).toEqual([
      ['Banque', true],
      ['Énergie', false],
    ]);
    expect((bySector[1]!.warnings as { detail: string }[])[0]!.detail).toBe(
      '1 brand with probes in this sector, fewer than the 2 the campaign asks for (minBrandsPerSector): too few to rank.',
    );
    // over everything, C2's 3 applies to Banque; Transport has no campaign here: the default, 3
    const everything = await rowsOf('groupBy=sector');
    expect(everything.map((r) => [r.group.label, r.panelSufficient, (r.warnings as { detail: string }[]).map((w) => w.detail.split(' the campaign')[0])])).toEqual([
      ['Banque', false, ['2 brands with probes in this sector, fewer than the 3']],
      ['Énergie', false, ['1 brand with probes in this sector, fewer than the 3']],
      ['Transport', false, ['0 brands with probes in this sector, fewer than the 3']],
    ]);
    // no panel rule for weeks, campaigns, mailboxes or the whole scope
    for (const query of ['groupBy=week', 'groupBy=campaign', `campaignId=${C1}&groupBy=mailbox`, '']) {
      for (const row of await rowsOf(query)) expect(row, query).toMatchObject({ panelSufficient: null, warnings: [] });
    }
  });

  it('flags in the ranking the brands whose order is not significant, and the sectors too small to rank', async () => {
    const body = (await t.app.inject({ method: 'GET', url: `/v1/campaigns/${C1}/ranking`, headers: t.auth() })).json();
    const [banque, energie] = body.sectors;
    expect(banque).toMatchObject({ brands: 2, panelSufficient: true, warnings: [] });
    // Beta's 90 rests on one note: it cannot be told apart from Alpha's 40 (notes 80, 40, 0)
    expect(banque.ranking).toMatchObject([
      { name: 'Banque Beta', rank: 1, significanceGroup: 1, tiedWith: [B1], scoreMeanCi95: null, panelSufficient: false, warnings: [{ code: 'panel_too_small' }] },
      { name: 'Banque Alpha', rank: 2, significanceGroup: 1, tiedWith: [B2], scoreMeanCi95: [0, 100], scoreStdDev: 40, responseRateCi95: [0.0615, 0.7923], panelSufficient: true, warnings: [] },
    ]);
    expect(energie).toMatchObject({ brands: 1, panelSufficient: false, warnings: [{ code: 'panel_too_small', detail: expect.stringMatching(/^1 brand with probes/) }] });
    expect(energie.ranking).toMatchObject([
      { name: 'Énergie Gamma', significanceGroup: 1, tiedWith: [] },
      { name: 'Énergie "Delta", SA', significanceGroup: null, tiedWith: [], probes: 0, panelSufficient: false },
    ]);
    const csv = await t.app.inject({ method: 'GET', url: `/v1/campaigns/${C1}/ranking?format=csv`, headers: t.auth() });
    const [header, ...lines] = parseCsv(csv.body);
    const column = (name: string) => lines.map((line) => line[header!.indexOf(name)]);
    expect(column('significanceGroup')).toEqual(['1', '1', '1', '']);
    expect(column('tiedWith')).toEqual([B1, B2, '', '']);
    expect(column('scoreMeanCi95High')).toEqual(['', '100', '68.53', '']);
    expect(column('sectorPanelSufficient')).toEqual(['true', 'true', 'false', 'false']);
    expect(column('panelSufficient')).toEqual(['false', 'true', 'false', 'false']);
    expect(column('warnings')[1]).toBe('');
    expect(column('warnings')[0]).toMatch(/^2 probes sent to this brand/);
  });

  it('refuses a weekly series on week rows, and a period that ends before it starts', async () => {
    for (const query of ['groupBy=week&series=week', 'from=2026-03-09T00:00:00Z&to=2026-03-02T00:00:00Z']) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/stats?${query}`, headers: t.auth() });
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});

describe('what feeds the statistics: overrides, closed campaigns, and who may read them', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
    await insertReferenceData(t.db.pool);
  });
  afterAll(async () => t?.close());

  const get = async (url: string, key?: string) => t.app.inject({ method: 'GET', url, headers: t.auth(key) });

  /** A campaign of its own, with one brand and mailbox M1 (persona Marie Dupont). */
  async function campaign(name: string, brandId: string, closedAt: Date | null = null): Promise<string> {
    const { rows } = await t.db.pool.query<{ id: string }>(
      `insert into campaigns (name, status, closed_at) values ($1, $2, $3) returning id`,
      [name, closedAt ? 'closed' : 'running', closedAt],
    );
    const id = rows[0]!.id;
    await t.db.pool.query('insert into campaign_brands values ($1, $2)', [id, brandId]);
    await t.db.pool.query('insert into campaign_mailboxes values ($1, $2)', [id, M1]);
    return id;
  }

  async function sentProbe(campaignId: string, brandId: string, sentAt: Date): Promise<string> {
    const { rows: scenarios } = await t.db.pool.query<{ id: string }>(
      `insert into scenarios (name, subject, body, expected_points)
       values ('Retard', 'Retard de livraison', 'Où en est ma commande ?', '[{"label": "date de livraison", "keywords": ["jeudi", "livraison"]}]')
       returning id`,
    );
    const { rows } = await t.db.pool.query<{ id: string }>(
      `insert into probes (campaign_id, brand_id, scenario_id, mailbox_id, sent_at, status, subject, body)
       values ($1, $2, $3, $4, $5, 'sent', 'Retard de livraison', 'Où en est ma commande ?') returning id`,
      [campaignId, brandId, scenarios[0]!.id, M1, sentAt],
    );
    await recomputeOutcome(t.db.pool, rows[0]!.id);
    return rows[0]!.id;
  }

  it("follows an auditor's override into the note and the form rates", async () => {
    const campaignId = await campaign('Overrides', B1);
    const sentAt = new Date('2025-03-11T07:00:00Z');
    const probeId = await sentProbe(campaignId, B1, sentAt);
    const source = readFileSync(new URL('../fixtures/analysis/fr-gmail-agent.eml', import.meta.url));
    const replyId = await insertMessage(t.db.pool, { mailboxId: M1, probeId, receivedAt: new Date(sentAt.getTime() + 2 * HOUR), source });
    await recomputeOutcome(t.db.pool, probeId);

    const url = `/v1/stats?campaignId=${campaignId}`;
    expect((await get(url)).json().rows[0]).toMatchObject({ answered: 1, answersAnalysed: 0, scoredProbes: 0, scoreMean: null });

    expect(await analyseStoredReply(t.db.pool, replyId)).toBe('analysed');
    const reply = (await get(`/v1/replies/${replyId}`)).json();
    const form = reply.analysis.result.form;
    const automatic = (await get(url)).json().rows[0];
    expect(automatic).toMatchObject({
      answersAnalysed: 1,
      scoredProbes: 1,
      scoreMean: reply.score.note,
      spellingErrorRate: reply.analysis.result.spelling.errors.length > 0 ? 1 : 0,
      logoRate: form.logo.present ? 1 : 0,
      signatureRate: form.signature.present ? 1 : 0,
    });

    // every criterion of the note at 10 out of 20 makes it 50 (15 + 25 + 10); middling values leave the form figures as found
    const inNote = ['delay', 'greeting', 'personalisation', 'thanks', 'relevance', 'completeness', 'spelling', 'typography', 'closing', 'signature', 'logo', 'charter'];
    const criteria = Object.fromEntries(inNote.map((id) => [id, { value: 10, comment: 'revu à la main' }]));
    const put = async (body: object) => {
      const res = await t.app.inject({ method: 'PUT', url: `/v1/replies/${replyId}/evaluation`, headers: t.auth(), payload: { criteria: body } });
      expect(res.statusCode, res.body).toBe(200);
    };
    await put(criteria);
    expect((await get(url)).json().rows[0]).toMatchObject({ scoreMean: 50, logoRate: automatic.logoRate, signatureRate: automatic.signatureRate });

    // 0 says the logo is absent, 20 that a person signed; the welcome part becomes (215 / 20) = 10.75, the note 15 + 25 + 10.8
    await put({ ...criteria, logo: { value: 0, comment: 'pas de logo' }, signature: { value: 20, comment: 'signé Sophie Martin' } });
    expect((await get(url)).json().rows[0]).toMatchObject({ scoreMean: 50.8, logoRate: 0, signatureRate: 1 });
    const ranking = (await get(`/v1/campaigns/${campaignId}/ranking`)).json();
    expect(ranking.sectors[0].leader).toEqual({ brandId: B1, name: 'Banque Alpha', scoreMean: 50.8 });
  });

  it('ignores a reply that arrives after its campaign closed', async () => {
    const sentAt = new Date('2026-04-06T09:00:00Z');
    const campaignId = await campaign('Fermée', B2, new Date(sentAt.getTime() + 10 * HOUR));
    const inTime = await sentProbe(campaignId, B2, sentAt);
    const lateOne = await sentProbe(campaignId, B2, sentAt);
    await insertMessage(t.db.pool, { mailboxId: M1, probeId: inTime, receivedAt: new Date(sentAt.getTime() + 2 * HOUR) });
    await recomputeOutcome(t.db.pool, inTime);
    // the late answer lands unmatched, and an auditor attaches it by hand
    const late = await insertMessage(t.db.pool, { mailboxId: M1, probeId: null, receivedAt: new Date(sentAt.getTime() + 20 * HOUR) });
    const assign = await t.app.inject({ method: 'POST', url: `/v1/messages/${late}/assign`, headers: t.auth(), payload: { probeId: lateOne, kind: 'answer' } });
    expect(assign.statusCode, assign.body).toBe(200);
    expect((await get(`/v1/replies/${late}`)).json()).toMatchObject({ late: true });

    const [row] = (await get(`/v1/stats?campaignId=${campaignId}&groupBy=brand`)).json().rows;
    expect(row).toMatchObject({
      group: { key: B2 },
      probes: 2,
      answered: 1,
      responseRateAfterReminder: 0.5,
      delayP50Hours: 2,
      delayMeanHours: 2,
      delayHistogram: { from1To4h: 1, noAnswer: 1 },
      // the unanswered probe scores 0; the in-time answer is not analysed
      scoredProbes: 1,
      scoreMean: 0,
    });
  });

  it('lets a reader key read everything and write nothing', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/v1/keys', headers: t.auth(), payload: { label: 'tableau de bord', role: 'reader' } });
    expect(created.statusCode, created.body).toBe(201);
    const reader = created.json().key as string;
    for (const url of ['/v1/stats?groupBy=sector', '/v1/stats?groupBy=week&format=csv', `/v1/campaigns/${C1}/ranking`, `/v1/campaigns/${C1}/ranking?format=csv`]) {
      expect((await get(url, reader)).statusCode, url).toBe(200);
    }
    const write = await t.app.inject({ method: 'POST', url: '/v1/sectors', headers: t.auth(reader), payload: { name: 'Assurance' } });
    expect(write.statusCode).toBe(403);
    expect(write.headers['content-type']).toMatch(/^application\/problem\+json/);
    const evaluation = await t.app.inject({ method: 'PUT', url: `/v1/replies/${randomUUID()}/evaluation`, headers: t.auth(reader), payload: { criteria: {} } });
    expect(evaluation.statusCode).toBe(403);
  });
});

describe('rate limit', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ rateLimitPerMinute: 3 });
  });
  afterAll(async () => t?.close());

  it('answers 429 as a problem once a key has used its requests of the minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.app.inject({ method: 'GET', url: '/v1/stats', headers: t.auth() })).statusCode);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await t.app.inject({ method: 'GET', url: '/v1/stats?format=csv', headers: t.auth() });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(limited.headers['retry-after']).toBeDefined();
  });
});
