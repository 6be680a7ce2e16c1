/**
 * Words of a reply with their offsets, and the spans no word-level analyser should read:
 * URLs, e-mail addresses, bare domains, inline-image references, and the legal footer under
 * a signature.
 *
 * Everything here works on the text rendering of a message (never raw HTML), so a word that
 * markup split in two (`Mal<b>heureusement</b>`) is one word again.
 */

export type TokenKind =
  /** Letters only, possibly joined by apostrophes or hyphens ("l'article", "peut-être"). */
  | 'word'
  /** Digits only ("12", "2025"; "19,90" and "10:30" give two each). */
  | 'number'
  /** Letters and digits mixed: order numbers, ticket references, postcodes ("CMD-88731", "1er"). */
  | 'reference'
  /** A whole URL, e-mail address or domain name, taken as one token and never spell-checked. */
  | 'link';

export interface Token {
  text: string;
  /** Offset of the first character in the text the token was read from. */
  offset: number;
  kind: TokenKind;
  /** First word of a sentence: start of the text, of a line, or after `.`, `!`, `?`, `…`. */
  sentenceStart: boolean;
}

export interface Span {
  start: number;
  end: number;
}

const URL = /\b(?:https?:\/\/|ftp:\/\/|mailto:|www\.)[^\s<>"'«»]+/giu;
/** Outlook's text rendering of an inline image: `[cid:image001.png@01DB8F2A.5C3E1B20]`. */
const CID = /(?<!\p{L})\[?cid:[^\s\]]+\]?/giu;
/** Anchored on the `@`, and widened to the local part by `emailSpans`: scanning from each offset costs. */
const EMAIL_DOMAIN = /@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
const EMAIL_LOCAL_CHAR = /[\p{L}\p{N}._%+-]/u;
/** Bare domain names ("boulanger.com"); a closed list of endings keeps "fin.Merci" a typo. */
const DOMAIN =
  /(?<![\p{L}\p{N}@.-])[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.(?:com|fr|net|org|eu|be|ch|de|es|it|uk|co|io|info|biz|shop|store|app|ca|lu|mc)(?![\p{L}\p{N}])/giu;
/** Punctuation that ends a sentence around a URL rather than belonging to it. */
const URL_TRAILER = /[.,;:!?)\]»"'’]+$/u;

/**
 * Each pattern with a cheap test that must pass before it runs: the patterns open with a
 * character class, which makes the regex engine try them at every offset of the text.
 */
const LINK_PATTERNS: readonly (readonly [RegExp, RegExp])[] = [
  [/:\/\/|www\.|mailto:/iu, URL],
  [/cid:/iu, CID],
  [/\.(?:com|fr|net|org|eu|be|ch|de|es|it|uk|co|io|info|biz|shop|store|app|ca|lu|mc)(?![\p{L}\p{N}])/iu, DOMAIN],
];

