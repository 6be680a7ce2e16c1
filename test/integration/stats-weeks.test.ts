/**
 * Weekly statistics on the campaign's clock: weeks start on Monday 00:00 in the campaign's
 * timezone, across clock changes; a scope of several timezones is cut on its first
 * campaign's, and says so. Expected weeks are worked out from the local clocks by hand; the
 * exact figures are checked against PostgreSQL's own percentile_cont over the outcomes.
 * And business time: public holidays are closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeStats } from '../../src/db/stats.repo.ts';
import { recomputeOutcome } from '../../src/flow/recompute-outcome.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

const HOUR = 3600_000;
const S1 = 'a2000000-0000-4000-8000-000000000001';
const B1 = 'b2000000-0000-4000-8000-000000000001';
const M1 = 'c2000000-0000-4000-8000-000000000001';
const PARIS = 'd2000000-0000-4000-8000-000000000001';
const NEW_YORK = 'd2000000-0000-4000-8000-000000000002';

/**
 * | probe | campaign | sent (UTC) | local clock | week (local Monday) | delay h |
 * | q1 | Paris | Sun 2026-03-01 23:30 | Mon 03-02 00:30 CET | 2026-03-02 (UTC would say 02-23) | 2 |
 * | q2 | Paris | Sun 2026-03-01 22:30 | Sun 03-01 23:30 CET | 2026-02-23 | 5 |
 * | q3 | Paris | Sun 2026-03-29 22:30 | Mon 03-30 00:30 CEST (clocks went forward that night) | 2026-03-30 | 1 |
 * | q4 | Paris | Sun 2026-03-29 21:30 | Sun 03-29 23:30 CEST | 2026-03-23 | 7 |
 * | n1 | New York | Mon 2026-03-02 03:00 | Sun 03-01 22:00 EST | 2026-02-23 in New York; 2026-03-02 on Paris' clock | 4 |
 */
const PROBES = [
  { id: 'e2000000-0000-4000-8000-000000000001', campaign: PARIS, sentAt: '2026-03-01T23:30:00Z', delay: 2 },
  { id: 'e2000000-0000-4000-8000-000000000002', campaign: PARIS, sentAt: '2026-03-01T22:30:00Z', delay: 5 },
  { id: 'e2000000-0000-4000-8000-000000000003', campaign: PARIS, sentAt: '2026-03-29T22:30:00Z', delay: 1 },
  { id: 'e2000000-0000-4000-8000-000000000004', campaign: PARIS, sentAt: '2026-03-29T21:30:00Z', delay: 7 },
  { id: 'e2000000-0000-4000-8000-000000000005', campaign: NEW_YORK, sentAt: '2026-03-02T03:00:00Z', delay: 4 },
];

