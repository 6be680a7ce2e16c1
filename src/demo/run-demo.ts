/**
 * `sonde demo`, its core: a whole campaign against simulated brands, from an empty machine
 * to the results table, in about a minute. Everything it needs is what `npm test` needs
 * (PostgreSQL, Redis, Debian's Dovecot, root to start it); everything it makes goes away
 * with `stop()`.
 *
 * Time is compressed: an hour lasts `msPerHour` milliseconds for the service's sending and
 * reminders and for the brands alike, so a reminder "24 h" after a probe goes out seconds
 * later, and the delays measured are the hours the brands' behaviours say. The clock of both
 * is set two days back (see `CLOCK_BEHIND_MS`).
 */
import type { Config } from '../config.ts';
import type { SimulatorEvent } from '../devtools/brand-simulator.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { Queues, QueueName } from '../queue/queues.ts';
import { ApiClient } from './api-client.ts';
import { startEnvironment } from './demo-environment.ts';
import { createDemoCampaign, type DemoCampaign } from './demo-setup.ts';
import { DEMO_PERSONAS, DEMO_SCENARIOS, demoBrands } from './demo-world.ts';
import { ProgressReport, type ProbeView } from './progress.ts';
import { fetchResults, formatTable, type DemoRow } from './results.ts';
import { writeDemoReport } from './demo-report.ts';

export interface DemoOptions {
  /** Where PostgreSQL and Redis are (the demo makes a database of its own on that server). */
  config: Config;
  /** Simulated brands, one behaviour each in turn (default 12: every behaviour once). */
  brands?: number;
  /** API port; a free one by default. */
  port?: number;
  /** Real milliseconds a simulated hour lasts. */
  msPerHour?: number;
  seed?: number;
  /** Where the progress and the table go, line by line. */
  write?: (line: string) => void;
  logger?: Logger;
  /** Aborting tears everything down and rejects. */
  signal?: AbortSignal;
}

export interface DemoRun {
  rows: DemoRow[];
  /** `rows` as printed. */
  table: string[];
  apiUrl: string;
  adminKey: string;
  campaignId: string;
  /** The campaign's PDF report, written at the end. */
  reportPath: string;
  /** Stops the service and removes the database, the mail server and the queue keys. */
  stop(): Promise<void>;
}

/** An hour lasts a second: twelve brands take about 40 s, start and teardown included. */
const DEFAULT_MS_PER_HOUR = 1000;
const PROBES_PER_BRAND = 2;
/** The probes go out over the first simulated hours of the campaign. */
const PERIOD_HOURS = 12;
/** After its last probe, a campaign's brands are done within 24 h (reminder) + 3 h (the slowest answer to it). */
const SETTLING_HOURS = 24 + 3;
const TICK_MS = 300;
/**
 * The worker's and the brands' clock runs this far behind real time, so that replies dated
 * up to a day and a few hours after their probe are never in the future (an IMAP server moves
 * such dates to the present): probes and replies carry dates of two days ago.
 */
const CLOCK_BEHIND_MS = 48 * 3600_000;

export async function runDemo(options: DemoOptions): Promise<DemoRun> {
  const write = options.write ?? (() => {});
  const msPerHour = options.msPerHour ?? DEFAULT_MS_PER_HOUR;
  const seed = options.seed ?? 2026;
  const brands = demoBrands(options.brands ?? 12);
  const signal = options.signal ?? new AbortController().signal;

  write(`Sonde demo: one campaign against ${brands.length} simulated brands, an hour lasting ${msPerHour} ms.`);
  write('');
  // Until the campaign is made, brands have nothing to do; from then on, every reply asks for a poll.
  let onSimulatorEvent: (event: SimulatorEvent) => void = () => {};
  const env = await startEnvironment({
    config: options.config,
    port: options.port ?? 0,
    timing: { now: () => new Date(Date.now() - CLOCK_BEHIND_MS), msPerHour },
    brands,
    personas: DEMO_PERSONAS,
    answers: Object.fromEntries(DEMO_SCENARIOS.map((s) => [s.subject, s.answer])),
    seed,
    logger: options.logger ?? createLogger('warn'),
    onSimulatorEvent: (event) => onSimulatorEvent(event),
    say: (line) => write(`  ✓ ${line}`),
  });
  try {
    signal.throwIfAborted();
    const api = new ApiClient(env.apiUrl, env.adminKey);
    const campaign = await createDemoCampaign(api, {
      brands,
      personas: env.personas,
      scenarios: DEMO_SCENARIOS,
      smtp: env.simulator.smtp,
      probesPerBrand: PROBES_PER_BRAND,
      periodMs: PERIOD_HOURS * msPerHour,
      seed,
    });
    const progress = new ProgressReport({
      api,
      campaignId: campaign.campaignId,
      brands: new Map([...campaign.brands].map(([id, brand]) => [id, brand.name])),
      personas: new Map([...campaign.mailboxes].map(([id, persona]) => [id, `${persona.firstName} ${persona.lastName}`])),
      clock: () => (Date.now() - campaign.startedAt.getTime()) / msPerHour,
      write,
    });
    const polls = new PollRequests(api, campaign, write);
    onSimulatorEvent = (event) => {
      progress.simulatorEvent(event);
      if (event.type === 'replied') polls.request(event.persona.address);
    };

    write('');
    write('The brands, as the simulator plays them:');
    const width = Math.max(...brands.map((b) => b.name.length));
    for (const brand of brands) write(`  ${brand.name.padEnd(width)}  ${brand.summary}`);
    write('');
    await api.post(`/v1/campaigns/${campaign.campaignId}/schedule`);
    write(
      `Campaign scheduled: ${campaign.probes} probes (${PROBES_PER_BRAND} per brand, ${DEMO_SCENARIOS.length} scenarios, ` +
        `${env.personas.length} personas) over ${PERIOD_HOURS} simulated hours; a reminder 24 h after any probe left unanswered.`,
    );
    write('Each line is stamped h+N: simulated hours since the campaign started.');
    write('');

    await waitUntilSettled({ progress, polls, env, campaign, msPerHour, signal });
    if (env.simulator.errors.length > 0) throw new AggregateError(env.simulator.errors, 'the brand simulator failed');

    const rows = await fetchResults(api, campaign.campaignId, campaign.brands);
    const table = formatTable(rows);
    write('');
    write(`Results after ${((Date.now() - campaign.startedAt.getTime()) / msPerHour).toFixed(0)} simulated hours (GET /v1/stats?groupBy=brand and /v1/campaigns/:id/ranking):`);
    write('');
    for (const line of table) write(line);
    const report = await writeDemoReport(env.apiUrl, env.adminKey, campaign.campaignId);
    write('');
    write(`The campaign's report (PDF, ${report.pages} pages; also GET /v1/campaigns/${campaign.campaignId}/report): ${report.path}`);
    return { rows, table, apiUrl: env.apiUrl, adminKey: env.adminKey, campaignId: campaign.campaignId, reportPath: report.path, stop: env.stop };
  } catch (err) {
    await env.stop().catch((cleanup: unknown) => write(`  ! cleanup failed: ${(cleanup as Error).message}`));
    throw err;
  }
}

