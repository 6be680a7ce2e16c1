/**
 * Fast spelling suggestions: the words one edit away from the misspelt one, checked against
 * the dictionary in the order people mistype.
 *
 * Hunspell's own `suggest` on the French dictionary takes from 5 ms to over a second per word
 * (its n-gram pass walks the whole dictionary), far above a budget of a few milliseconds for
 * a whole reply. One edit fixes most real typos ("Malheuresement", "recevoire", "acceuil",
 * "delai"), and asking the dictionary is the cost, so few candidates are asked about:
 * - the typo is located by the letter 4-grams the language never uses, and only edits there
 *   are made ("gratuiteent": around "teen");
 * - a candidate of the many letter insertions and substitutions must consist of known
 *   4-grams, any other of known trigrams (n-grams come from the dictionary's stems and affixes);
 * - once a correction is found, far costlier edits are not tried.
 * 4-grams across a stem-affix join can be missing, so when this finds nothing, a second pass
 * makes every edit and asks only for known trigrams.
 */

export interface LetterGrams {
  trigrams: ReadonlySet<string>;
  quadgrams: ReadonlySet<string>;
}

export interface SuggestOptions {
  /** Letters tried for insertions and substitutions, most frequent first. */
  alphabet: string;
  /** Keyboard rows and neighbour groups (Hunspell's KEY syntax: `azertyuiop|qsdfghjklm|…`). */
  keyboard: string;
  /** Sound-alike rewrites (Hunspell's REP: `ph`→`f`; `^` and `$` anchor, `_` is a space). */
  replacements: readonly (readonly [string, string])[];
  /** Elision prefixes a missing apostrophe may hide ("lexpédition" → "l'expédition"). */
  elisions: readonly string[];
  /** Letter n-grams the language uses; a candidate with another is dropped unchecked. */
  grams: LetterGrams;
  max: number;
}

/** Relative cost of each edit: lower is likelier. Omitted letters are the commonest typo. */
const COST = {
  accent: 0.2,
  doubling: 0.3,
  elision: 0.35,
  replacement: 0.4,
  transposition: 0.4,
  insertion: 0.5,
  /** One vowel for another: a sound heard, not a key missed ("example" for "exemple"). */
  vowel: 0.55,
  deletion: 0.6,
  keyboard: 0.6,
  substitution: 0.9,
  split: 1,
  /** Added when the first letter changes: people rarely mistype it. */
  firstLetter: 0.3,
} as const;

/**
 * Once a correction is found, candidates costing this much more are not even checked: they
 * would be worse suggestions, and skipping the many substitutions is most of the speed.
 */
const COST_WINDOW = 0.25;

/** Letters that differ only by an accent or a cedilla. */
const ACCENT_CLASSES = ['aàâä', 'eéèêë', 'iîï', 'oôö', 'uùûü', 'cç', 'yÿ'];
const ACCENT_VARIANTS = new Map<string, string>();
for (const group of ACCENT_CLASSES) for (const letter of group) ACCENT_VARIANTS.set(letter, group);
const VOWELS = new Set([...'aeiouyàâäéèêëîïôöùûüÿœ']);

/** Corrections of `word` that `correct` accepts, best first, in the word's own case. */
export function suggestByEdits(word: string, correct: (candidate: string) => boolean, options: SuggestOptions): string[] {
  const lower = word.toLowerCase();
  const near = bestOf(candidates(lower, options, true), correct, options, true);
  const found = near.length > 0 ? near : bestOf(candidates(lower, options, false), correct, options, false);
  const casing = caseOf(word);
  return found.map((candidate) => applyCase(candidate, casing));
}

interface Candidate {
  cost: number;
  /** Where the edit was made: the n-grams around it are the likeliest to be unknown. */
  at: number;
  /** Made by inserting or substituting any letter of the alphabet: the many, unlikely ones. */
  bulk: boolean;
}

/** The cheapest plausible candidates the dictionary accepts, within `COST_WINDOW` of the best. */
function bestOf(costs: Map<string, Candidate>, correct: (candidate: string) => boolean, options: SuggestOptions, strict: boolean): string[] {
  const { trigrams, quadgrams } = options.grams;
  const ranked = [...costs]
    .filter(([candidate, { bulk, at }]) => (strict && bulk ? allKnown(candidate, quadgrams, 4, at) : allKnown(candidate, trigrams, 3, at)))
    .sort((a, b) => a[1].cost - b[1].cost);
  const found: string[] = [];
  let bestCost = Number.POSITIVE_INFINITY;
  for (const [candidate, { cost }] of ranked) {
    if (cost > bestCost + COST_WINDOW) break;
    // A lower-case word is right in any case, so the cheaper lower-case check is enough.
    if (candidate.split(' ').every((piece) => correct(piece))) {
      found.push(candidate);
      bestCost = Math.min(bestCost, cost);
      if (found.length >= options.max) break;
    }
  }
  return found;
}

