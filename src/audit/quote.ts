import { cutSignature } from './signature.ts';
import { QUOTE_HEADERS } from './quote-headers.ts';
import type { QuoteHeaderLanguage } from './quote-headers.ts';

export interface ReplySplit {
  /** The new text; ends with the closing formula when there is one. Trimmed. */
  replyText: string;
  /** The lines after the closing formula or the "-- " delimiter, or a mobile footer; null when none. */
  signature: string | null;
  /** The quoted history, attribution lines included; null when none. */
  quoted: string | null;
}

type Mark = 'text' | 'empty' | 'quoted' | 'attribution' | 'boundary';

/**
 * Splits a message's text into the new reply, its signature and the quoted history.
 *
 * Lines are first marked (text, empty, `>`-quoted, attribution such as "On … wrote:" /
 * "Le … a écrit :", or a hard boundary such as "-----Original Message-----", a forwarded
 * marker or an Outlook "From: / Sent: / To: / Subject:" block), then cut:
 * - a hard boundary ends the reply: everything after it is quoted, whatever it looks like;
 * - top-posting (text above the first quote): the reply is that text;
 * - bottom-posting (the message opens with the quote) or inline answers (text between two
 *   quoted blocks): the reply is every unquoted line, the quoted lines are the history.
 * The signature is then cut from the reply (see `cutSignature`).
 */
export function splitReply(text: string): ReplySplit {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map(trimEnd);
  // a helpdesk's "reply above this line" marker is no part of any reply
  const marker = lines.findIndex((line) => HELPDESK_MARKER.test(line.trim()));
  if (marker !== -1) lines[marker] = '';
  const marks = markLines(lines, marker !== -1);
  const boundary = marks.indexOf('boundary');
  const region = boundary === -1 ? lines.length : boundary;
  const isQuote = (i: number): boolean => marks[i] === 'quoted' || marks[i] === 'attribution';
  const firstQuote = marks.findIndex((_, i) => i < region && isQuote(i));

  let body: string[];
  let quoted: string[];
  if (firstQuote === -1) {
    body = lines.slice(0, region);
    quoted = lines.slice(region);
  } else if (marks.slice(0, firstQuote).includes('text') && !isInterleaved(marks, firstQuote, region)) {
    body = lines.slice(0, firstQuote);
    quoted = lines.slice(firstQuote);
  } else {
    body = lines.slice(0, region).filter((_, i) => !isQuote(i));
    quoted = [...lines.slice(0, region).filter((_, i) => isQuote(i)), ...lines.slice(region)];
  }
  const { body: reply, signature } = cutSignature(dropTrailingRules(body));
  return {
    replyText: reply.join('\n').trim(),
    signature: joinOrNull(signature),
    quoted: joinOrNull(quoted),
  };
}

/** Marks every line up to the first hard boundary (what follows it is quoted whatever it is). */
function markLines(lines: string[], helpdesk: boolean): Mark[] {
  const nextContent = nextContentIndexes(lines);
  const marks: Mark[] = [];
  // helpdesk notifications (Zendesk, Freshdesk…): after their "reply above this line" marker, the
  // ticket's comments follow newest first, each under a "name / date" header; the second header
  // starts the history
  let commentHeaders = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (helpdesk && isCommentHeader(lines, nextContent, i) && ++commentHeaders === 2) {
      marks.push('boundary');
      break;
    } else if (line.trim() === '') marks.push('empty');
    else if (/^\s*>/.test(line)) marks.push('quoted');
    else if (isHardBoundary(lines, nextContent, i)) {
      marks.push('boundary');
      break;
    } else {
      const span = attributionSpan(lines, nextContent, i);
      if (span === 0) marks.push('text');
      for (let k = 0; k < span; k += 1) marks.push('attribution');
      i += Math.max(span - 1, 0);
    }
  }
  return marks;
}

