/**
 * `sonde demo` in the test suite: the whole demo, with its own database, Dovecot, brand
 * simulator and service, run with the four brands whose figures say the most. What it
 * prints and returns must be what their behaviours imply: the silent brand at 0 %, the fast
 * one within 4 h, the one that waits for the reminder counted after the reminder only, the
 * one that acknowledges and answers the next day within 24 h but not 4 h.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { BEHAVIOURS, type BehaviourName } from '../../src/devtools/brand-behaviours.ts';
import { runDemo, type DemoRun } from '../../src/demo/run-demo.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_SERVER_URL, databaseUrl } from '../support/database.ts';

/** An hour lasts 400 ms: the 24-hour reminder comes 9.6 s after its probe. */
const MS_PER_HOUR = 400;

let run: DemoRun | undefined;
let stopped = false;
const lines: string[] = [];

beforeAll(async () => {
  run = await runDemo({
    config: loadConfig({ DATABASE_URL: TEST_SERVER_URL, REDIS_URL: process.env.REDIS_URL }),
    brands: 4,
    msPerHour: MS_PER_HOUR,
    write: (line) => lines.push(line),
    logger: createLogger((process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
  });
}, 120_000);

afterAll(async () => {
  if (!stopped) await run?.stop();
});

function row(behaviour: BehaviourName) {
  const found = run!.rows.find((r) => r.behaviour === behaviour);
  if (!found) throw new Error(`no row for the ${behaviour} brand in ${JSON.stringify(run!.rows)}`);
  return found;
}

/** The printed table's line of a brand. */
function printed(brand: string): string {
  const line = lines.find((l) => l.startsWith(`${brand} `));
  if (!line) throw new Error(`the table has no line for ${brand}:\n${lines.join('\n')}`);
  return line;
}

/** A behaviour's answer delay bounds, in hours after the probe (after the reminder: 24 h later). */
function delayBounds(behaviour: BehaviourName, afterReminder = false): [number, number] {
  const plan = [...BEHAVIOURS[behaviour].onProbe, ...BEHAVIOURS[behaviour].onReminder].find((p) => p.kind === 'answer')!;
  const shift = afterReminder ? 24 : 0;
  return [plan.hours[0] + shift, plan.hours[1] + shift];
}

describe('sonde demo, with four brands', () => {
  it('gives the brand that never answers 0 % everywhere, no delay and a note of 0', () => {
    expect(row('silent')).toMatchObject({ probes: 2, answered: 0, within4h: 0, within24h: 0, afterReminder: 0, medianDelayHours: null, score: 0 });
    expect(printed('Maison Muette')).toMatch(/^Maison Muette\s+0 %\s+0 %\s+0 %\s+0 %\s+—\s+—\s+—\s+0\.0\s+4$/);
  });

  it('counts the fast brand within 4 h, with the delay its behaviour draws', () => {
    const fast = row('fast');
    expect(fast).toMatchObject({ probes: 2, answered: 1, within4h: 1, within24h: 1, afterReminder: 1, errorsPer100Words: 0, logoRate: 0, rank: 1 });
    const [min, max] = delayBounds('fast');
    expect(fast.medianDelayHours).toBeGreaterThanOrEqual(min - 0.01);
    expect(fast.medianDelayHours).toBeLessThanOrEqual(max + 0.01);
    expect(printed('Éclair Boutique')).toMatch(/^Éclair Boutique\s+100 %\s+100 %\s+100 %\s+100 %\s+0\.\d h\s+none\s+no\s+\d+\.\d\s+1$/);
  });

  it('counts the brand that waits for the reminder after the reminder only', () => {
    const late = row('after-reminder');
    expect(late).toMatchObject({ probes: 2, answered: 0, within4h: 0, within24h: 0, afterReminder: 1 });
    const [min, max] = delayBounds('after-reminder', true);
    expect(late.medianDelayHours).toBeGreaterThan(min);
    // the reminder goes out a little after its 24 h: a worker picks it up, has the mailbox read
    // first (a sync of a few hundred ms: about an hour of 400 ms, more on a loaded machine), and
    // the SMTP conversation takes its time
    expect(late.medianDelayHours).toBeLessThan(max + 4);
    expect(printed('Escargot Électro')).toMatch(/^Escargot Électro\s+0 %\s+0 %\s+0 %\s+100 %\s+[23]\d\.\d h/);
  });

  it('counts the brand that acknowledges then answers the next day within 24 h but not 4 h, before any reminder', () => {
    const nextDay = row('acknowledge-then-answer');
    expect(nextDay).toMatchObject({ probes: 2, answered: 1, within4h: 0, within24h: 1, afterReminder: 1 });
    const [min, max] = delayBounds('acknowledge-then-answer');
    expect(nextDay.medianDelayHours).toBeGreaterThanOrEqual(min - 0.01);
    expect(nextDay.medianDelayHours).toBeLessThanOrEqual(max + 0.01);
  });

  it('ranks the answering brands above those that do not answer in time, and the silent one last', () => {
    const byRank = [...run!.rows].sort((a, b) => a.rank! - b.rank!).map((r) => r.behaviour);
    expect(byRank[0]).toBe('fast');
    expect(byRank.at(-1)).toBe('silent');
    expect(row('acknowledge-then-answer').score!).toBeGreaterThan(row('after-reminder').score!);
    expect(row('after-reminder').score!).toBeGreaterThan(0);
  });

  it('shows the progress: probes and reminders sent, what the brands do, replies synced and analysed', () => {
    const shown = (pattern: RegExp) => expect(lines.some((line) => pattern.test(line)), `no line like ${pattern}`).toBe(true);
    shown(/h\+\d+\.\d {2}sent {6}(Marie Dupont|Thomas Lefèvre) → Éclair Boutique: « (Commande non reçue|Retour d'un article) »$/);
    shown(/brand {5}Demain Déco sends (Marie Dupont|Thomas Lefèvre) an automatic receipt, \d+ min after the probe$/);
    shown(/synced {4}acknowledgement from Demain Déco in .* mailbox, matched to its probe by thread \(1\.00\)$/);
    shown(/analysed {2}Éclair Boutique's answer to .*: no spelling error, note \d+\.\d\/100$/);
    shown(/reminder {2}.* → Escargot Électro: « Re: .* », no answer after 24 h$/);
    shown(/brand {5}Escargot Électro answers .*, [23]\d\.\d h after the probe$/);
    // an answer before the 24 h cancels the reminder
    expect(lines.filter((line) => /reminder {2}.* → (Éclair Boutique|Demain Déco)/.test(line))).toEqual([]);
    expect(lines.filter((line) => /reminder {2}.* → (Maison Muette|Escargot Électro)/.test(line))).toHaveLength(4);
  });

  it("ends by writing the campaign's PDF report and printing its path", () => {
    const printedPath = lines.map((line) => /^The campaign's report \(PDF, \d+ pages; .*\): (.+\.pdf)$/.exec(line)?.[1]).find(Boolean);
    expect(printedPath).toBe(run!.reportPath);
    expect(readFileSync(run!.reportPath).subarray(0, 5).toString()).toBe('%PDF-');
    const text = execFileSync('pdftotext', [run!.reportPath, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    for (const brand of ['Maison Muette', 'Éclair Boutique', 'Escargot Électro', 'Demain Déco']) expect(text).toContain(brand);
  });

  it('serves the same figures through the API with the admin key it prints, and removes everything when stopped', async () => {
    expect(lines.some((line) => line.includes(run!.apiUrl))).toBe(true);
    const response = await fetch(`${run!.apiUrl}/v1/stats?campaignId=${run!.campaignId}&groupBy=brand`, {
      headers: { authorization: `Bearer ${run!.adminKey}` },
    });
    expect(response.status).toBe(200);
    const stats = (await response.json()) as { rows: { responseRateAfterReminder: number | null }[] };
    expect(stats.rows.map((r) => r.responseRateAfterReminder).sort()).toEqual([0, 1, 1, 1]);

    const database = /PostgreSQL database (sonde_demo_\w+)/.exec(lines.join('\n'))?.[1];
    expect(database).toBeDefined();
    stopped = true;
    await run!.stop();
    await expect(fetch(`${run!.apiUrl}/health`)).rejects.toThrow();
    const client = new pg.Client({ connectionString: databaseUrl('postgres') });
    await client.connect();
    try {
      expect((await client.query('select 1 from pg_database where datname = $1', [database])).rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
