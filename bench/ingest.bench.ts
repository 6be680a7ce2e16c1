/**
 * Benchmark of the mailbox sync: `npm run bench:ingest [-- --messages 5000 --probes 500 --polls 50 --seed 1]`.
 *
 * Starts its own Dovecot and database, declares a brand, a campaign and `--probes` sent
 * probes, and appends `--messages` generated brand replies of about 8 KB of branded HTML
 * (see `lib/mailbox-corpus.ts`). Then, in one run, so that the machine's mood is shared:
 * - baseline: imapflow fetching every message with its source, then mailparser's
 *   `simpleParser` on each, no database: the cost of reading the mail at all;
 * - ingest: the worker's first poll of that mailbox (`pollMailbox`: fetch, parse,
 *   classify, match, store, outcomes), wall clock;
 * - idle polls: the median of `--polls` polls of an unchanged mailbox holding 1,000 and
 *   then 5,000 messages, through the worker's connection cache as between real polls;
 * - IMAP IDLE (`lib/idle-bench.ts`): the time from APPEND to the row stored for
 *   `--idle-messages` messages appended one at a time, with the worker's watch up and no
 *   scheduled poll; then `--idle-mailboxes` mailboxes watched by one worker process: its
 *   IMAP connections and its memory.
 * Prints a table, then one JSON line, last (keys in /work/shared/BENCH.md).
 */
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { prepareMessage } from '../src/flow/prepare-message.ts';
import { pollMailbox, type PollReport } from '../src/queue/poll-mailbox.job.ts';
import { appendMessages, connectImap, type ImapServer, type ImapCredentials } from '../test/support/imap.ts';
import { openIngestBench, type IngestBench } from './lib/ingest-fixture.ts';
import { BENCH_BRAND, generateReplies, planProbes, type GeneratedReply, type ReplyKind } from './lib/mailbox-corpus.ts';
import { formatTable, median, peakRss, percentile, round, timed } from './lib/ingest-report.ts';
import { measureIdleHolding, measureIdleLatency } from './lib/idle-bench.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    probes: { type: 'string', default: '500' },
    polls: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    'idle-messages': { type: 'string', default: '50' },
    'idle-mailboxes': { type: 'string', default: '200' },
  },
});
const messageCount = positiveInteger('messages');
const probeCount = positiveInteger('probes');
const pollCount = positiveInteger('polls');
const seed = positiveInteger('seed');
const idleMessageCount = positiveInteger('idle-messages');
const idleMailboxCount = positiveInteger('idle-mailboxes');

/** Mailbox sizes the idle poll is measured at (the key names say them). */
const IDLE_SIZES = [1_000, 5_000] as const;
/** Messages parsed, untimed, before the baseline and the ingest, so that neither pays the JIT's warm-up. */
const WARM_UP_MESSAGES = 200;
const PERSONA = { firstName: 'Marie', lastName: 'Dupont' };
/** The first probe goes out on a Monday morning in Paris. */
const FIRST_PROBE = new Date('2026-01-05T08:00:00Z');

function positiveInteger(name: keyof typeof values): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const bench = await openIngestBench();
process.once('SIGINT', () => void bench.close().finally(() => process.exit(130)));
try {
  await run(bench);
} finally {
  await bench.close();
}

