/**
 * Panel sufficiency: whether a brand's figures rest on enough probes, and a sector's ranking
 * on enough brands, by the campaign's own minimums. A group below them still gets its
 * figures, with a warning that says why they are fragile. Pure.
 */

export const DEFAULT_MIN_PROBES_PER_BRAND = 30;
/** ESCDA asks for three candidates in a category. */
export const DEFAULT_MIN_BRANDS_PER_SECTOR = 3;

export interface StatsWarning {
  code: 'panel_too_small';
  detail: string;
}

export interface PanelCheck {
  /** Null where the group is neither a brand nor a sector: no panel rule applies to it. */
  panelSufficient: boolean | null;
  warnings: StatsWarning[];
}

/** A group that is neither a brand nor a sector (a week, a campaign, a mailbox, the whole scope). */
export function noPanelRule(): PanelCheck {
  return { panelSufficient: null, warnings: [] };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A brand's probes against the minimum of its campaign(s). */
export function brandPanel(probes: number, minProbesPerBrand: number): PanelCheck {
  if (probes >= minProbesPerBrand) return { panelSufficient: true, warnings: [] };
  return {
    panelSufficient: false,
    warnings: [
      {
        code: 'panel_too_small',
        detail: `${plural(probes, 'probe')} sent to this brand, fewer than the ${minProbesPerBrand} the campaign asks for (minProbesPerBrand): its rates and its rank rest on too few probes.`,
      },
    ],
  };
}

/** A sector's brands with probes against the minimum of its campaign(s). */
export function sectorPanel(brands: number, minBrandsPerSector: number): PanelCheck {
  if (brands >= minBrandsPerSector) return { panelSufficient: true, warnings: [] };
  return {
    panelSufficient: false,
    warnings: [
      {
        code: 'panel_too_small',
        detail: `${plural(brands, 'brand')} with probes in this sector, fewer than the ${minBrandsPerSector} the campaign asks for (minBrandsPerSector): too few to rank.`,
      },
    ],
  };
}
