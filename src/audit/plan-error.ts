/** Why a campaign cannot be planned, or a text of it cannot be written; said to the auditor. */
export class PlanError extends Error {
  override name = 'PlanError';
}

/** Each probe lands in the middle 70 % of its share, so two probes of a brand are never side by side. */
