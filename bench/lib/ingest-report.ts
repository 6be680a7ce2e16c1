/** Small figures helpers of the ingest benchmark: timing, percentiles, memory peaks, the table. */

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

/** Nearest-rank percentile of `values` (`p` in 0–100); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

const MB = 2 ** 20;

/** Samples the resident set while `work` runs: the peak, in MB (a GC may free it by the end). */
export async function peakRss<T>(work: () => Promise<T>, everyMs = 25): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  try {
    const value = await work();
    return { value, peakMb: Math.max(peak, process.memoryUsage.rss()) / MB };
  } finally {
    clearInterval(timer);
  }
}

export const round = (value: number, digits = 0): number => Number(value.toFixed(digits));

/** Rows of `[what, figure, note]`, columns padded. */
export function formatTable(title: string, rows: ReadonlyArray<readonly [string, string, string?]>): string {
  const width = (column: 0 | 1) => Math.max(...rows.map((row) => row[column].length));
  const [what, figure] = [width(0), width(1)];
  const lines = rows.map(([label, value, note]) => `  ${label.padEnd(what)}  ${value.padStart(figure)}${note ? `  ${note}` : ''}`);
  return [title, ...lines].join('\n');
}