async function run(bench: IngestBench): Promise<void> {
  const { brandId, campaignId } = await bench.seedBrand(BENCH_BRAND);
  const ingestBox = await bench.createMailbox('Marie – ingest', PERSONA);
  const persona = { ...PERSONA, address: ingestBox.user.address };
  const probes = planProbes(probeCount, seed, FIRST_PROBE, persona);
  await bench.insertProbes(
    { campaignId, brandId, mailboxId: ingestBox.mailboxId, recipient: BENCH_BRAND.contactAddress, personaAddress: persona.address },
    probes,
  );
  const replies = generateReplies({ count: messageCount, seed, brand: BENCH_BRAND, persona, probes });
  const corpus = describeCorpus(replies);
  const largestIdle = IDLE_SIZES[IDLE_SIZES.length - 1]!;
  const idleReplies = replies.length >= largestIdle ? replies : generateReplies({ count: largestIdle, seed: seed + 1, brand: BENCH_BRAND, persona, probes });

  // Idle polls first, on a mailbox of their own that grows to each of IDLE_SIZES; the
  // ingest mailbox is filled meanwhile (another IMAP user: its own Dovecot process).
  let appendMs = 0;
  const idle = await measureIdlePolls(bench, idleReplies, async () => {
    appendMs = (await timed(() => appendMessages(bench.dovecot, ingestBox.user, 'INBOX', replies.map(({ raw, internalDate }) => ({ raw, internalDate }))))).ms;
  });
  await warmUp(replies.slice(0, WARM_UP_MESSAGES).map((r) => r.raw), bench.maxMessageBytes);
  // the ingest's memory figure should not carry the generated corpus
  replies.length = 0;
  idleReplies.length = 0;

  const baseline = await measureBaseline(bench.dovecot, ingestBox.user, bench.maxMessageBytes);
  const ingest = await peakRss(() => timed(() => pollMailbox(bench.deps, { mailboxId: ingestBox.mailboxId, trigger: 'api' })));
  const inbox = fetchedInbox(ingest.value.value);
  if (inbox.fetched !== messageCount) throw new Error(`the ingest poll fetched ${inbox.fetched} messages, not ${messageCount}`);
  const stored = await storedFigures(bench, ingestBox.mailboxId);
  // IDLE last: its mailboxes and processes change nothing above
  const idleSources = generateReplies({ count: idleMessageCount, seed: seed + 2, brand: BENCH_BRAND, persona, probes }).map((r) => r.raw);
  const idleLatency = await measureIdleLatency(bench, idleSources);
  const holding = await measureIdleHolding(bench, idleMailboxCount);

  const ingestMs = ingest.value.ms;
  const ingestPerSec = messageCount / (ingestMs / 1000);
  const baselineMs = baseline.fetchMs + baseline.parseMs;
  const baselinePerSec = messageCount / (baselineMs / 1000);
  const [idle1k, idle5k] = idle.map((size) => size.times);
  const figures = {
    bench: 'ingest',
    messages: messageCount,
    ingestPerSec: round(ingestPerSec),
    baselinePerSec: round(baselinePerSec),
    ratio: round(ingestPerSec / baselinePerSec, 3),
    idlePollMs1k: round(median(idle1k!), 2),
    idlePollMs5k: round(median(idle5k!), 2),
    rssMb: round(ingest.peakMb),
    probes: probeCount,
    meanMessageBytes: round(corpus.meanBytes),
    ingestMs: round(ingestMs),
    baselineFetchPerSec: round(messageCount / (baseline.fetchMs / 1000)),
    baselineParsePerSec: round(messageCount / (baseline.parseMs / 1000)),
    preparePerSec: round(messageCount / (baseline.prepareMs / 1000)),
    idlePollP90Ms1k: round(percentile(idle1k!, 90), 2),
    idlePollP90Ms5k: round(percentile(idle5k!, 90), 2),
    matched: stored.matched,
    expectedMatched: corpus.expectedMatched,
    appendPerSec: round(messageCount / (appendMs / 1000)),
    idleLatencyMsP50: round(median(idleLatency), 1),
    idleLatencyMsP95: round(percentile(idleLatency, 95), 1),
    idleMessages: idleLatency.length,
    idleMailboxes: holding.mailboxes,
    idleConnections: holding.connections,
    idleRssMb: round(holding.rssMb),
    idleRssAddedMb: round(holding.rssMb - holding.rssNoneMb, 1),
    idleUpMs: holding.upMs,
  };

  const perSec = (value: number) => `${round(value).toLocaleString('en')} msg/s`;
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  console.log(
    formatTable(`Ingest benchmark: ${messageCount.toLocaleString('en')} messages (mean ${(corpus.meanBytes / 1024).toFixed(1)} KB), ${probeCount} probes, seed ${seed}`, [
      ['corpus', Object.entries(corpus.kinds).map(([kind, count]) => `${kind} ${count}`).join(', ')],
      ['append (setup)', perSec(figures.appendPerSec)],
      ['baseline fetch (imapflow, source)', perSec(figures.baselineFetchPerSec), `${(baseline.bytes / 2 ** 20).toFixed(1)} MB in ${(baseline.fetchMs / 1000).toFixed(2)} s`],
      ['baseline parse (simpleParser)', perSec(figures.baselineParsePerSec), `${(baseline.parseMs / 1000).toFixed(2)} s, one core`],
      ['baseline, fetch + parse', perSec(baselinePerSec), `${(baselineMs / 1000).toFixed(2)} s`],
      ['prepare stage alone', perSec(figures.preparePerSec), 'parse, hash, gzip, reply split, language; no IMAP, no database'],
      ['ingest: first poll, end to end', perSec(ingestPerSec), `${(ingestMs / 1000).toFixed(2)} s`],
      ['ratio ingest / baseline', figures.ratio.toFixed(3), 'target >= 0.6'],
      ['stored', `${stored.rows} messages`, Object.entries(stored.kinds).map(([kind, count]) => `${kind} ${count}`).join(', ')],
      ['matched', `${stored.matched} / ${corpus.expectedMatched}`, Object.entries(stored.rules).map(([rule, count]) => `${rule} ${count}`).join(', ')],
      ['outcomes answered', `${stored.answered} / ${probeCount}`],
      ...idle.map(({ size, times }) => [`idle poll at ${size.toLocaleString('en')} messages`, ms(median(times)), `median of ${times.length}; p90 ${ms(percentile(times, 90))}, max ${ms(Math.max(...times))}; target < 10 ms, flat`] as const),
      ['peak RSS during the ingest', `${figures.rssMb} MB`],
      ['IDLE: APPEND to stored, p50', ms(figures.idleLatencyMsP50), `${figures.idleMessages} messages one at a time, no scheduled poll; p95 ${ms(figures.idleLatencyMsP95)}, max ${ms(Math.max(...idleLatency))}`],
      [`IDLE: ${figures.idleMailboxes} mailboxes, one worker`, `${figures.idleConnections} connections`, `all up in ${(figures.idleUpMs / 1000).toFixed(1)} s (doveadm who)`],
      ['IDLE: worker RSS with them up', `${figures.idleRssMb} MB`, `+${figures.idleRssAddedMb} MB over none (${(figures.idleRssAddedMb * 1024 / figures.idleMailboxes).toFixed(0)} KB a mailbox)`],
    ]),
  );
  console.log(JSON.stringify(figures));
}