describe('weeks on the campaign clock', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
    const db = t.db.pool;
    await db.query(`insert into sectors (id, name) values ($1, 'Banque')`, [S1]);
    await db.query(`insert into brands (id, sector_id, name) values ($1, $2, 'Banque Alpha')`, [B1, S1]);
    const { rows } = await db.query<{ id: string }>(`insert into personas (first_name, last_name) values ('Marie', 'Dupont') returning id`);
    await db.query(
      `insert into mailboxes (id, label, address, persona_id, imap_host, imap_port, imap_user, imap_password_enc)
       values ($1, 'Boîte Marie', 'marie@test.example', $2, 'imap.test.example', 993, 'marie', 'sealed')`,
      [M1, rows[0]!.id],
    );
    // Paris starts first: its clock cuts the weeks of a scope holding both
    await db.query(
      `insert into campaigns (id, name, status, timezone, starts_at) values
         ($1, 'Paris', 'running', 'Europe/Paris', '2026-02-20T00:00:00Z'), ($2, 'New York', 'running', 'America/New_York', '2026-02-25T00:00:00Z')`,
      [PARIS, NEW_YORK],
    );
    await db.query('insert into campaign_brands values ($1, $3), ($2, $3)', [PARIS, NEW_YORK, B1]);
    for (const p of PROBES) {
      await db.query(`insert into probes (id, campaign_id, brand_id, mailbox_id, sent_at, status) values ($1, $2, $3, $4, $5, 'sent')`, [p.id, p.campaign, B1, M1, p.sentAt]);
      const answeredAt = new Date(new Date(p.sentAt).getTime() + p.delay * HOUR);
      await db.query(
        `insert into outcomes (probe_id, campaign_id, brand_id, sector_id, mailbox_id, sent_at, answered_at, delay_hours, business_delay_hours)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
        [p.id, p.campaign, B1, S1, M1, p.sentAt, answeredAt, p.delay],
      );
    }
  });
  afterAll(async () => t?.close());

  const stats = async (query: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/stats?${query}`, headers: t.auth() });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { weekTimeZone: string | null; rows: Array<{ group: { key: string }; probes: number; series?: Array<{ weekStart: string; probes: number }> }> };
  };
  const weeks = (body: Awaited<ReturnType<typeof stats>>) => body.rows.map((r) => [r.group.key, r.probes]);

  it("puts a probe sent on Sunday 23:30 UTC in a Paris campaign in the next Monday's week, across the clock change", async () => {
    const body = await stats(`campaignId=${PARIS}&groupBy=week`);
    expect(body.weekTimeZone).toBe('Europe/Paris');
    expect(weeks(body)).toEqual([
      ['2026-02-23', 1], // q2
      ['2026-03-02', 1], // q1
      ['2026-03-09', 0],
      ['2026-03-16', 0],
      ['2026-03-23', 1], // q4
      ['2026-03-30', 1], // q3
    ]);
  });

  it("cuts a campaign's weeks on its own clock, and a scope of several timezones on its first campaign's", async () => {
    const newYork = await stats(`campaignId=${NEW_YORK}&groupBy=week`);
    expect(newYork.weekTimeZone).toBe('America/New_York');
    expect(weeks(newYork)).toEqual([['2026-02-23', 1]]);
    // both campaigns: n1 falls in Paris' week of 2 March
    const both = await stats('groupBy=week');
    expect(both.weekTimeZone).toBe('Europe/Paris');
    expect(weeks(both)).toEqual([
      ['2026-02-23', 1],
      ['2026-03-02', 2],
      ['2026-03-09', 0],
      ['2026-03-16', 0],
      ['2026-03-23', 1],
      ['2026-03-30', 1],
    ]);
    const series = await stats('groupBy=campaign&series=week');
    expect(series.weekTimeZone).toBe('Europe/Paris');
    const newYorkRow = series.rows.find((r) => r.group.key === NEW_YORK)!;
    expect(newYorkRow.series!.filter((p) => p.probes > 0).map((p) => p.weekStart)).toEqual(['2026-03-02']);
    expect((await stats('groupBy=campaign')).weekTimeZone).toBeNull();
  });

  it("keeps every figure exact: percentile_cont over the outcomes, weeks on Paris' clock, whole and cut periods", async () => {
    const expected = async (from: string, to: string) => {
      const { rows } = await t.db.pool.query<{ week: string; probes: number; p: number[] }>(
        `select to_char(date_trunc('week', sent_at at time zone 'Europe/Paris'), 'YYYY-MM-DD') as week, count(*)::int as probes,
                percentile_cont(array[0.5, 0.9]) within group (order by delay_hours) as p
           from outcomes where sent_at >= $1 and sent_at < $2 group by 1 order by 1`,
        [from, to],
      );
      return rows.map((r) => ({ key: r.week, probes: r.probes, p50: r.p[0], p90: r.p[1] }));
    };
    const actual = async (from?: Date, to?: Date) =>
      (await computeStats(t.db.pool, { filter: { from, to }, groupBy: 'week', series: null })).rows
        .filter((r) => r.probes > 0)
        .map((r) => ({ key: r.group.key, probes: r.probes, p50: r.delayP50Hours, p90: r.delayP90Hours }));
    expect(await actual()).toEqual(await expected('-infinity', 'infinity'));
    // bounds on UTC midnights, which cut Paris' weeks: q2 and q1 before, n1, q4 and q3 inside
    const from = new Date('2026-03-02T00:00:00Z');
    const to = new Date('2026-03-30T00:00:00Z');
    expect(await actual(from, to)).toEqual(await expected(from.toISOString(), to.toISOString()));
    expect((await actual(from, to)).map((r) => r.probes)).toEqual([1, 1, 1]);
    // bounds on Paris' Mondays: whole stored weeks for Paris, New York's regrouped
    const parisFrom = new Date('2026-03-01T23:00:00Z');
    const parisTo = new Date('2026-03-29T22:00:00Z');
    expect(await actual(parisFrom, parisTo)).toEqual(await expected(parisFrom.toISOString(), parisTo.toISOString()));
    const [whole] = (await computeStats(t.db.pool, { filter: { from: parisFrom, to: parisTo }, groupBy: null, series: null })).rows;
    expect(whole).toMatchObject({ probes: 3, delayP50Hours: 4 }); // q1, n1, q4: 2, 4, 7
  });

  it('moves the probes of a campaign whose timezone changes to the weeks of its new clock', async () => {
    await t.db.pool.query(`update campaigns set timezone = 'UTC' where id = $1`, [PARIS]);
    try {
      const body = await stats(`campaignId=${PARIS}&groupBy=week`);
      expect(body.weekTimeZone).toBe('UTC');
      // q1 and q2 on Sunday 1 March, q3 and q4 on Sunday 29 March
      expect(weeks(body)).toEqual([
        ['2026-02-23', 2],
        ['2026-03-02', 0],
        ['2026-03-09', 0],
        ['2026-03-16', 0],
        ['2026-03-23', 2],
      ]);
    } finally {
      await t.db.pool.query(`update campaigns set timezone = 'Europe/Paris' where id = $1`, [PARIS]);
    }
    expect(weeks(await stats(`campaignId=${PARIS}&groupBy=week`))[0]).toEqual(['2026-02-23', 1]);
  });
});

