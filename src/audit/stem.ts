/**
 * Content words of a text reduced to comparable stems: folded case and accents, grammatical
 * words dropped, Snowball stemming ("remboursé", "rembourser" → "rembours"). Relevance,
 * personalisation and canned-answer fingerprints all compare texts through this.
 */
import snowball, { type Stemmer } from 'snowball-stemmers';
import { foldWord, MIN_REMEMBERED_TEXT, tokenize } from './tokenize.ts';

export interface Term {
  /** Folded stem. */
  stem: string;
  /** The word as written. */
  word: string;
  offset: number;
}

const ALGORITHMS: Readonly<Record<string, string>> = {
  fr: 'french',
  en: 'english',
  de: 'german',
  es: 'spanish',
  it: 'italian',
  nl: 'dutch',
  pt: 'portuguese',
};

/** Grammatical words of French and English, folded; a reply may mix both. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a au aux avec ce ces cet cette ceci cela ca celui celle ceux dans de des du elle elles en et eux il ils ' +
    'je la le les leur leurs lui ma mais me meme mes moi mon ne ni nos notre nous on ou par pas pour qu que qui ' +
    'sa se ses son sur ta te tes toi ton tu un une vos votre vous y est sont etait ete etre avoir ai as avons avez ont ' +
    'sera serait fait faire peut pouvez pouvons doit tout tous toute toutes tres plus moins bien aussi encore deja ' +
    'donc car si lorsque quand comme ainsi alors apres avant chez entre sans sous vers afin dont ici ' +
    'the and or but of to in on at by for with from as is are was were be been being have has had do does did ' +
    'this that these those it its we you your our they them their he she his her i me my not no so if than then ' +
    'can could will would shall should may might must also very just any all some more most such there here about'
  ).split(/\s+/u),
);

const stemmers = new Map<string, Stemmer | null>();

/** The stemmer of `language`, or null for a language Snowball lacks (words are then only folded). */
export function stemmerFor(language: string): Stemmer | null {
  if (!stemmers.has(language)) {
    const algorithm = ALGORITHMS[language];
    stemmers.set(language, algorithm === undefined ? null : snowball.newStemmer(algorithm));
  }
  return stemmers.get(language) ?? null;
}

/**
 * Stems already computed, per stemmer. Snowball in JavaScript is the slowest step of
 * comparing texts, and replies repeat the same few thousand words; the memo is bounded.
 */
const memo = new Map<Stemmer, Map<string, string>>();
const MEMO_SIZE = 50_000;

/** Folded stem of one word; the stemmer reads accents, so it runs before folding. */
export function stemWord(word: string, stemmer: Stemmer | null): string {
  const lower = word.toLowerCase();
  if (stemmer === null) return foldWord(lower);
  let stems = memo.get(stemmer);
  if (stems === undefined) memo.set(stemmer, (stems = new Map()));
  let stem = stems.get(lower);
  if (stem === undefined) {
    stem = foldWord(stemmer.stem(lower));
    if (stems.size >= MEMO_SIZE) stems.clear();
    stems.set(lower, stem);
  }
  return stem;
}

const ELIDED = /^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]/iu;
const MIN_TERM_LENGTH = 3;

/**
 * Content terms of `text` in order: words with elisions cut off ("l'article" → "article") and
 * compounds split, grammatical and short words dropped; numbers and references ("14",
 * "CMD-88731") kept whole, folded. Links are left out. The result is shared: never mutate it.
 */
export function contentTerms(text: string, language: string): readonly Term[] {
  const key = `${language}\u0000${text}`;
  const known = recentTerms.get(key);
  if (known !== undefined) return known;
  const terms = readTerms(text, language);
  if (text.length >= MIN_REMEMBERED_TEXT) {
    if (recentTerms.size >= RECENT_TEXTS) recentTerms.delete(recentTerms.keys().next().value as string);
    recentTerms.set(key, terms);
  }
  return terms;
}

/** The last long texts read: personalisation, relevance and the fingerprint all read the reply. */
const recentTerms = new Map<string, readonly Term[]>();
const RECENT_TEXTS = 8;

function readTerms(text: string, language: string): Term[] {
  const stemmer = stemmerFor(language === 'und' ? 'fr' : language);
  const terms: Term[] = [];
  for (const token of tokenize(text)) {
    if (token.kind === 'number' || token.kind === 'reference') {
      if (token.text.length >= 2) terms.push({ stem: foldWord(token.text), word: token.text, offset: token.offset });
      continue;
    }
    if (token.kind !== 'word') continue;
    const elision = ELIDED.exec(token.text);
    const skip = elision === null ? 0 : elision[0].length;
    let at = token.offset + skip;
    for (const word of token.text.slice(skip).split(/[-‐'’]/u)) {
      const folded = foldWord(word);
      if (word.length >= MIN_TERM_LENGTH && !STOPWORDS.has(folded)) terms.push({ stem: stemWord(word, stemmer), word, offset: at });
      at += word.length + 1;
    }
  }
  return terms;
}

/**
 * Whether two stems name the same thing: equal, or one a prefix of the other when the
 * shorter has at least four letters (numbers must be equal) (Snowball leaves "livraison" whole but cuts "livré" to "livr").
 */
export function sameStem(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.charCodeAt(0) !== b.charCodeAt(0)) return false;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length >= 4 && /^\p{L}+$/u.test(short) && long.startsWith(short);
}