/** What the generated mailbox holds; unrelated mail is the only kind that should stay unmatched. */
function describeCorpus(replies: readonly GeneratedReply[]): { kinds: Record<ReplyKind, number>; expectedMatched: number; meanBytes: number } {
  const kinds: Record<ReplyKind, number> = { threaded: 0, acknowledgement: 0, unthreaded: 0, unrelated: 0 };
  let bytes = 0;
  for (const reply of replies) {
    kinds[reply.kind]++;
    bytes += reply.raw.length;
  }
  return { kinds, expectedMatched: replies.length - kinds.unrelated, meanBytes: bytes / Math.max(replies.length, 1) };
}

/** Parses a few messages both ways, untimed: the JIT then treats the baseline and the ingest alike. */
async function warmUp(sources: readonly Buffer[], maxBytes: number): Promise<void> {
  for (const [uid, source] of sources.entries()) {
    await simpleParser(source);
    await prepareMessage({ uid, internalDate: new Date(), size: source.length, source, oversize: false }, maxBytes);
  }
}

/**
 * imapflow fetching every message with its source, then `simpleParser` on each: the floor
 * of any sync. Also times the ingest's CPU stage (`prepareMessage`) on the same sources,
 * which says how much of the end-to-end time is parsing rather than I/O.
 */
