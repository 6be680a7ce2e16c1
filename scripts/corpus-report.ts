/**
 * Measures parsing, classification, quote cutting and language detection on the shared
 * corpus of real messages (`../shared/corpus`: labelled .eml files from public test suites).
 *
 *   npx tsx scripts/corpus-report.ts [dir]
 *
 * The folder is the argument, else `SONDE_CORPUS_DIR`, else `../shared/corpus` beside the
 * repository. Prints one row per file, the figures, and as its last line one JSON object.
 * The project's own labelled folders are measured beside it, every time: the hand-written
 * `test/fixtures/eml/kinds` and the real `test/fixtures/eml/real` (their failures, then one
 * line of figures each; `kindsFixtures` and `realFixtures` in the JSON object).
 * Exits 2 when the folder is absent. `test/unit/corpus.test.ts` runs the same measurement.
 *
 * How labels are scored:
 * - `human_reply` must be an `answer`, `auto_reply` an `acknowledgement`, `bounce` a `bounce`.
 * - `other` (not a reply, or a parsing torture case) passes with any kind but `bounce`: the
 *   classifier judges how a message was produced (a person, an autoresponder, a mail server),
 *   not whether it replies to a probe — matching decides that — so a stray human message is
 *   rightly an `answer` and a no-reply notification an `acknowledgement`; calling it a bounce
 *   would wrongly mark a probe undelivered. The strict figure leaves `other` out.
 * - Quote cutting passes when `replyText`, whitespace collapsed and case ignored, starts with
 *   `reply_text_starts` (files that have one) and, when the label gives a `quote_header` (the
 *   first words of the line that introduces the quoted history: "Am … schrieb", "Von: …",
 *   "-----Ursprüngliche Nachricht-----"), neither `replyText` nor the signature holds it: the
 *   history was cut off, not left in the reply.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseMessage } from '../src/mail/parse.ts';
import { classifyMessage } from '../src/audit/classify.ts';
import type { MessageKind } from '../src/audit/classify.ts';
import { splitReply } from '../src/audit/quote.ts';
import { detectLanguage } from '../src/audit/language.ts';

export interface CorpusLabel {
  file: string;
  /** `notice`: a challenge-response anti-spam notice, neither an answer nor a receipt nor a bounce: must be `unknown`. */
  kind: 'human_reply' | 'auto_reply' | 'bounce' | 'notice' | 'other';
  lang: string | null;
  reply_text_starts: string | null;
  /** Optional: the first words of the quote header, which must not be left in the reply or its signature. */
  quote_header?: string | null;
  has_inline_image: boolean;
}

export interface CorpusRow {
  file: string;
  label: CorpusLabel['kind'];
  kind: MessageKind | null;
  kindOk: boolean;
  signals: string[];
  /** null when the file has no `reply_text_starts`. */
  quoteCutOk: boolean | null;
  replyText: string;
  signature: string | null;
  language: string | null;
  languageOk: boolean | null;
  inlineImageOk: boolean | null;
  parseError: string | null;
  /** Set when parsing threw, which it must never do. */
  thrown: string | null;
}

export interface CorpusFigures {
  files: number;
  thrown: number;
  parseErrors: number;
  classificationAccuracy: number;
  strictClassificationFiles: number;
  strictClassificationAccuracy: number;
  quoteCutFiles: number;
  quoteCutAccuracy: number;
  languageFiles: number;
  languageAccuracy: number;
  inlineImageAccuracy: number;
}

const EXPECTED: Record<CorpusLabel['kind'], (kind: MessageKind) => boolean> = {
  human_reply: (kind) => kind === 'answer',
  auto_reply: (kind) => kind === 'acknowledgement',
  bounce: (kind) => kind === 'bounce',
  notice: (kind) => kind === 'unknown',
  other: (kind) => kind !== 'bounce',
};

/**
 * The project's own labelled fixtures of the kinds the shared corpus lacks: challenge-response
 * notices, helpdesk ticket notices and answers, quote headers in German, Spanish, Italian,
 * Dutch and Portuguese, HTML-only replies. Written by hand in the formats those clients
 * produce (not collected from real mailboxes); measured beside the corpus.
 */
