/**
 * A campaign's ranking, as the reference barometers publish it: within each sector, brands
 * by mean note out of 100, with the sector's average beside its leader's note. The figures
 * are the statistics of the campaign grouped by brand; a brand counts in its sector as it is
 * filed now.
 */
import type { Pool } from './pool.ts';
import { computeStats, type StatsFilter, type StatsMetrics } from './stats.repo.ts';

export interface RankedBrand {
  /** 1 for the best note; brands whose notes (to two decimals) are equal share a rank; null without a note. */
  rank: number | null;
  brand: { id: string; name: string };
  metrics: StatsMetrics;
}

export interface SectorRanking {
  sector: { id: string; name: string };
  /** Mean of the brands' mean notes, each brand counting once; null when none has a note. */
  scoreMean: number | null;
  /** The first ranked brand (by name among equals), or null. */
  leader: RankedBrand | null;
  ranking: RankedBrand[];
}

export interface CampaignRanking {
  campaign: { id: string; name: string; status: string; closedAt: Date | null };
  sectors: SectorRanking[];
}

/** `narrow` limits the figures to a sector, a brand or a period of the campaign (the dashboard's filters). */
export async function computeRanking(db: Pool, campaignId: string, narrow: Omit<StatsFilter, 'campaignId'> = {}): Promise<CampaignRanking | null> {
  const { rows: campaigns } = await db.query<{ id: string; name: string; status: string; closed_at: Date | null }>(
    'select id, name, status, closed_at from campaigns where id = $1',
    [campaignId],
  );
  const campaign = campaigns[0];
  if (!campaign) return null;
  const stats = await computeStats(db, { filter: { ...narrow, campaignId }, groupBy: 'brand', series: null });
  const { rows: filed } = await db.query<{ brand_id: string; sector_id: string; sector_name: string }>(
    `select b.id::text as brand_id, s.id::text as sector_id, s.name as sector_name
       from brands b join sectors s on s.id = b.sector_id
      where b.id = any ($1::uuid[])`,
    [stats.rows.map((row) => row.group.key)],
  );
  const sectorOf = new Map(filed.map((row) => [row.brand_id, { id: row.sector_id, name: row.sector_name }]));

  const bySector = new Map<string, { sector: { id: string; name: string }; brands: RankedBrand[] }>();
  for (const row of stats.rows) {
    const { group, ...metrics } = row;
    const sector = sectorOf.get(group.key as string);
    if (!sector) continue;
    const entry = bySector.get(sector.id) ?? { sector, brands: [] };
    entry.brands.push({ rank: null, brand: { id: group.key as string, name: group.label as string }, metrics });
    bySector.set(sector.id, entry);
  }
  const sectors = [...bySector.values()].map(({ sector, brands }) => rankSector(sector, brands));
  sectors.sort((a, b) => byName.compare(a.sector.name, b.sector.name));
  return { campaign: { id: campaign.id, name: campaign.name, status: campaign.status, closedAt: campaign.closed_at }, sectors };
}

const byName = new Intl.Collator('fr', { numeric: true, sensitivity: 'base' });

/** Notes compare as shown, to two decimals. */
const shownNote = (brand: RankedBrand) => (brand.metrics.scoreMean === null ? null : Math.round(brand.metrics.scoreMean * 100) / 100);

/** Brands by note, best first (competition ranking: 1, 1, 3), unnoted brands last, by name. */
export function rankSector(sector: { id: string; name: string }, brands: RankedBrand[]): SectorRanking {
  const sorted = [...brands].sort((a, b) => (shownNote(b) ?? -1) - (shownNote(a) ?? -1) || byName.compare(a.brand.name, b.brand.name));
  const ranking: RankedBrand[] = [];
  for (const [index, brand] of sorted.entries()) {
    const note = shownNote(brand);
    const previous = ranking[index - 1];
    ranking.push({ ...brand, rank: note === null ? null : previous && shownNote(previous) === note ? previous.rank : index + 1 });
  }
  const notes = ranking.map((brand) => brand.metrics.scoreMean).filter((note): note is number => note !== null);
  return {
    sector,
    scoreMean: notes.length === 0 ? null : notes.reduce((a, b) => a + b, 0) / notes.length,
    leader: ranking[0]?.rank === 1 ? ranking[0] : null,
    ranking,
  };
}
