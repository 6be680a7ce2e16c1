/**
 * Everything a campaign report shows, read once: the campaign and its method, the figures
 * (the very statistics and ranking `/v1/stats` and `/v1/campaigns/:id/ranking` compute), and
 * each brand's evidence: its probes in order, their replies with raw sources, analyses,
 * scores (as `/v1/replies/:id` gives them), DKIM verdicts and reminders. Rendering is the web
 * layer's; nothing here formats.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { ReplyAnalysis } from '../audit/analyse.ts';
import type { ReplyScore } from '../audit/score.ts';
import { findCampaign, type Campaign } from '../db/campaigns.repo.ts';
import { findDkimVerdicts, type StoredDkimVerdict } from '../db/dkim.repo.ts';
import { listHeldResolutions, type HeldResolution } from '../db/held-sends.repo.ts';
import type { Pool } from '../db/pool.ts';
import { computeRanking, type CampaignRanking } from '../db/ranking.repo.ts';
import {
  listLatestAnalyses,
  listReportBrands,
  listReportMailboxes,
  listReportProbes,
  listReportReminders,
  listReportReplies,
  listReportScenarios,
  type ReportBrand,
  type ReportMailbox,
  type ReportProbe,
  type ReportReminder,
  type ReportReply,
  type ReportScenario,
} from '../db/report.repo.ts';
import { computeStats, type StatsRow } from '../db/stats.repo.ts';
import { parseHeaderBlock } from '../mail/parse.ts';
import { scoreOfReply, type ViewedScore } from './score-reply.ts';

const gunzipAsync = promisify(gunzip);

export interface ReplyEvidence extends Omit<ReportReply, 'sourceGz'> {
  /** The raw message, as stored (decompressed); null when it was not kept. */
  source: Buffer | null;
  receivedHeaders: string[];
  analysis: { version: string; result: ReplyAnalysis | null; skipped: string | null } | null;
  dkim: StoredDkimVerdict | null;
}

export interface ProbeEvidence extends ReportProbe {
  replies: ReplyEvidence[];
  reminders: ReportReminder[];
  /** How auditors settled the probe's (or its reminders') sends once held for review, oldest first. */
  heldResolutions: HeldResolution[];
  /** The score grid of the probe's answer, overrides applied; null when unanswered. */
  score: ReplyScore | null;
}

export interface BrandEvidence {
  brand: ReportBrand;
  /** The brand's row of the campaign's statistics by brand. */
  figures: StatsRow | null;
  /** Its sector's row of the campaign's statistics by sector. */
  sectorFigures: StatsRow | null;
  rank: number | null;
  /** The sector's mean note, as the ranking gives it. */
  sectorScoreMean: number | null;
  probes: ProbeEvidence[];
}

export interface CampaignReportData {
  campaign: Campaign;
  /** The brand the report narrows to, or null for the whole campaign. */
  brandId: string | null;
  brands: ReportBrand[];
  scenarios: ReportScenario[];
  mailboxes: ReportMailbox[];
  /** The campaign's statistics, as `/v1/stats` computes them. */
  stats: { norms: number[]; overall: StatsRow; byBrand: StatsRow[]; bySector: StatsRow[] };
  ranking: CampaignRanking;
  /** Analyser versions of the analyses shown. */
  analyserVersions: string[];
  evidence: BrandEvidence[];
  generatedAt: Date;
}

export class ReportScopeError extends Error {
  override name = 'ReportScopeError';
}