/**
 * Every candidate one edit away from `lower`, with the cost of the cheapest edit giving it.
 * With `nearTypo`, only edits that touch every 4-gram of `lower` the language never uses are
 * made: an edit elsewhere leaves the typo in place.
 */
function candidates(lower: string, options: SuggestOptions, nearTypo: boolean): Map<string, Candidate> {
  const neighbours = keyboardNeighbours(options.keyboard);
  const unknown = nearTypo ? unknownQuadgrams(lower, options.grams.quadgrams) : null;
  /** Whether an edit that breaks the 4-grams starting in [from, to] breaks every unknown one. */
  const reaches = (from: number, to: number): boolean => unknown === null || (unknown.first >= from && unknown.last <= to);
  const costs = new Map<string, Candidate>();
  const consider = (candidate: string, cost: number, changedAt: number, bulk = false): void => {
    if (candidate === lower || candidate.length === 0) return;
    const total = cost + (changedAt === 0 ? COST.firstLetter : 0);
    const known = costs.get(candidate);
    if (known === undefined || total < known.cost) costs.set(candidate, { cost: total, at: changedAt, bulk: bulk && (known?.bulk ?? true) });
  };

  for (let at = 0; at <= lower.length; at++) {
    const before = lower.slice(0, at);
    const here = lower[at];
    const after = lower.slice(at + 1);
    const insertion = reaches(at - 3, at - 1);
    const change = here !== undefined && reaches(at - 3, at);
    for (const letter of insertion || change ? options.alphabet : '') {
      const doubled = letter === here || letter === lower[at - 1];
      if (insertion) consider(before + letter + lower.slice(at), doubled ? COST.doubling : COST.insertion, at, !doubled);
      if (change && letter !== here) consider(before + letter + after, substitutionCost(here, letter, neighbours), at, true);
    }
    if (insertion && at >= 2 && lower.length - at >= 2) consider(`${before} ${lower.slice(at)}`, COST.split, at);
    if (here === undefined) continue;
    if (change) {
      for (const variant of ACCENT_VARIANTS.get(here) ?? '') if (variant !== here) consider(before + variant + after, COST.accent, at);
      const undoubled = here === lower[at - 1] || here === lower[at + 1];
      consider(before + after, undoubled ? COST.doubling : COST.deletion, at);
    }
    const next = lower[at + 1];
    if (next !== undefined && next !== here && reaches(at - 3, at + 1)) consider(before + next + here + lower.slice(at + 2), COST.transposition, at);
  }
  for (const [from, to] of options.replacements) {
    for (const [at, length] of replacementSites(lower, from)) {
      if (!reaches(at - 3, at + length - 1)) continue;
      consider(lower.slice(0, at) + to.replace(/_/gu, ' ') + lower.slice(at + length), COST.replacement, at === 0 ? 1 : at);
    }
  }
  for (const prefix of options.elisions) {
    if (lower.startsWith(prefix) && lower.length > prefix.length + 1 && reaches(prefix.length - 3, prefix.length - 1)) {
      consider(`${prefix}'${lower.slice(prefix.length)}`, COST.elision, 1);
    }
  }
  return costs;
}

/** Start offsets of the first and last 4-grams of `word` the language never uses, or null when all are known. */
function unknownQuadgrams(word: string, quadgrams: ReadonlySet<string>): { first: number; last: number } | null {
  let first = -1;
  let last = -1;
  for (let at = 0; at + 4 <= word.length; at++) {
    if (quadgrams.has(word.slice(at, at + 4))) continue;
    if (first === -1) first = at;
    last = at;
  }
  return first === -1 ? null : { first, last };
}

/** `[offset, length]` of each place a REP pattern applies, honouring its `^` and `$` anchors. */
function replacementSites(word: string, pattern: string): [number, number][] {
  const atStart = pattern.startsWith('^');
  const atEnd = pattern.endsWith('$');
  const plain = pattern.slice(atStart ? 1 : 0, atEnd ? -1 : undefined).replace(/_/gu, ' ');
  if (plain.length === 0) return [];
  const sites: [number, number][] = [];
  for (let at = word.indexOf(plain); at !== -1; at = word.indexOf(plain, at + 1)) {
    if ((!atStart || at === 0) && (!atEnd || at + plain.length === word.length)) sites.push([at, plain.length]);
  }
  return sites;
}

