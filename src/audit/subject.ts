/**
 * Subjects and texts in the form they are compared in, and the ticket references that
 * customer-service tools write into them ("[#12345]", "Dossier n° 12345", "Case 00123456").
 */

/** Lower case, accents dropped, anything but letters and digits as one space. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The identifier itself: digits, optionally after a short prefix or before a suffix ("ABC-12345"). */
const TICKET_ID = String.raw`((?:[A-Z]{1,10}-)?\d{3,}(?:-[A-Z0-9]+)*)`;
/**
 * Words that introduce a ticket. "commande" (an order) is left out on purpose: an order
 * number belongs to the persona's story, is the same across probes of a scenario, and says
 * nothing about which probe a reply answers.
 */
const TICKET_WORD = `(?:${[
  'ticket',
  'request',
  'requ[eê]te',
  'demande',
  'case',
  'dossier',
  'incident',
  'r[ée]clamation',
  'r[ée]f(?:[ée]rence)?',
].join('|')})`;
const NUMBER_WORD = String.raw`(?:n[°ºo]|nr|num(?:[ée]ro)?|number)`;
/**
 * What may stand between the words and the number (" n° ", " : #", ". "). Bounded, like
 * every repetition here: the texts come from outside, and nested open-ended blanks would
 * let a crafted subject make the matching take quadratic or cubic time.
 */
const SEP = String.raw`[\s.:#]{0,5}`;
const OF_YOUR = String.raw`(?:(?:de|of)\s{1,3}(?:(?:votre|your)\s{1,3})?)?`;
const NOT_WORD_BEFORE = String.raw`(?<![\p{L}\p{N}])`;
const NOT_WORD_AFTER = String.raw`(?![\p{L}\p{N}])`;

const pattern = (...parts: string[]): RegExp => new RegExp(parts.join(''), 'giu');

/** Longest forms first: removing them from a subject must not leave "N° de" behind. */
const TICKET_PATTERNS: readonly RegExp[] = [
  // "[#12345]", "[# ABC-12345]"
  pattern(String.raw`\[\s{0,3}#\s{0,3}`, TICKET_ID, String.raw`\s{0,3}\]`),
  // "N° de dossier : 12345", "numéro de votre demande : 12345", "number of your request: 123"
  pattern(NOT_WORD_BEFORE, NUMBER_WORD, SEP, OF_YOUR, TICKET_WORD, SEP, TICKET_ID, NOT_WORD_AFTER),
  // "Ticket #12345", "Dossier n° 12345", "Case 00123456", "Réf. ABC-12345", "Request #123"
  pattern(NOT_WORD_BEFORE, TICKET_WORD, SEP, `(?:${NUMBER_WORD}${SEP})?`, TICKET_ID, NOT_WORD_AFTER),
];

/** Ticket references in a text, upper-cased and without repeats, in order of appearance. */
export function extractTicketRefs(text: string): string[] {
  const found: { at: number; ref: string }[] = [];
  for (const ticketPattern of TICKET_PATTERNS) {
    for (const match of text.matchAll(ticketPattern)) {
      if (match[1] !== undefined) found.push({ at: match.index, ref: match[1].toUpperCase() });
    }
  }
  found.sort((a, b) => a.at - b.at);
  return [...new Set(found.map((f) => f.ref))];
}

/**
 * "Re:", "TR:", "Fwd:", "AW:", "Réf. :"… in the languages brands answer in, with the
 * counters some clients add ("Re[2]:", "RE (3) :").
 */
const REPLY_PREFIX =
  /^[\s\-–—:|.]*(?:re|r|aw|antw|sv|vs|rv|rif|tr|fw|fwd|wg|r[ée]p(?:onse)?|r[ée]f)\s{0,3}(?:[[(]\d+[\])])?\s{0,3}[:：]/iu;
/** "[#12345]", "[EXTERNAL]", "[Service client]": tags tools add to a subject. */
const BRACKET_TAG = /\[[^\][]{0,80}\]/gu;

/**
 * The subject as typed by the person who wrote it first: reply and forward prefixes,
 * ticket references and bracketed tags removed, then folded (case, accents, punctuation).
 */
export function normaliseSubject(subject: string): string {
  let rest = subject;
  for (const ticketPattern of TICKET_PATTERNS) rest = rest.replace(ticketPattern, ' ');
  rest = rest.replace(BRACKET_TAG, ' ');
  let before: string;
  do {
    before = rest;
    rest = rest.replace(REPLY_PREFIX, '');
  } while (rest !== before);
  return foldText(rest);
}