/** Polls asked through the API (`POST /v1/mailboxes/:id/sync`), tracked until the service has queued them. */
class PollRequests {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly mailboxIds: Map<string, string>;

  constructor(
    private readonly api: ApiClient,
    campaign: DemoCampaign,
    private readonly write: (line: string) => void,
  ) {
    this.mailboxIds = new Map([...campaign.mailboxes].map(([id, persona]) => [persona.address.toLowerCase(), id]));
  }

  get pending(): number {
    return this.inFlight.size;
  }

  request(address: string): void {
    const mailboxId = this.mailboxIds.get(address.toLowerCase());
    if (!mailboxId) return;
    const asking: Promise<void> = this.api
      .post(`/v1/mailboxes/${mailboxId}/sync`)
      .then(() => undefined, (err: unknown) => this.write(`  ! poll of ${address} not queued: ${(err as Error).message}`))
      .finally(() => this.inFlight.delete(asking));
    this.inFlight.add(asking);
  }

  requestAll(): void {
    for (const address of this.mailboxIds.keys()) this.request(address);
  }
}

interface Watch {
  progress: ProgressReport;
  polls: PollRequests;
  env: { simulator: { pending: number }; queues: Queues };
  campaign: DemoCampaign;
  msPerHour: number;
  signal: AbortSignal;
}

/**
 * Until the campaign has nothing left to do: every probe out, every reminder sent or
 * cancelled, every brand done, every reply read and analysed. Then one last poll of every
 * mailbox, so that nothing a brand wrote is left unread.
 */
async function waitUntilSettled(watch: Watch): Promise<void> {
  const deadline = Date.now() + (PERIOD_HOURS + SETTLING_HOURS + 10) * watch.msPerHour + 60_000;
  const idle = async (probes: readonly ProbeView[]) =>
    probes.length === watch.campaign.probes &&
    probes.every((p) => p.status !== 'planned' && p.status !== 'sending') &&
    watch.env.simulator.pending === 0 &&
    watch.polls.pending === 0 &&
    (await queuesIdle(watch.env.queues));

  let finalPoll = false;
  for (;;) {
    watch.signal.throwIfAborted();
    const probes = await watch.progress.refresh();
    if (await idle(probes)) {
      if (finalPoll) return;
      finalPoll = true;
      watch.polls.requestAll();
    }
    if (Date.now() > deadline) {
      const waiting = probes.filter((p) => p.status === 'planned' || p.status === 'sending').length;
      throw new Error(`the demo campaign did not settle in time: ${waiting} probes still to send, ${watch.env.simulator.pending} brand replies to come`);
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
}

/** Nothing queued or running that would change the figures; the polls' own schedule and the campaign's closing do not count. */
async function queuesIdle(queues: Queues): Promise<boolean> {
  const busy: Array<[QueueName, ('waiting' | 'active' | 'delayed' | 'prioritized')[]]> = [
    ['send-probe', ['waiting', 'active', 'delayed', 'prioritized']],
    ['send-reminder', ['waiting', 'active', 'delayed', 'prioritized']],
    ['analyse-reply', ['waiting', 'active', 'delayed', 'prioritized']],
    ['poll-mailbox', ['waiting', 'active', 'prioritized']],
  ];
  for (const [name, states] of busy) {
    const counts = await queues[name].getJobCounts(...states);
    if (Object.values(counts).some((n) => n > 0)) return false;
  }
  return true;
}