/** "##- Please type your reply above this line -##" and its translations, "-- Reply above this line --". */
const HELPDESK_MARKER =
  /^(?:##-|-{2,}|\[)\s*(?:please (?:type your )?reply above this line|reply above this line|veuillez (?:taper votre réponse|répondre) au-dessus de cette ligne|répondez au-dessus de cette ligne|bitte geben sie ihre antwort über dieser zeile ein|escriba su respuesta encima de esta línea|digita la tua risposta sopra questa riga|typ uw antwoord boven deze regel)\.?\s*(?:-##|-{2,}|\])$/iu;
/** A comment's date line in a helpdesk notification: "4 mars 2024, 10:12 CET", "Mar 4, 2024, 10:12 CET". */
const COMMENT_DATE = /^(?:\d{1,2}\.? \p{L}+\.? \d{4}|\p{L}+\.? \d{1,2},? \d{4}),? (?:à |at |um )?\d{1,2}[:h]\d{2}(?: ?[AP]M)?(?: [A-Z]{2,5}| UTC[+-]\d+)?$/u;

/** A short name line followed by a comment date line: the header of one comment of a ticket. */
function isCommentHeader(lines: string[], nextContent: number[], i: number): boolean {
  const name = (lines[i] ?? '').trim();
  if (name === '' || name.length > 80 || /[.!?:;]$/.test(name)) return false;
  const next = nextContent[i] ?? lines.length;
  return next - i <= 2 && COMMENT_DATE.test((lines[next] ?? '').trim());
}

/** For each line, the index of the first non-empty line after it (lines.length when none). */
function nextContentIndexes(lines: string[]): number[] {
  const next = new Array<number>(lines.length);
  let upcoming = lines.length;
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    next[i] = upcoming;
    if ((lines[i] ?? '').trim() !== '') upcoming = i;
  }
  return next;
}

/** Text between two quoted blocks: an inline answer, as in "> question / answer / > question / answer". */
function isInterleaved(marks: Mark[], firstQuote: number, region: number): boolean {
  const firstText = marks.findIndex((mark, i) => i > firstQuote && i < region && mark === 'text');
  if (firstText === -1) return false;
  return marks.some((mark, i) => i > firstText && i < region && (mark === 'quoted' || mark === 'attribution'));
}

const LANGUAGES = Object.values(QUOTE_HEADERS);
const alternation = (pick: (language: QuoteHeaderLanguage) => string[]): string =>
  [...new Set(LANGUAGES.flatMap(pick))].join('|');

/** Forward and original-message separators, in every language of the table (tested on trimmed lines). */
const SEPARATOR = new RegExp(
  `^(?:-{2,}|_{2,}|={2,})\\s*(?:${alternation((l) => l.separators)})\\s*(?:-{2,}|_{2,}|={2,})$`,
  'iu',
);
const FORWARD_INTRO = new RegExp(`^(?:${alternation((l) => l.forwardIntros ?? [])})\\s*:$`, 'iu');
/** Outlook's reply separator (`____…` in text, a rule in HTML), when a header block follows. */
const RULE = /^(?:_{10,}|-{10,}|—{5,})$/;

function isHardBoundary(lines: string[], nextContent: number[], i: number): boolean {
  const line = (lines[i] ?? '').trim().replace(/[\u2018\u2019\u02bc]/g, "'");
  if (SEPARATOR.test(line) || FORWARD_INTRO.test(line)) return true;
  if (RULE.test(line)) {
    const next = nextContent[i] ?? lines.length;
    return next - i <= 3 && isHeaderBlock(lines, next);
  }
  return isHeaderBlock(lines, i);
}

const headerKey = (names: string): RegExp => new RegExp(`^\\*?(?:${names})(?:\\s*\\*)?\\s*[:：]`, 'iu');
const FROM_KEY = headerKey(alternation((l) => l.from));
const HEADER_KEY = headerKey(alternation((l) => [...l.from, ...l.fields]));

