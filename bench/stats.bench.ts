/**
 * Benchmark of the statistics API: `npm run bench:stats -- [--probes 1000000] [--rounds 40]`.
 *
 * Over the dataset of `lib/stats-dataset.ts` (made once, then reused), a real Fastify app
 * from `buildApp` listens on a free port and answers over HTTP; after a warm-up, each request
 * is timed from send to last byte, one at a time:
 * - one campaign grouped by brand (each campaign in turn, about probes / 20 probes each),
 * - everything grouped by sector,
 * - the weekly series: everything by sector with each sector's series week by week, and the
 *   single series of everything by week,
 * - a campaign's ranking,
 * - the dashboard's campaign page (signed in with a session cookie): headline figures, the
 *   three charts drawn on the server, the ranking by sector.
 * Before timing, the percentiles the API computes are checked against PostgreSQL's own
 * `percentile_cont` over the raw outcomes. Prints a table, then one JSON line, last.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/api/app.ts';
import { createPool } from '../src/db/pool.ts';
import { computeStats } from '../src/db/stats.repo.ts';
import { createLogger } from '../src/logger.ts';
import { createSecretBox } from '../src/secrets.ts';
import { ensureStatsDataset } from './lib/stats-dataset.ts';

const { values } = parseArgs({ options: { probes: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '40' } } });
const probes = Number(values.probes);
const rounds = Number(values.rounds);
if (!Number.isInteger(probes) || probes < 1000) throw new Error('--probes must be an integer of at least 1000');
if (!Number.isInteger(rounds) || rounds < 5) throw new Error('--rounds must be an integer of at least 5');

const log = (line: string) => process.stderr.write(`${line}\n`);
const dataset = await ensureStatsDataset(probes, log);
const pool = createPool(dataset.url, 10);

/** The API's percentiles, to the last bit, against PostgreSQL's over the raw outcomes. */
async function checkExactness(): Promise<boolean> {
  const api = await computeStats(pool, { filter: {}, groupBy: 'sector', series: null });
  const { rows } = await pool.query<{ key: string; p: number[]; b: number }>(
    `select sector_id::text as key, percentile_cont(array[0.5, 0.9]) within group (order by delay_hours) as p,
            percentile_cont(0.5) within group (order by business_delay_hours) as b
       from outcomes where sent_at is not null group by sector_id`,
  );
  const raw = new Map(rows.map((r) => [r.key, r]));
  return api.rows.every((row) => {
    const expected = raw.get(row.group.key as string);
    return expected !== undefined && row.delayP50Hours === expected.p[0] && row.delayP90Hours === expected.p[1] && row.businessDelayP50Hours === expected.b;
  });
}
const exact = await checkExactness();

const adminKey = randomBytes(24).toString('hex');
const app = await buildApp({
  pool,
  redis: null,
  secretBox: createSecretBox(randomBytes(32)),
  logger: createLogger('silent'),
  adminKey,
  rateLimitPerMinute: 1_000_000,
});
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const headers = { authorization: `Bearer ${adminKey}` };

/** The dashboard's session: the sign-in form's CSRF cookie and token, then the session cookie. */
async function dashboardCookie(): Promise<string> {
  const form = await fetch(`${base}/login`);
  const csrfCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const signIn = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, key: adminKey }).toString(),
  });
  if (signIn.status !== 303) throw new Error(`dashboard sign-in: HTTP ${signIn.status}`);
  return signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}
const dashboardHeaders = { cookie: await dashboardCookie() };

async function timed(path: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, { headers: path.startsWith('/v1/') ? headers : dashboardHeaders });
  await res.arrayBuffer();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
  return ms;
}

const campaign = (round: number) => dataset.campaignIds[round % dataset.campaignIds.length] as string;
const cases = [
  { name: 'one campaign by brand', path: (round: number) => `/v1/stats?campaignId=${campaign(round)}&groupBy=brand` },
  { name: 'everything by sector', path: () => '/v1/stats?groupBy=sector' },
  { name: 'weekly series by sector', path: () => '/v1/stats?groupBy=sector&series=week' },
  { name: 'everything by week', path: () => '/v1/stats?groupBy=week' },
  { name: 'campaign ranking', path: (round: number) => `/v1/campaigns/${campaign(round)}/ranking` },
  { name: 'dashboard campaign page', path: (round: number) => `/campaigns/${campaign(round)}` },
] as const;

for (let round = 0; round < 5; round++) for (const c of cases) await timed(c.path(round));
const timings = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let round = 0; round < rounds; round++) for (const c of cases) timings.get(c.name)!.push(await timed(c.path(round)));

/** Nearest-rank percentile of measured times. */
function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}
const figure = (name: string, q: number) => Math.round(quantile(timings.get(name)!, q) * 10) / 10;
const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
const { rows: sizes } = await pool.query<{ rollups: number; megabytes: number }>(
  `select count(*)::int as rollups, (pg_total_relation_size('outcome_rollups') / 1048576)::int as megabytes from outcome_rollups where probes > 0`,
);
await app.close();
await pool.end();

console.log(`statistics over HTTP: ${probes.toLocaleString('en')} probes in ${sizes[0]?.rollups.toLocaleString('en')} rollups (${sizes[0]?.megabytes} MB), ${rounds} rounds, warm`);
console.log(`percentiles equal to PostgreSQL's percentile_cont over the raw outcomes: ${exact ? 'yes' : 'NO'}`);
console.log('');
console.log(`${'request'.padEnd(26)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'max ms'.padStart(9)}`);
for (const c of cases) console.log(`${c.name.padEnd(26)}${String(figure(c.name, 0.5)).padStart(9)}${String(figure(c.name, 0.95)).padStart(9)}${String(figure(c.name, 1)).padStart(9)}`);
console.log(`${'resident memory'.padEnd(26)}${`${rssMb} MB`.padStart(9)}`);
console.log(
  JSON.stringify({
    bench: 'stats',
    probes,
    campaignByBrandP50Ms: figure('one campaign by brand', 0.5),
    campaignByBrandP95Ms: figure('one campaign by brand', 0.95),
    allBySectorP50Ms: figure('everything by sector', 0.5),
    allBySectorP95Ms: figure('everything by sector', 0.95),
    weeklyP95Ms: figure('weekly series by sector', 0.95),
    allByWeekP95Ms: figure('everything by week', 0.95),
    rankingP95Ms: figure('campaign ranking', 0.95),
    dashboardCampaignP50Ms: figure('dashboard campaign page', 0.5),
    dashboardCampaignP95Ms: figure('dashboard campaign page', 0.95),
    rssMb,
    exactPercentiles: exact,
  }),
);