describe('public holidays in business time', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => t?.close());

  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: t.auth(), ...(payload && { payload }) });

  it('takes a campaign holiday setting, checks it, and counts Easter Monday (and Good Friday in Moselle) as closed', async () => {
    const sector = (await call('POST', '/v1/sectors', { name: 'Banque' })).json();
    const brand = (await call('POST', '/v1/brands', { name: 'Banque Alpha', sectorId: sector.id })).json();
    const mailbox = (
      await call('POST', '/v1/mailboxes', {
        label: 'Boîte Marie',
        address: 'marie@test.example',
        persona: { firstName: 'Marie', lastName: 'Dupont' },
        imap: { host: '127.0.0.1', port: 1143, secure: false, user: 'marie', password: 'secret' },
      })
    ).json();
    const hours = { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' };
    const created = await call('POST', '/v1/campaigns', {
      name: 'Pâques',
      brandIds: [brand.id],
      mailboxIds: [mailbox.id],
      minProbesPerBrand: 1,
      minBrandsPerSector: 1,
    });
    expect(created.statusCode, created.body).toBe(201);
    const campaign = created.json();
    expect(campaign).toMatchObject({ minProbesPerBrand: 1, minBrandsPerSector: 1, businessHours: hours });

    // a probe of Good Friday 3 April 2026, 10:00 in Paris, answered on Tuesday 7 at 11:00 (Easter is on the 5th)
    const probe = await call('POST', '/v1/probes', {
      campaignId: campaign.id, brandId: brand.id, mailboxId: mailbox.id, channel: 'webform', sentAt: '2026-04-03T08:00:00Z',
    });
    expect(probe.statusCode, probe.body).toBe(201);
    const probeId = probe.json().id as string;
    const source = Buffer.from('Subject: Re: question\r\n\r\nBonjour');
    const { rows } = await t.db.pool.query<{ id: string }>(
      `insert into messages (mailbox_id, folder, uid_validity, uid, source_sha256, size, received_at, kind, probe_id)
       values ($1, 'INBOX', 1, 1, sha256($2), $3, '2026-04-07T09:00:00Z', 'answer', $4) returning id`,
      [mailbox.id, source, source.length, probeId],
    );
    await t.db.pool.query(`insert into replies (id, probe_id, kind, received_at) values ($1, $2, 'answer', '2026-04-07T09:00:00Z')`, [rows[0]!.id, probeId]);
    await recomputeOutcome(t.db.pool, probeId);
    const businessDelay = async () => (await call('GET', `/v1/replies/${rows[0]!.id}`)).json().businessDelayHours;
    // France's holidays by default in Europe/Paris: Friday 8 h, Easter Monday closed, Tuesday 2 h
    expect(await businessDelay()).toBe(10);

    const moselle = await call('PATCH', `/v1/campaigns/${campaign.id}`, { businessHours: { ...hours, holidays: { country: 'FR', region: '57' } } });
    expect(moselle.statusCode, moselle.body).toBe(200);
    expect(moselle.json().businessHours.holidays).toEqual({ country: 'FR', region: '57' });
    expect(await businessDelay()).toBe(2);
    const [row] = (await call('GET', `/v1/stats?campaignId=${campaign.id}`)).json().rows;
    expect(row).toMatchObject({ businessDelayP50Hours: 2, delayP50Hours: 97 });

    await call('PATCH', `/v1/campaigns/${campaign.id}`, { businessHours: { ...hours, holidays: { country: null } } });
    expect(await businessDelay()).toBe(19);

    const wrong = await call('PATCH', `/v1/campaigns/${campaign.id}`, {
      businessHours: { ...hours, holidays: { country: 'FR', region: 'Alsace', extraClosedDates: ['2027-05-14'] } },
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().errors).toEqual([{ field: 'body/businessHours/holidays/region', message: expect.stringContaining('one of 57, 67, 68') }]);
    const unknown = await call('PATCH', `/v1/campaigns/${campaign.id}`, { businessHours: { ...hours, holidays: { country: 'ZZ' } } });
    expect(unknown.statusCode).toBe(422);
    const noDate = await call('PATCH', `/v1/campaigns/${campaign.id}`, { businessHours: { ...hours, holidays: { country: 'FR', extraClosedDates: ['2027-02-30'] } } });
    expect(noDate.statusCode).toBe(400);
    const tooFew = await call('PATCH', `/v1/campaigns/${campaign.id}`, { minProbesPerBrand: 0 });
    expect(tooFew.statusCode).toBe(400);
  });
});