/** Runs `task` over `items`, `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Null when the campaign does not exist; throws `ReportScopeError` for a brand outside it. */
export async function loadCampaignReport(pool: Pool, campaignId: string, brandId: string | null = null): Promise<CampaignReportData | null> {
  const campaign = await findCampaign(pool, campaignId);
  if (!campaign) return null;
  const brands = await listReportBrands(pool, campaignId);
  if (brandId !== null && !brands.some((b) => b.id === brandId)) {
    throw new ReportScopeError(`brand ${brandId} is not one of campaign ${campaignId}'s brands; pick one of: ${brands.map((b) => `${b.id} (${b.name})`).join(', ') || 'none'}`);
  }
  const filter = { campaignId };
  const [scenarios, mailboxes, overall, byBrand, bySector, ranking, probes] = await Promise.all([
    listReportScenarios(pool, campaignId),
    listReportMailboxes(pool, campaignId),
    computeStats(pool, { filter, groupBy: null, series: 'week' }),
    computeStats(pool, { filter, groupBy: 'brand', series: null }),
    computeStats(pool, { filter, groupBy: 'sector', series: null }),
    computeRanking(pool, campaignId),
    listReportProbes(pool, campaignId, brandId),
  ]);
  const probeIds = probes.map((p) => p.id);
  const [replies, reminders, resolutions] = await Promise.all([listReportReplies(pool, probeIds), listReportReminders(pool, probeIds), listHeldResolutions(pool, probeIds)]);
  const replyIds = replies.map((r) => r.id);
  const [analyses, dkim] = await Promise.all([listLatestAnalyses(pool, replyIds), findDkimVerdicts(pool, replyIds)]);
  const answerIds = probes.map((p) => p.outcome?.answerReplyId).filter((id): id is string => Boolean(id));
  const scores = new Map(
    (await mapLimit(answerIds, 6, async (id) => [id, await scoreOfReply(pool, id)] as const)).filter((entry): entry is readonly [string, ViewedScore] => entry[1] !== null),
  );

  const evidenceOfReply = async ({ sourceGz, ...reply }: ReportReply): Promise<ReplyEvidence> => {
    const source = sourceGz ? await gunzipAsync(sourceGz) : null;
    const stored = analyses.get(reply.id);
    const result = stored?.result as (ReplyAnalysis & { skipped?: string }) | undefined;
    return {
      ...reply,
      source,
      receivedHeaders: source ? (parseHeaderBlock(source).headers['received'] ?? []) : [],
      analysis: stored ? { version: stored.version, result: result && !result.skipped ? result : null, skipped: result?.skipped ?? null } : null,
      dkim: dkim.get(reply.id) ?? null,
    };
  };
  const replyEvidence = await mapLimit(replies, 8, evidenceOfReply);
  const repliesOf = groupBy(replyEvidence, (r) => r.probeId);
  const remindersOf = groupBy(reminders, (r) => r.probeId);
  const resolutionsOf = groupBy(resolutions, (r) => r.probeId);
  const probesOf = groupBy(
    probes.map((probe) => ({
      ...probe,
      replies: repliesOf.get(probe.id) ?? [],
      reminders: remindersOf.get(probe.id) ?? [],
      heldResolutions: resolutionsOf.get(probe.id) ?? [],
      score: probe.outcome?.answerReplyId ? (scores.get(probe.outcome.answerReplyId) ?? null) : null,
    })),
    (p) => p.brandId,
  );

  const rankOf = new Map(ranking?.sectors.flatMap((s) => s.ranking.map((r) => [r.brand.id, { rank: r.rank, sectorMean: s.scoreMean }] as const)) ?? []);
  const evidence = brands
    .filter((brand) => brandId === null || brand.id === brandId)
    .map((brand) => ({
      brand,
      figures: byBrand.rows.find((row) => row.group.key === brand.id) ?? null,
      sectorFigures: bySector.rows.find((row) => row.group.key === brand.sectorId) ?? null,
      rank: rankOf.get(brand.id)?.rank ?? null,
      sectorScoreMean: rankOf.get(brand.id)?.sectorMean ?? null,
      probes: probesOf.get(brand.id) ?? [],
    }));

  return {
    campaign,
    brandId,
    brands,
    scenarios,
    mailboxes,
    stats: { norms: overall.norms, overall: overall.rows[0] as StatsRow, byBrand: byBrand.rows, bySector: bySector.rows },
    ranking: ranking as CampaignRanking,
    analyserVersions: [...new Set([...analyses.values()].map((a) => a.version))].sort(),
    evidence,
    generatedAt: new Date(),
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
