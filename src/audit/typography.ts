/**
 * Typography of a reply's own text: punctuation spacing by the rules of its language,
 * doubled words and spaces, sentences without a capital or a final stop, shouting, and
 * `!!!`. Times ("10:30"), links, ellipses ("...") and emoticons are never flagged.
 */
import { foldWord, insideSpan, linkSpans, type Span } from './tokenize.ts';

export type TypographyRule =
  /** French: a space (normal, no-break or narrow no-break) goes before `; : ! ?`. */
  | 'space-before-high-punctuation'
  /** English: no space before `; : ! ?`. */
  | 'space-before-punctuation'
  /** Both: no space before `,` or `.`. */
  | 'space-before-comma-or-period'
  /** French: a space inside « ». */
  | 'space-inside-guillemets'
  | 'doubled-word'
  | 'doubled-space'
  | 'sentence-without-capital'
  | 'missing-final-punctuation'
  | 'shouting'
  | 'repeated-punctuation';

export interface TypographyIssue {
  rule: TypographyRule;
  /** Offset of the offending character or word in the checked text. */
  offset: number;
  /** The surrounding text, on one line. */
  excerpt: string;
}

export interface TypographyFindings {
  issues: TypographyIssue[];
  /** Number of issues per rule, for statistics and the score's evidence. */
  counts: Partial<Record<TypographyRule, number>>;
}