export function kindsFixturesDir(): string {
  return fileURLToPath(new URL('../test/fixtures/eml/kinds', import.meta.url));
}

/**
 * Real messages of those kinds, copied from the public test suites of mail libraries under
 * permissive licences (`test/fixtures/eml/real`: sources, commits and licences in its
 * SOURCES.md): replies quoting in German, Dutch, Italian, Spanish, Portuguese, Polish,
 * Swedish, Norwegian, Danish, Finnish, Russian, Ukrainian, Vietnamese and Chinese (and French and
 * English), HTML-only replies. It holds no challenge-response nor helpdesk notice: none was
 * found under a permissive licence, so those kinds stay on the hand-written folder.
 */
export function realFixturesDir(): string {
  return fileURLToPath(new URL('../test/fixtures/eml/real', import.meta.url));
}

export function defaultCorpusDir(): string {
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  return process.env['SONDE_CORPUS_DIR'] ?? path.resolve(repoRoot, '../shared/corpus');
}

function readLabels(dir: string): CorpusLabel[] {
  return readFileSync(path.join(dir, 'labels.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusLabel);
}

export async function measureCorpus(dir: string): Promise<{ rows: CorpusRow[]; figures: CorpusFigures }> {
  const rows: CorpusRow[] = [];
  for (const label of readLabels(dir)) rows.push(await measureFile(dir, label));
  return { rows, figures: figuresOf(rows) };
}

async function measureFile(dir: string, label: CorpusLabel): Promise<CorpusRow> {
  const row: CorpusRow = {
    file: label.file,
    label: label.kind,
    kind: null,
    kindOk: false,
    signals: [],
    quoteCutOk: null,
    replyText: '',
    signature: null,
    language: null,
    languageOk: null,
    inlineImageOk: null,
    parseError: null,
    thrown: null,
  };
  try {
    const msg = await parseMessage(readFileSync(path.join(dir, label.file)));
    const { kind, signals } = classifyMessage(msg);
    const { replyText, signature } = splitReply(msg.text);
    const language = detectLanguage(replyText);
    const hasInlineImage = msg.attachments.some((part) => part.inline && part.contentType.startsWith('image/'));
    return {
      ...row,
      kind,
      kindOk: EXPECTED[label.kind](kind),
      signals,
      quoteCutOk: label.reply_text_starts === null ? null : quoteCutPasses(label, replyText, signature),
      replyText,
      signature,
      language,
      // Only texts long enough to carry a language are compared (a reply of "Hello" has none).
      languageOk: label.lang === null || wordCount(replyText) < 3 ? null : language === label.lang,
      inlineImageOk: hasInlineImage === label.has_inline_image,
      parseError: msg.parseError,
    };
  } catch (error) {
    return { ...row, thrown: error instanceof Error ? error.message : String(error) };
  }
}

function quoteCutPasses(label: CorpusLabel, replyText: string, signature: string | null): boolean {
  if (!loose(replyText).startsWith(loose(label.reply_text_starts ?? ''))) return false;
  const header = label.quote_header;
  return header == null || !loose(`${replyText}\n${signature ?? ''}`).includes(loose(header));
}

function loose(value: string): string {
  return value.replace(/\s+/g, ' ').trim().toLowerCase();
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => /\p{L}/u.test(word)).length;
}

function figuresOf(rows: CorpusRow[]): CorpusFigures {
  const share = (subset: CorpusRow[], ok: (row: CorpusRow) => boolean): number =>
    subset.length === 0 ? 0 : round(subset.filter(ok).length / subset.length);
  const strict = rows.filter((row) => row.label !== 'other');
  const quoted = rows.filter((row) => row.quoteCutOk !== null);
  const languages = rows.filter((row) => row.languageOk !== null);
  return {
    files: rows.length,
    thrown: rows.filter((row) => row.thrown !== null).length,
    parseErrors: rows.filter((row) => row.parseError !== null).length,
    classificationAccuracy: share(rows, (row) => row.kindOk),
    strictClassificationFiles: strict.length,
    strictClassificationAccuracy: share(strict, (row) => row.kindOk),
    quoteCutFiles: quoted.length,
    quoteCutAccuracy: share(quoted, (row) => row.quoteCutOk === true),
    languageFiles: languages.length,
    languageAccuracy: share(languages, (row) => row.languageOk === true),
    inlineImageAccuracy: share(rows, (row) => row.inlineImageOk === true),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function formatRow(row: CorpusRow): string {
  const mark = (ok: boolean | null): string => (ok === null ? '-' : ok ? 'ok' : 'FAIL');
  return [
    row.file.padEnd(52),
    row.label.padEnd(11),
    (row.kind ?? 'THREW').padEnd(15),
    mark(row.kindOk).padEnd(5),
    mark(row.quoteCutOk).padEnd(5),
    `${row.language ?? '-'}${row.languageOk === false ? '!' : ''}`.padEnd(5),
    row.thrown ?? row.parseError ?? '',
    row.signals.length > 0 ? `[${row.signals.join(', ')}]` : '',
  ].join(' ');
}

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? defaultCorpusDir());
  if (!existsSync(path.join(dir, 'labels.jsonl'))) {
    console.error(`No corpus at ${dir} (expected labels.jsonl and .eml files there). Pass a folder or set SONDE_CORPUS_DIR.`);
    process.exit(2);
  }
  const { rows, figures } = await measureCorpus(dir);
  console.log(`${'file'.padEnd(52)} ${'label'.padEnd(11)} ${'kind'.padEnd(15)} kind  quote lang  parse error / signals`);
  for (const row of rows) console.log(formatRow(row));
  for (const row of rows.filter((candidate) => candidate.quoteCutOk === false)) {
    console.log(`\nquote cut of ${row.file}: replyText ${JSON.stringify(row.replyText.slice(0, 120))}, signature ${JSON.stringify(row.signature)}`);
  }
  console.log('');
  console.log(`files: ${figures.files}, parse threw: ${figures.thrown}, with parseError: ${figures.parseErrors}`);
  console.log(`classification: ${figures.classificationAccuracy} (strict, without "other": ${figures.strictClassificationAccuracy} on ${figures.strictClassificationFiles})`);
  console.log(`quote cut: ${figures.quoteCutAccuracy} on ${figures.quoteCutFiles} files with reply_text_starts`);
  console.log(`language: ${figures.languageAccuracy} on ${figures.languageFiles} files; inline image: ${figures.inlineImageAccuracy}`);
  const kinds = await measureFixtures(
    kindsFixturesDir(),
    'hand-written fixtures of other kinds (challenge-response, helpdesk tickets, quote headers in de/es/it/nl/pt, HTML-only)',
  );
  const real = await measureFixtures(
    realFixturesDir(),
    'real fixtures from mail libraries\' test suites (quote headers in 14 languages besides French and English, HTML-only replies)',
  );
  console.log(JSON.stringify({ report: 'corpus', corpus: dir, ...figures, kindsFixtures: kinds, realFixtures: real }));
}

/** The project's own labelled folders, measured beside the corpus: their failures and figures. */
async function measureFixtures(dir: string, title: string): Promise<CorpusFigures> {
  const { rows, figures } = await measureCorpus(dir);
  const name = path.basename(dir);
  for (const row of rows.filter((candidate) => !candidate.kindOk || candidate.quoteCutOk === false)) {
    console.log(`${name}: ${formatRow(row)}`);
    if (row.quoteCutOk === false) console.log(`${name}:   replyText ${JSON.stringify(row.replyText.slice(0, 160))}, signature ${JSON.stringify(row.signature?.slice(0, 80) ?? null)}`);
  }
  console.log(
    `${title} (${figures.files} files): classification ${figures.classificationAccuracy}, ` +
      `quote cut ${figures.quoteCutAccuracy} on ${figures.quoteCutFiles}, language ${figures.languageAccuracy} on ${figures.languageFiles}`,
  );
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
