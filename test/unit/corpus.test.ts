import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCorpusDir, measureCorpus } from '../../scripts/corpus-report.ts';

// The shared corpus of real messages lives outside the repository (../shared/corpus, or
// SONDE_CORPUS_DIR); on a machine without it these measurements cannot run.
const dir = defaultCorpusDir();
const exists = existsSync(path.join(dir, 'labels.jsonl'));
const title = exists ? `on the corpus at ${dir}` : `skipped: no corpus at ${dir} (set SONDE_CORPUS_DIR)`;

describe(`corpus measurement ${title}`, () => {
  it.skipIf(!exists)('parses every file without throwing, classifies >= 0.9 and cuts quotes >= 0.85', async () => {
    const { rows, figures } = await measureCorpus(dir);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((row) => row.thrown !== null).map((row) => `${row.file}: ${row.thrown}`)).toEqual([]);
    expect(figures.classificationAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(figures.strictClassificationAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(figures.quoteCutFiles).toBeGreaterThan(0);
    expect(figures.quoteCutAccuracy).toBeGreaterThanOrEqual(0.85);
  });
});