/** URLs, e-mail addresses, domain names and `cid:` references in `text`, as sorted, non-overlapping spans. */
export function linkSpans(text: string): Span[] {
  const spans: Span[] = emailSpans(text);
  for (const [precondition, pattern] of LINK_PATTERNS) {
    if (!precondition.test(text)) continue;
    for (const match of text.matchAll(pattern)) {
      const raw = match[0].replace(URL_TRAILER, '');
      if (raw.length > 0) spans.push({ start: match.index, end: match.index + raw.length });
    }
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/** E-mail addresses: a domain after an `@`, with the local part before it. */
function emailSpans(text: string): Span[] {
  const spans: Span[] = [];
  if (!text.includes('@')) return spans;
  for (const match of text.matchAll(EMAIL_DOMAIN)) {
    let start = match.index;
    while (start > 0 && EMAIL_LOCAL_CHAR.test(text[start - 1] as string)) start--;
    if (start < match.index) spans.push({ start, end: match.index + match[0].length });
  }
  return spans;
}

/** Whether `offset` falls inside one of the sorted `spans`. */
export function insideSpan(spans: readonly Span[], offset: number): boolean {
  let low = 0;
  let high = spans.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const span = spans[middle] as Span;
    if (offset < span.start) high = middle - 1;
    else if (offset >= span.end) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * Runs of letters and digits, joined by an apostrophe or a hyphen when another run follows
 * at once ("aujourd'hui", "rendez-vous", "CMD-2024-88731"); a trailing elision ("jusqu'")
 * keeps its apostrophe.
 */
const TOKEN = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['’\-‐][\p{L}\p{N}][\p{L}\p{M}\p{N}]*)*(?:['’](?=\s|$))?/gu;
const HAS_DIGIT = /\p{N}/u;
const HAS_LETTER = /\p{L}/u;
/** Characters that may sit between a sentence's end and its first word: quotes, brackets, dashes, bullets. */
const OPENERS = new Set([...' \t\u00a0\u202f"«“‘\'([{-–—•*>']);
const SENTENCE_END = new Set(['.', '!', '?', '…', '\n']);

/**
 * The last long texts tokenized: one analysis reads the same reply in several analysers.
 * Short texts (names, keywords) are cheap to read again and would only push replies out.
 */
const recent = new Map<string, readonly Token[]>();
const RECENT_TEXTS = 8;
export const MIN_REMEMBERED_TEXT = 80;

/** Tokens of `text` in order, links as single tokens. The result is shared: never mutate it. */
export function tokenize(text: string): readonly Token[] {
  const known = recent.get(text);
  if (known !== undefined) return known;
  const tokens = readTokens(text);
  if (text.length >= MIN_REMEMBERED_TEXT) {
    if (recent.size >= RECENT_TEXTS) recent.delete(recent.keys().next().value as string);
    recent.set(text, tokens);
  }
  return tokens;
}

function readTokens(text: string): Token[] {
  const links = linkSpans(text);
  const tokens: Token[] = [];
  let nextLink = 0;
  for (const match of text.matchAll(TOKEN)) {
    const offset = match.index;
    while (nextLink < links.length && (links[nextLink] as Span).end <= offset) {
      const link = links[nextLink] as Span;
      tokens.push(linkToken(text, link));
      nextLink++;
    }
    if (insideSpan(links, offset)) continue;
    const word = match[0];
    const kind: TokenKind = HAS_DIGIT.test(word) ? (HAS_LETTER.test(word) ? 'reference' : 'number') : 'word';
    tokens.push({ text: word, offset, kind, sentenceStart: startsSentence(text, offset) });
  }
  for (; nextLink < links.length; nextLink++) tokens.push(linkToken(text, links[nextLink] as Span));
  return tokens;
}

function linkToken(text: string, span: Span): Token {
  return {
    text: text.slice(span.start, span.end),
    offset: span.start,
    kind: 'link',
    sentenceStart: startsSentence(text, span.start),
  };
}

/** Whether the word at `offset` opens a sentence, looking back over quotes and brackets. */
export function startsSentence(text: string, offset: number): boolean {
  let at = offset - 1;
  while (at >= 0 && OPENERS.has(text[at] as string)) at--;
  return at < 0 || SENTENCE_END.has(text[at] as string);
}

/** Number of words a reader would count: every token, a link being one. */
export function countWords(text: string): number {
  return tokenize(text).length;
}

/** Lower case without accents, for comparing one word with another ("Élodie" = "elodie"). */
export function foldWord(word: string): string {
  const known = foldedWords.get(word);
  if (known !== undefined) return known;
  const folded = word.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().replace(/’/g, "'");
  if (word.length <= MAX_REMEMBERED_WORD) {
    if (foldedWords.size >= FOLDED_WORDS) foldedWords.clear();
    foldedWords.set(word, folded);
  }
  return folded;
}

/** Words already folded: every analyser compares words this way, and replies share most of theirs. */
const foldedWords = new Map<string, string>();
const FOLDED_WORDS = 50_000;
const MAX_REMEMBERED_WORD = 40;

/**
 * Lines that open a legal or boilerplate footer: confidentiality notices, company
 * registration, "do not reply", print-the-planet pleas, unsubscribe links. Matched on folded
 * text. They are no one's writing, so spelling and form never judge them.
 */
const FOOTER_MARKERS: readonly RegExp[] = [
  /confidenti/,
  /\b(?:ce|le present) (?:message|courriel|e-?mail)\b.{0,40}\b(?:pieces? jointes?|destine|etabli)/,
  /\bdestinataires?\b.{0,40}\b(?:exclusi|uniquement|seul|intention|prevu)/,
  /\bthis (?:e-?mail|message|communication)\b.{0,40}\b(?:attachments?|intended|privileged|may contain)/,
  /\bintended (?:solely )?(?:only )?for the\b|\bintended recipient/,
  /\bdisclaimer\b|\bavertissement\s*:/,
  /\b(?:sas|sa|sarl|sasu|sca|snc)\b.{0,20}\bau capital\b|\bau capital de\b/,
  /\brcs\b|\bsiret\b|\bsiren\b|\btva intracom|\bsiege social\b|\bregistered (?:office|in england)\b|\bcompany (?:no|number|registration)\b/,
  /\bn'?imprime[rz]\b|\bpensez a l'environnement\b|\bconsider the environment\b|\bbefore printing\b/,
  /\bmerci de ne pas repondre\b|\bne (?:pas )?repondez pas\b|\bdo not reply\b|\bplease do not respond\b/,
  /\bse desinscrire\b|\bdesabonne|\bdesinscription\b|\bunsubscribe\b/,
];

/** Lines of a footer paragraph above its marker line are this long or more (wrapped prose). */
const FOOTER_PROSE_LINE = 40;

/**
 * Offset where the legal footer of `text` begins, or null when it has none. The footer
 * starts at the first line carrying a marker, moved up over the wrapped prose lines of the
 * same paragraph, but never over a short line such as a name or a job title.
 */
export function legalFooterOffset(text: string): number | null {
  const lines = lineStarts(text);
  for (let index = 0; index < lines.length; index++) {
    const line = lineAt(text, lines, index);
    const folded = foldWord(line);
    if (!FOOTER_MARKERS.some((marker) => marker.test(folded))) continue;
    let first = index;
    while (first > 0) {
      const above = lineAt(text, lines, first - 1).trim();
      if (above.length < FOOTER_PROSE_LINE) break;
      first--;
    }
    return lines[first] as number;
  }
  return null;
}

/** The part of `text` above its legal footer. */
export function withoutLegalFooter(text: string): string {
  const footer = legalFooterOffset(text);
  return footer === null ? text : text.slice(0, footer);
}

/** Offsets where each line of `text` begins. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}

function lineAt(text: string, starts: readonly number[], index: number): string {
  const start = starts[index] as number;
  const next = starts[index + 1];
  return text.slice(start, next === undefined ? text.length : next - 1);
}
