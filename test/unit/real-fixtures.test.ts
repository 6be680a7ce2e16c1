/**
 * Real messages copied from the test suites of mail libraries (test/fixtures/eml/real, see
 * its SOURCES.md): replies quoting in a dozen languages, HTML-only replies, vacation replies. The floors are
 * the figures reached, so a regression fails (before the per-language quote headers of
 * src/audit/quote-headers.ts: quote cut 0.8 on the 75 replies, language 0.902 on 51).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureCorpus, realFixturesDir } from '../../scripts/corpus-report.ts';

describe('real fixtures from mail libraries\' test suites', () => {
  it('classifies every reply as labelled and cuts every quote header off (classification 1, quote cut 1)', async () => {
    const { rows, figures } = await measureCorpus(realFixturesDir());
    expect(figures.files).toBeGreaterThanOrEqual(78);
    expect(figures.thrown).toBe(0);
    expect(rows.filter((row) => !row.kindOk).map((row) => `${row.file}: ${row.kind}`)).toEqual([]);
    expect(rows.filter((row) => row.quoteCutOk === false).map((row) => `${row.file}: ${row.replyText.slice(0, 80)}`)).toEqual([]);
    expect(figures.classificationAccuracy).toBeGreaterThanOrEqual(1);
    expect(figures.quoteCutFiles).toBeGreaterThanOrEqual(75);
    expect(figures.quoteCutAccuracy).toBeGreaterThanOrEqual(1);
    expect(figures.languageAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('names a source and a licence for every file, and a quote header for every human reply', () => {
    const dir = realFixturesDir();
    const labels = readFileSync(path.join(dir, 'labels.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { file: string; source: string; license: string; kind: string; quote_header: string | null });
    const sources = readFileSync(path.join(dir, 'SOURCES.md'), 'utf8');
    for (const label of labels) {
      expect(label.source, label.file).toMatch(/^[\w.-]+\/[\w.-]+:\S+@[0-9a-f]{40}$/);
      expect(['MIT', 'Apache-2.0', 'BSD-3-Clause'], label.file).toContain(label.license);
      if (label.kind === 'human_reply') expect(label.quote_header, label.file).toBeTruthy();
      expect(sources, label.file).toContain(label.source.split(':')[0] ?? '');
    }
  });
});