const SPACES = ' \u00a0\u202f\t';
/** `:-)`, `;)`, `:D`, `:p`, `=)`, `:'(`. */
const EMOTICON = /^[:;=8][-'^o]?[)(\]\[DPpOo3|/\\*]/u;
/** Words that a sentence may repeat on purpose ("nous nous excusons", "that that"). */
const REPEATABLE = new Set(['nous', 'vous', 'had', 'that', 'is']);
/** Abbreviations after which a lower-case word does not start a sentence. */
const ABBREVIATIONS = /(?:\b(?:etc|cf|p\.?ex|e\.g|i\.e|env|min|max|tél|tel|ex|vol|réf|ref|no|n°|art|al|approx|vs|st|av|bd)|\.\.)\.$/iu;
const SHOUT_WORD = /^[\p{Lu}][\p{Lu}'’\-]*$/u;
const MIN_SHOUT_WORDS = 3;
const MIN_SHOUT_LETTERS = 12;
/** A paragraph's last sentence this long or longer should end with punctuation. */
const MIN_WORDS_FOR_FINAL_STOP = 6;

/** Typography issues of `text` in `language` (`fr`, `en`; other languages get the shared rules). */
export function checkTypography(text: string, language: string): TypographyFindings {
  const links = linkSpans(text);
  const issues: TypographyIssue[] = [
    ...punctuationSpacing(text, language, links),
    ...doubledWords(text),
    ...doubledSpaces(text),
    ...sentencesWithoutCapital(text, links),
    ...missingFinalPunctuation(text),
    ...shouting(text, links),
    ...repeatedPunctuation(text),
  ].sort((a, b) => a.offset - b.offset);
  const counts: Partial<Record<TypographyRule, number>> = {};
  for (const issue of issues) counts[issue.rule] = (counts[issue.rule] ?? 0) + 1;
  return { issues, counts };
}

function punctuationSpacing(text: string, language: string, links: readonly Span[]): TypographyIssue[] {
  const issues: TypographyIssue[] = [];
  for (let at = 1; at < text.length; at++) {
    const char = text[at] as string;
    const before = text[at - 1] as string;
    if (insideSpan(links, at)) continue;
    const spaced = SPACES.includes(before);
    if (';:!?'.includes(char)) {
      if (';:!?'.includes(before) || isEmoticon(text, at) || isTime(text, at)) continue;
      if (language === 'fr' && !spaced && before !== '\n') issues.push(issue('space-before-high-punctuation', text, at));
      if (language === 'en' && spaced && !startOfLine(text, at)) issues.push(issue('space-before-punctuation', text, at));
    } else if (char === ',' || char === '.') {
      if (!spaced || startOfLine(text, at) || text.startsWith('..', at) || /\d/u.test(text[at + 1] ?? '')) continue;
      issues.push(issue('space-before-comma-or-period', text, at));
    } else if (language === 'fr' && char === '«' && !SPACES.includes(text[at + 1] ?? ' ')) {
      issues.push(issue('space-inside-guillemets', text, at));
    } else if (language === 'fr' && char === '»' && !spaced) {
      issues.push(issue('space-inside-guillemets', text, at));
    }
  }
  return issues;
}

function isEmoticon(text: string, at: number): boolean {
  return EMOTICON.test(text.slice(at, at + 3));
}

/** `10:30`, `1:2`: a colon between digits. */
function isTime(text: string, at: number): boolean {
  return text[at] === ':' && /\d/u.test(text[at - 1] ?? '') && /\d/u.test(text[at + 1] ?? '');
}

function startOfLine(text: string, at: number): boolean {
  let back = at - 1;
  while (back >= 0 && SPACES.includes(text[back] as string)) back--;
  return back < 0 || text[back] === '\n';
}

function doubledWords(text: string): TypographyIssue[] {
  const issues: TypographyIssue[] = [];
  const words = [...text.matchAll(/[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*/gu)];
  for (let index = 1; index < words.length; index++) {
    const previous = words[index - 1] as RegExpExecArray;
    const current = words[index] as RegExpExecArray;
    const gap = text.slice(previous.index + previous[0].length, current.index);
    if (!/^[ \u00a0\u202f\t]+$/u.test(gap)) continue;
    const word = foldWord(current[0]);
    if (word !== foldWord(previous[0]) || REPEATABLE.has(word)) continue;
    issues.push(issue('doubled-word', text, previous.index));
  }
  return issues;
}

function doubledSpaces(text: string): TypographyIssue[] {
  const issues: TypographyIssue[] = [];
  for (const match of text.matchAll(/(?<=\S)[ \u00a0\u202f]{2,}(?=\S)/gu)) issues.push(issue('doubled-space', text, match.index));
  return issues;
}

/**
 * Sentences opening in lower case: at the start of the text, of a paragraph, or after
 * `.`, `!`, `?` (not after an ellipsis, an abbreviation or inside a link).
 */
function sentencesWithoutCapital(text: string, links: readonly Span[]): TypographyIssue[] {
  const issues: TypographyIssue[] = [];
  const starts = /(?:^|\n[ \t]*\n|[.!?][ \u00a0\u202f]+)[ \t"«“(]*(\p{Ll})/gu;
  for (const match of text.matchAll(starts)) {
    const offset = match.index + match[0].length - 1;
    if (insideSpan(links, offset)) continue;
    const lead = match[0].trimStart();
    if (/^[.!?]/u.test(lead)) {
      const ending = text.slice(Math.max(0, match.index - 6), match.index + 1);
      if (ABBREVIATIONS.test(ending) || insideSpan(links, match.index)) continue;
    }
    issues.push(issue('sentence-without-capital', text, offset));
  }
  return issues;
}

/** The last line of a paragraph that reads as a sentence but ends with no punctuation. */
function missingFinalPunctuation(text: string): TypographyIssue[] {
  const issues: TypographyIssue[] = [];
  for (const match of text.matchAll(/[^\n]*\S[^\n]*(?=\n[ \t]*\n|\s*$)/gu)) {
    const line = match[0].trimEnd();
    if (!/[\p{L}\p{N}]$/u.test(line)) continue;
    if (line.split(/\s+/u).length < MIN_WORDS_FOR_FINAL_STOP || isEmoticon(line.slice(-3), 0)) continue;
    issues.push(issue('missing-final-punctuation', text, match.index + line.length - 1));
  }
  return issues;
}

/** Three or more words in capitals in a row, long enough not to be acronyms ("MERCI DE NE PAS"). */
function shouting(text: string, links: readonly Span[]): TypographyIssue[] {
  const issues: TypographyIssue[] = [];
  for (const line of text.matchAll(/[^\n]+/gu)) {
    const words = [...line[0].matchAll(/[\p{L}'’-]+/gu)];
    let run: RegExpExecArray[] = [];
    const flush = (): void => {
      const letters = run.reduce((sum, word) => sum + word[0].length, 0);
      const first = run[0];
      if (first !== undefined && run.length >= MIN_SHOUT_WORDS && letters >= MIN_SHOUT_LETTERS) {
        const offset = line.index + first.index;
        if (!insideSpan(links, offset)) issues.push(issue('shouting', text, offset));
      }
      run = [];
    };
    for (const word of words) {
      if (SHOUT_WORD.test(word[0]) && (word[0].length > 1 || run.length > 0)) run.push(word);
      else flush();
    }
    flush();
  }
  return issues;
}

/** `!!`, `???`, `?!?`: one mark is enough. A single `?!` is tolerated. */
function repeatedPunctuation(text: string): TypographyIssue[] {
  const issues: TypographyIssue[] = [];
  for (const match of text.matchAll(/!{2,}|\?{2,}|[!?]{3,}/gu)) issues.push(issue('repeated-punctuation', text, match.index));
  return issues;
}

const EXCERPT_RADIUS = 20;

function issue(rule: TypographyRule, text: string, offset: number): TypographyIssue {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset) === -1 ? text.length : text.indexOf('\n', offset);
  // About twenty characters each side, widened to whole words.
  let from = Math.max(lineStart, offset - EXCERPT_RADIUS);
  while (from > lineStart && !/\s/u.test(text[from - 1] as string)) from--;
  let to = Math.min(lineEnd, offset + EXCERPT_RADIUS);
  while (to < lineEnd && !/\s/u.test(text[to] as string)) to++;
  return { rule, offset, excerpt: text.slice(from, to).trim() };
}