/** A quoted message's header block: at least three header lines among six, one of them "From:"/"Von:". */
function isHeaderBlock(lines: string[], i: number): boolean {
  if (!HEADER_KEY.test((lines[i] ?? '').trim())) return false;
  const keys = lines.slice(i, i + 6).map((line) => line.trim()).filter((line) => HEADER_KEY.test(line));
  return keys.length >= 3 && keys.some((line) => FROM_KEY.test(line));
}

const ATTRIBUTION_VERB = new RegExp(`(?:^|[\\s,)>"])(?:${alternation((l) => l.verbs)})\\s*[:：]$`, 'iu');
/**
 * How a wrapped attribution's first line begins: a word of the table ("On", "Am", "Op"), a
 * date, a short weekday and a day before a year ("tir. 18. apr. 2017", "pe 20. lokakuuta
 * 2017", "ср, 30 апр. 2025"), or a name and address already followed by the verb (Gmail's
 * "X <x@y> schrieb am Fr., 28."). A text line written right above an attribution matches
 * none of these, so it is not taken into it.
 */
const ATTRIBUTION_START = new RegExp(
  `^(?:(?:${alternation((l) => l.starts)})\\b|\\d|\\p{L}{2,4}\\.?,?\\s+\\d{1,2}[.,]?\\s(?=.*\\b(?:19|20)\\d{2}\\b)|[^.!?]{0,80}<[^<>\\s]+@[^<>\\s]+>\\s*(?:${alternation((l) => l.verbs)}))`,
  'iu',
);
/** A verbless attribution: a time, then the sender's address in angle brackets just before the colon. */
const VERBLESS_ATTRIBUTION = /\b\d{1,2}:\d{2}\b.*<[^<>\s]+@[^<>\s]+>\s*[:：]$/u;
const MAX_ATTRIBUTION_LINES = 3;
const MAX_ATTRIBUTION_LENGTH = 300;

/**
 * How many lines, from `i`, form an attribution ("On Mon, … X <x@y> wrote:", "Am … schrieb …:",
 * wrapped over up to three lines); 0 when none. Without a known verb, a line ending in ":"
 * that holds a date and an address and introduces `>` lines counts as one too, and so does a
 * line ending in "<address>:" after a time (Gmail's Russian "ср, 30 апр. 2025 г. в 15:19, X <x@y>:").
 */
function attributionSpan(lines: string[], nextContent: number[], i: number): number {
  const part: string[] = [];
  for (let span = 1; span <= MAX_ATTRIBUTION_LINES; span += 1) {
    const line = (lines[i + span - 1] ?? '').trim();
    // an over-long line is no attribution, and never reaches the patterns (hostile input stays linear)
    if (line === '' || line.length > MAX_ATTRIBUTION_LENGTH || (span === 2 && !ATTRIBUTION_START.test(part[0] ?? ''))) return 0;
    part.push(line);
    if (!/[:：]$/.test(line)) continue;
    const joined = part.join(' ');
    if (joined.length > MAX_ATTRIBUTION_LENGTH) return 0;
    const introducesQuote = /^\s*>/.test(lines[nextContent[i + span - 1] ?? lines.length] ?? '');
    if (ATTRIBUTION_VERB.test(joined) && (/[\d@]/.test(joined) || introducesQuote)) return span;
    if (introducesQuote && /\d/.test(joined) && /@|\d:\d\d/.test(joined)) return span;
    if (VERBLESS_ATTRIBUTION.test(joined)) return span;
  }
  return 0;
}

/** Rules left at the end of the reply by an HTML separator or an Outlook line. */
function dropTrailingRules(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && /^(?:[-_=*~—]{3,})?$/.test((lines[end - 1] ?? '').trim())) end -= 1;
  return lines.slice(0, end);
}

/** Trailing whitespace off, zero-width spaces included (a plain regex would be quadratic on long runs). */
function trimEnd(line: string): string {
  let end = line.length;
  while (end > 0 && /[\s\u200b]/u.test(line.charAt(end - 1))) end -= 1;
  return line.slice(0, end);
}

function joinOrNull(lines: string[]): string | null {
  const joined = lines.join('\n').trim();
  return joined === '' ? null : joined;
}
