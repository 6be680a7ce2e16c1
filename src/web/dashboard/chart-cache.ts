/**
 * Charts drawn once per set of figures: drawing a campaign's 300-brand chart costs tens of
 * milliseconds, and the figures behind it change only when replies arrive. The key is the
 * chart's whole input (figures, labels, language), so new figures draw a new chart; the
 * oldest charts leave first.
 */
import type { Html } from '../html.ts';

const MAX_CHARTS = 120;
const charts = new Map<string, Html>();

export function cachedChart(kind: string, input: unknown, draw: () => Html): Html {
  const key = `${kind}\u0000${JSON.stringify(input)}`;
  const found = charts.get(key);
  if (found) {
    // most recently used last
    charts.delete(key);
    charts.set(key, found);
    return found;
  }
  const chart = draw();
  charts.set(key, chart);
  if (charts.size > MAX_CHARTS) charts.delete(charts.keys().next().value as string);
  return chart;
}
