/**
 * Spelling of a reply's own text and of its signature, each apart, never of the quoted probe
 * or of a legal footer. A word is an error only when nothing explains it: names, the
 * brand's vocabulary, links, numbers, references, acronyms, elisions, compounds of correct
 * parts, proper nouns in mid-sentence and common terms of another language are all let go,
 * and counted by reason so that an auditor sees what was left out and why.
 */
import { foldWord, insideSpan, tokenize, withoutLegalFooter, type Span, type Token } from './tokenize.ts';

/**
 * A dictionary for one language. Implemented over Hunspell by `src/spell/hunspell.ts`; the
 * analysers know only this interface.
 */
export interface Speller {
  /** `fr`, `en`… */
  readonly language: string;
  correct(word: string): boolean;
  /**
   * Likely corrections, best first; asked only about errors. `quick` (the default) looks one
   * edit away, in about a millisecond; `thorough` falls back to the dictionary's own suggester
   * when that finds nothing (two typos in one word), at 20 to 150 ms a word.
   */
  suggest(word: string, effort?: SuggestionEffort): string[];
}

export type SuggestionEffort = 'quick' | 'thorough';

export type TextPart = 'reply' | 'signature';

export interface SpellingError {
  part: TextPart;
  word: string;
  /** Offset of the word in the part's text (`replyText` or `signature`). */
  offset: number;
  suggestions: string[];
}

/** Why a word was not checked or not counted as an error. */
export type SkipReason =
  | 'link'
  | 'number'
  | 'reference'
  | 'acronym'
  | 'known-name'
  | 'proper-noun'
  | 'mixed-case'
  | 'loanword'
  | 'other-language';

export interface PartSpelling {
  wordCount: number;
  errorCount: number;
  errorsPer100Words: number;
  /** Characters of the part left out as a legal footer (0 when none). */
  footerChars: number;
}

export interface SpellingFindings {
  /** False when no dictionary matches the reply's language: nothing was checked. */
  checked: boolean;
  /** Language of the dictionary used, or null when unchecked. */
  language: string | null;
  errors: SpellingError[];
  /** Words of both parts (footers excluded). */
  wordCount: number;
  errorsPer100Words: number;
  reply: PartSpelling;
  signature: PartSpelling | null;
  skipped: Partial<Record<SkipReason, number>>;
}

export interface SpellingInput {
  replyText: string;
  signature: string | null;
  speller: Speller;
  /** A second language whose common words are tolerated inside the first (English in French). */
  alternate?: Speller | null;
  /** Words accepted as they are: persona's and brand's names, the brand's vocabulary. */
  knownWords?: ReadonlySet<string>;
}

/** Suggestions are asked for this many distinct misspelt words per reply at most (they cost). */
export const MAX_SUGGESTED_WORDS = 12;
/** Of which this many may get a thorough search, so that one reply never costs more than a few hundred ms. */
export const MAX_THOROUGH_WORDS = 2;
export const MAX_SUGGESTIONS = 5;

/**
 * English terms that French customer-service writing uses as they are; Hunspell's French
 * dictionary rejects them, or takes "email" for "émail".
 */
const LOANWORDS: Readonly<Record<string, ReadonlySet<string>>> = {
  fr: new Set(
    'email emails mail mails newsletter newsletters login logout web webinar chat chatbot live store app apps smartphone smartphones tablet tracking feedback hotline call center drive click collect shopping showroom voucher cookie cookies spam spams ok okay pack packs box free freebox premium business manager community'.split(
      ' ',
    ),
  ),
  en: new Set('via vs etc'.split(' ')),
};