function substitutionCost(from: string, to: string, neighbours: ReadonlyMap<string, ReadonlySet<string>>): number {
  if (ACCENT_VARIANTS.get(from)?.includes(to)) return COST.accent;
  if (VOWELS.has(from) && VOWELS.has(to)) return COST.vowel;
  return neighbours.get(from)?.has(to) ? COST.keyboard : COST.substitution;
}

/** Every n-gram of every word of `candidate` is one the language uses; those around `editAt` are looked at first. */
function allKnown(candidate: string, grams: ReadonlySet<string>, size: number, editAt: number): boolean {
  const from = Math.max(0, editAt - size + 1);
  for (let at = from; at <= editAt && at + size <= candidate.length; at++) {
    const gram = candidate.slice(at, at + size);
    if (!gram.includes(' ') && !gram.includes("'") && !grams.has(gram)) return false;
  }
  for (const piece of candidate.split(/[ ']/u)) {
    for (let at = 0; at + size <= piece.length; at++) if (!grams.has(piece.slice(at, at + size))) return false;
  }
  return true;
}

/** Trigrams and 4-grams of `words`, lower-cased. */
export function letterGrams(words: Iterable<string>): LetterGrams {
  const trigrams = new Set<string>();
  const quadgrams = new Set<string>();
  for (const word of words) {
    const lower = word.toLowerCase();
    for (let at = 0; at + 3 <= lower.length; at++) {
      trigrams.add(lower.slice(at, at + 3));
      if (at + 4 <= lower.length) quadgrams.add(lower.slice(at, at + 4));
    }
  }
  return { trigrams, quadgrams };
}

/** N-grams of a Hunspell dictionary: of every stem in the `.dic` and every affix in the `.aff`. */
export function dictionaryGrams(aff: string, dic: string): LetterGrams {
  return letterGrams(dictionaryPieces(aff, dic));
}

function* dictionaryPieces(aff: string, dic: string): Generator<string> {
  let lineStart = dic.indexOf('\n') + 1; // the first line is the word count
  while (lineStart > 0 && lineStart < dic.length) {
    const lineEnd = dic.indexOf('\n', lineStart);
    const line = dic.slice(lineStart, lineEnd === -1 ? dic.length : lineEnd);
    const slash = line.indexOf('/');
    yield (slash === -1 ? line : line.slice(0, slash)).trim();
    lineStart = lineEnd + 1;
  }
  for (const match of aff.matchAll(/^[PS]FX\s+\S+\s+\S+\s+(\S+)/gmu)) {
    const affix = (match[1] as string).split('/')[0] as string;
    if (affix !== '0') yield affix;
  }
}

/** REP lines of a Hunspell affix file, as `[from, to]` pairs. */
export function affixReplacements(aff: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const match of aff.matchAll(/^REP\s+(\S+)\s+(\S+)\s*$/gmu)) pairs.push([match[1] as string, match[2] as string]);
  return pairs;
}

const neighbourCache = new Map<string, Map<string, Set<string>>>();

/** Letters next to each other on the keyboard, from Hunspell's KEY groups. */
function keyboardNeighbours(keyboard: string): Map<string, Set<string>> {
  const cached = neighbourCache.get(keyboard);
  if (cached !== undefined) return cached;
  const neighbours = new Map<string, Set<string>>();
  for (const group of keyboard.split('|')) {
    const letters = [...group];
    letters.forEach((letter, index) => {
      const set = neighbours.get(letter) ?? new Set<string>();
      if (index > 0) set.add(letters[index - 1] as string);
      if (index < letters.length - 1) set.add(letters[index + 1] as string);
      neighbours.set(letter, set);
    });
  }
  neighbourCache.set(keyboard, neighbours);
  return neighbours;
}

type Casing = 'lower' | 'title' | 'upper';

function caseOf(word: string): Casing {
  if (word.length > 1 && word === word.toUpperCase() && word !== word.toLowerCase()) return 'upper';
  const first = word[0] ?? '';
  return first !== first.toLowerCase() ? 'title' : 'lower';
}

function applyCase(word: string, casing: Casing): string {
  if (casing === 'upper') return word.toUpperCase();
  if (casing === 'title') return word.charAt(0).toUpperCase() + word.slice(1);
  return word;
}
