/**
 * Analyses one reply from its stored raw source, records the result under the
 * analyser's version, and refreshes the probe's score. Re-running it is harmless:
 * the analysis of a version is replaced, never doubled.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Job } from 'bullmq';
import { ANALYSER_VERSION } from '../audit/analyse.ts';
import { fingerprintSimilarity } from '../audit/canned.ts';
import { findReplyToAnalyse, listBrandFingerprints, listRepliesToAnalyse, saveAnalysis } from '../db/analyses.repo.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { readMessage } from '../flow/analyse-message.ts';
import { recordDkimVerdict } from '../flow/verify-dkim.ts';
import type { DkimOptions } from '../mail/dkim.ts';
import { refreshReplyScore } from '../flow/score-reply.ts';
import { parseMessage } from '../mail/parse.ts';
import { hasSpeller } from '../spell/hunspell.ts';
import { JOB_OPTIONS, jobIds, type AnalyseReplyJob, type Queues } from './queues.ts';

const gunzipAsync = promisify(gunzip);

export interface AnalyseReplyOptions {
  /** DKIM lookups: the resolver (tests) and the time bound. */
  dkim?: DkimOptions;
}

export async function analyseStoredReply(pool: Pool, replyId: string, options: AnalyseReplyOptions = {}): Promise<'analysed' | 'skipped'> {
  const reply = await findReplyToAnalyse(pool, replyId);
  if (!reply) return 'skipped';
  const source = reply.sourceGz ? await gunzipAsync(reply.sourceGz) : null;
  // the signature is checked while the signing key is still published (keys rotate)
  if (source) await recordDkimVerdict(pool, replyId, source, options.dkim);
  if (reply.kind !== 'answer' && reply.kind !== 'follow_up') return 'skipped';
  // an answer that cannot be analysed says so once, instead of coming back at every sweep
  const skip = async (reason: string) => {
    await saveAnalysis(pool, replyId, ANALYSER_VERSION, { version: ANALYSER_VERSION, skipped: reason });
    return 'skipped' as const;
  };
  if (!source) return skip('no stored source');
  const parsed = await parseMessage(source);
  const reading = await readMessage(parsed, {
    context: reply.context,
    ...(hasSpeller(reply.language) && { fallbackLanguage: reply.language }),
  });
  if (!reading.analysis) return skip(parsed.parseError ? `no text to analyse (${parsed.parseError})` : 'no text to analyse');
  const canned = closestAnswer(reading.analysis.cannedFingerprint, await listBrandFingerprints(pool, replyId, ANALYSER_VERSION));
  await withTransaction(pool, async (tx) => {
    await saveAnalysis(tx, replyId, ANALYSER_VERSION, { ...reading.analysis, canned });
    await refreshReplyScore(tx, replyId);
  });
  return 'analysed';
}

/** The brand's other answer most alike this one (a canned answer is near-identical text to different probes). */
function closestAnswer(fingerprint: string, others: Array<{ replyId: string; fingerprint: string }>): { similarity: number; replyId: string } | null {
  let best: { similarity: number; replyId: string } | null = null;
  for (const other of others) {
    const similarity = fingerprintSimilarity(fingerprint, other.fingerprint);
    if (!best || similarity > best.similarity) best = { similarity: Math.round(similarity * 1000) / 1000, replyId: other.replyId };
  }
  return best;
}

export function analyseReplyProcessor(pool: Pool, options: AnalyseReplyOptions = {}) {
  return async (job: Job<AnalyseReplyJob>) => analyseStoredReply(pool, job.data.replyId, options);
}

export async function enqueueAnalyses(queues: Queues, replyIds: string[]): Promise<void> {
  if (replyIds.length === 0) return;
  await queues['analyse-reply'].addBulk(
    replyIds.map((replyId) => ({
      name: 'analyse',
      data: { replyId } satisfies AnalyseReplyJob,
      // deduplicated while waiting or running, never blocked by a finished job kept in Redis:
      // an answer whose analysis was lost or outdated can always be queued again
      opts: { ...JOB_OPTIONS['analyse-reply'], deduplication: { id: jobIds.analyseReply(replyId, ANALYSER_VERSION) } },
    })),
  );
}

/** Finds answers the current analyser version has not seen (after an upgrade, all of them) and queues them. */
export async function enqueueMissingAnalyses(pool: Pool, queues: Queues, limit = 1000): Promise<number> {
  const ids = await listRepliesToAnalyse(pool, ANALYSER_VERSION, limit);
  await enqueueAnalyses(queues, ids);
  return ids.length;
}