const ELISION = /^(l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)'(.+)$/iu;
const ALL_CAPS = /^[\p{Lu}'\-]+$/u;
const TITLE_CASE = /^\p{Lu}[\p{Ll}\p{M}'\-]/u;
const INNER_CAPITAL = /^.+\p{Lu}/u;
const HAS_LOWER = /\p{Ll}/u;

/**
 * The known words of a reply's context, folded: every part of the persona's and brand's
 * names, the brand's vocabulary, the sender's display name.
 */
export function knownWordsOf(sources: readonly (string | null | undefined)[]): Set<string> {
  const words = new Set<string>();
  for (const source of sources) {
    if (!source) continue;
    for (const token of tokenize(source)) {
      words.add(foldWord(token.text));
      for (const part of token.text.split(/['’\-‐]/u)) if (part.length > 1) words.add(foldWord(part));
    }
  }
  return words;
}

interface Checker {
  input: SpellingInput;
  /** Lines of the part being checked that read as a name ("Sophie Martin", "Jean-Marc DUBREUIL"). */
  nameLines: Span[];
  known: ReadonlySet<string>;
  loanwords: ReadonlySet<string>;
  suggestions: Map<string, string[]>;
  /** Thorough searches still allowed in this reply. */
  thoroughLeft: number;
  skipped: Partial<Record<SkipReason, number>>;
}

/** Checks `replyText` and `signature` apart; offsets point into each. */
export function checkSpelling(input: SpellingInput): SpellingFindings {
  const checker: Checker = {
    input,
    nameLines: [],
    known: input.knownWords ?? new Set(),
    loanwords: LOANWORDS[input.speller.language] ?? new Set(),
    suggestions: new Map(),
    thoroughLeft: MAX_THOROUGH_WORDS,
    skipped: {},
  };
  const reply = checkPart(checker, 'reply', input.replyText);
  const signature = input.signature === null ? null : checkPart(checker, 'signature', input.signature);
  const errors = [...reply.errors, ...(signature?.errors ?? [])];
  const wordCount = reply.summary.wordCount + (signature?.summary.wordCount ?? 0);
  return {
    checked: true,
    language: input.speller.language,
    errors,
    wordCount,
    errorsPer100Words: per100(errors.length, wordCount),
    reply: reply.summary,
    signature: signature?.summary ?? null,
    skipped: checker.skipped,
  };
}

/** Findings for a reply whose language no dictionary covers. */
export function uncheckedSpelling(replyText: string, signature: string | null): SpellingFindings {
  const part = (text: string): PartSpelling => ({
    wordCount: tokenize(text).length,
    errorCount: 0,
    errorsPer100Words: 0,
    footerChars: 0,
  });
  const reply = part(replyText);
  const signed = signature === null ? null : part(signature);
  return {
    checked: false,
    language: null,
    errors: [],
    wordCount: reply.wordCount + (signed?.wordCount ?? 0),
    errorsPer100Words: 0,
    reply,
    signature: signed,
    skipped: {},
  };
}

function checkPart(
  checker: Checker,
  part: TextPart,
  text: string,
): { errors: SpellingError[]; summary: PartSpelling } {
  const checkedText = withoutLegalFooter(text);
  const tokens = tokenize(checkedText);
  checker.nameLines = nameLines(checkedText, tokens);
  const errors: SpellingError[] = [];
  for (const token of tokens) {
    if (token.kind !== 'word') {
      skip(checker, token.kind);
      continue;
    }
    for (const miss of misspellings(checker, token)) {
      errors.push({ part, word: miss.word, offset: miss.offset, suggestions: suggestionsFor(checker, miss.word) });
    }
  }
  return {
    errors,
    summary: {
      wordCount: tokens.length,
      errorCount: errors.length,
      errorsPer100Words: per100(errors.length, tokens.length),
      footerChars: text.length - checkedText.length,
    },
  };
}

interface Miss {
  word: string;
  offset: number;
}

/**
 * The misspelt pieces of one word token: none, the token itself, the word after an elision
 * ("l'articel" → "articel"), or the wrong parts of a compound ("porte-monaie" → "monaie").
 * `token.text` may hold the typographic apostrophe; offsets stay those of the text.
 */
function misspellings(checker: Checker, token: Token): Miss[] {
  const word = token.text.replace(/’/g, "'");
  if (isKnown(checker, word) || checker.input.speller.correct(word)) return [];
  // A closing single quote ('not found') is no part of the word; an elision's (jusqu') was accepted above.
  if (word.endsWith("'")) return misspellings(checker, { ...token, text: word.slice(0, -1) });
  const elided = ELISION.exec(word);
  if (elided !== null) {
    const rest = elided[2] as string;
    const restToken = { ...token, text: rest, offset: token.offset + word.length - rest.length, sentenceStart: false };
    return misspellings(checker, restToken);
  }
  if (/[\-‐]/u.test(word)) {
    const misses: Miss[] = [];
    let at = 0;
    for (const piece of word.split(/[\-‐]/u)) {
      const pieceToken = { ...token, text: piece, offset: token.offset + at, sentenceStart: token.sentenceStart && at === 0 };
      at += piece.length + 1;
      if (piece.length > 1) misses.push(...misspellings(checker, pieceToken));
    }
    return misses;
  }
  const excuse = excuseFor(checker, token, word);
  if (excuse !== null) {
    skip(checker, excuse);
    return [];
  }
  return [{ word, offset: token.offset }];
}

function isKnown(checker: Checker, word: string): boolean {
  if (!checker.known.has(foldWord(word))) return false;
  skip(checker, 'known-name');
  return true;
}

/** Why a word the dictionary rejects is still not an error, or null when it is one. */
function excuseFor(checker: Checker, token: Token, word: string): SkipReason | null {
  if (word.length > 1 && ALL_CAPS.test(word)) return 'acronym';
  if (HAS_LOWER.test(word) && INNER_CAPITAL.test(word)) return 'mixed-case';
  // A capitalised word is a name mid-sentence, or on a line of capitalised words only.
  if (TITLE_CASE.test(word) && (!token.sentenceStart || insideSpan(checker.nameLines, token.offset))) return 'proper-noun';
  const lower = word.toLowerCase();
  if (checker.loanwords.has(lower)) return 'loanword';
  const alternate = checker.input.alternate;
  if (alternate && alternate.correct(word) && !nearMainWord(checker, word)) return 'other-language';
  return null;
}

/**
 * Whether the main dictionary has a word one keystroke away: then a word of the other
 * language ("example", "address" in French) is more likely a typo than a borrowing. Short
 * words are let go: nearly every one of them is a keystroke away from some word ("my", "ma").
 */
function nearMainWord(checker: Checker, word: string): boolean {
  if (word.length < MIN_NEAR_WORD_LENGTH) return false;
  return suggestionsFor(checker, word).some((suggestion) => editDistanceAtMostOne(suggestion.toLowerCase(), word.toLowerCase()));
}

const MIN_NEAR_WORD_LENGTH = 5;

function suggestionsFor(checker: Checker, word: string): string[] {
  const cached = checker.suggestions.get(word);
  if (cached !== undefined) return cached;
  let suggestions: string[] = [];
  if (checker.suggestions.size < MAX_SUGGESTED_WORDS) {
    suggestions = checker.input.speller.suggest(word, 'quick');
    if (suggestions.length === 0 && checker.thoroughLeft > 0) {
      checker.thoroughLeft--;
      suggestions = checker.input.speller.suggest(word, 'thorough');
    }
  }
  suggestions = suggestions.slice(0, MAX_SUGGESTIONS);
  checker.suggestions.set(word, suggestions);
  return suggestions;
}

/** Damerau-Levenshtein distance ≤ 1 (one insertion, deletion, substitution or swap). */
function editDistanceAtMostOne(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const restA = a.slice(start, endA);
  const restB = b.slice(start, endB);
  if (restA.length <= 1 && restB.length <= 1) return true;
  return restA.length === 2 && restB.length === 2 && restA[0] === restB[1] && restA[1] === restB[0];
}

/** Longest line taken for a name: first names, surname, particles. */
const MAX_NAME_WORDS = 4;

/** Lines of up to four words, all capitalised: a person's or a company's name, not prose. */
function nameLines(text: string, tokens: readonly Token[]): Span[] {
  const spans: Span[] = [];
  let next = 0;
  for (const line of text.matchAll(/[^\n]+/gu)) {
    const end = line.index + line[0].length;
    let words = 0;
    let capitalised = true;
    for (; next < tokens.length && (tokens[next] as Token).offset < end; next++) {
      const token = tokens[next] as Token;
      if (token.kind !== 'word') continue;
      words++;
      capitalised &&= /^\p{Lu}/u.test(token.text);
    }
    if (words > 0 && words <= MAX_NAME_WORDS && capitalised) spans.push({ start: line.index, end });
  }
  return spans;
}

function skip(checker: Checker, reason: SkipReason): void {
  checker.skipped[reason] = (checker.skipped[reason] ?? 0) + 1;
}

function per100(errors: number, words: number): number {
  return words === 0 ? 0 : Math.round((errors / words) * 10_000) / 100;
}