async function measureBaseline(
  server: ImapServer,
  credentials: ImapCredentials,
  maxBytes: number,
): Promise<{ fetchMs: number; parseMs: number; prepareMs: number; bytes: number }> {
  const client = await connectImap(server, credentials);
  let sources: Buffer[];
  let fetchMs: number;
  try {
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const fetched = await timed(async () => {
        const collected: Buffer[] = [];
        for await (const message of client.fetch('1:*', { uid: true, source: true })) {
          if (message.source) collected.push(message.source);
        }
        return collected;
      });
      sources = fetched.value;
      fetchMs = fetched.ms;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  const parsed = await timed(async () => {
    for (const source of sources) await simpleParser(source);
  });
  const prepared = await timed(async () => {
    for (const [uid, source] of sources.entries()) {
      await prepareMessage({ uid, internalDate: new Date(), size: source.length, source, oversize: false }, maxBytes);
    }
  });
  return { fetchMs, parseMs: parsed.ms, prepareMs: prepared.ms, bytes: sources.reduce((sum, source) => sum + source.length, 0) };
}

/**
 * A mailbox filled to each of `IDLE_SIZES` in turn, synced, then polled unchanged
 * `--polls` times (after one untimed poll) through the worker's connection cache.
 * `alongside` (other setup) runs once, from when the mailbox grows past its smallest size,
 * and is over before the polls that follow: they run in an otherwise quiet process.
 */
async function measureIdlePolls(
  bench: IngestBench,
  corpus: readonly GeneratedReply[],
  alongside: () => Promise<void>,
): Promise<Array<{ size: number; times: number[] }>> {
  const box = await bench.createMailbox('Marie – idle', PERSONA);
  const job = { mailboxId: box.mailboxId, trigger: 'schedule' as const };
  const results: Array<{ size: number; times: number[] }> = [];
  let other: Promise<void> | null = null;
  let held = 0;
  for (const size of IDLE_SIZES) {
    if (held > 0 && other === null) {
      other = alongside();
      other.catch(() => {}); // met below, where it is awaited
    }
    await appendMessages(bench.dovecot, box.user, 'INBOX', corpus.slice(held, size).map(({ raw, internalDate }) => ({ raw, internalDate })));
    const synced = fetchedInbox(await pollMailbox(bench.deps, job));
    if (synced.fetched !== size - held) throw new Error(`the sync of the idle mailbox fetched ${synced.fetched} messages, not ${size - held}`);
    held = size;
    await other;
    await pollMailbox(bench.deps, job);
    const times: number[] = [];
    for (let poll = 0; poll < pollCount; poll++) {
      const { value, ms } = await timed(() => pollMailbox(bench.deps, job));
      if (value.status !== 'done' || value.folders.some((folder) => folder.action !== 'none')) {
        throw new Error(`an idle poll did something: ${JSON.stringify(value)}`);
      }
      times.push(ms);
    }
    results.push({ size, times });
  }
  await (other ?? alongside());
  return results;
}

function fetchedInbox(report: PollReport): { fetched: number; inserted: number } {
  if (report.status !== 'done') throw new Error(`the poll was skipped: ${report.reason}`);
  const inbox = report.folders.find((folder) => folder.path === 'INBOX');
  return { fetched: inbox?.fetched ?? 0, inserted: inbox?.inserted ?? 0 };
}

/** What the ingest stored: the proof that the benchmark measured the real work. */
async function storedFigures(bench: IngestBench, mailboxId: string) {
  const kinds = await bench.pool.query<{ kind: string; count: number }>(
    'select kind, count(*)::int as count from messages where mailbox_id = $1 group by kind order by count desc',
    [mailboxId],
  );
  const rules = await bench.pool.query<{ rule: string; count: number }>(
    'select match_rule as rule, count(*)::int as count from messages where mailbox_id = $1 and probe_id is not null group by match_rule order by count desc',
    [mailboxId],
  );
  const answered = await bench.pool.query<{ count: number }>(
    'select count(*)::int as count from outcomes where mailbox_id = $1 and answered_at is not null',
    [mailboxId],
  );
  return {
    rows: kinds.rows.reduce((sum, row) => sum + row.count, 0),
    kinds: Object.fromEntries(kinds.rows.map((row) => [row.kind, row.count])),
    matched: rules.rows.reduce((sum, row) => sum + row.count, 0),
    rules: Object.fromEntries(rules.rows.map((row) => [row.rule, row.count])),
    answered: answered.rows[0]?.count ?? 0,
  };
}
