/**
 * Canned answers: the same text sent, give or take a name or a number, to different probes.
 * A reply gets a MinHash fingerprint of its word 3-grams (stems, names and numbers blanked);
 * two fingerprints estimate the Jaccard similarity of the two texts' 3-gram sets. Stored
 * with the analysis, fingerprints compare across probes without the texts.
 */
import { fnv1a } from './hash.ts';
import { contentTerms } from './stem.ts';
import { foldWord } from './tokenize.ts';

/** Format tag: fingerprints of another version never compare. */
const PREFIX = 'mh1:';
const SLOTS = 64;
/** Bits kept per slot (b-bit MinHash): 16 make a chance collision negligible. */
const SLOT_HEX_DIGITS = 4;
const SHINGLE = 3;

/** Similarity from which two replies count as the same canned answer. */
export const CANNED_THRESHOLD = 0.8;

const SEEDS: readonly number[] = Array.from({ length: SLOTS }, (_, index) => mix(0x9e3779b9 ^ Math.imul(index + 1, 0x85ebca6b)));

/**
 * Fingerprint of `text`: `mh1:` and 64 slots of 4 hex digits; `mh1:` alone for a text with no
 * content words. `ignore` holds words to blank, such as the persona's names.
 */
export function cannedFingerprint(text: string, language: string, ignore: readonly string[] = []): string {
  const blanked = new Set(ignore.flatMap((name) => name.split(/[\s'’-]+/u)).map(foldWord));
  const terms = contentTerms(text, language).map((term) => (/\d/u.test(term.stem) ? '#' : blanked.has(term.stem) || blanked.has(foldWord(term.word)) ? '@' : term.stem));
  if (terms.length === 0) return PREFIX;
  const shingles = new Set<string>();
  for (let start = 0; start + SHINGLE <= Math.max(terms.length, SHINGLE); start++) {
    shingles.add(terms.slice(start, start + SHINGLE).join(' '));
  }
  const minima = new Array<number>(SLOTS).fill(0xffffffff);
  for (const shingle of shingles) {
    const hash = fnv1a(shingle);
    for (let slot = 0; slot < SLOTS; slot++) {
      const value = mix(hash ^ (SEEDS[slot] as number));
      if (value < (minima[slot] as number)) minima[slot] = value;
    }
  }
  return PREFIX + minima.map((value) => (value & 0xffff).toString(16).padStart(SLOT_HEX_DIGITS, '0')).join('');
}

/** Estimated Jaccard similarity (0..1, two decimals) of the texts behind two fingerprints; 0 when either is empty or of another format. */
export function fingerprintSimilarity(a: string, b: string): number {
  const length = PREFIX.length + SLOTS * SLOT_HEX_DIGITS;
  if (a.length !== length || b.length !== length || !a.startsWith(PREFIX) || !b.startsWith(PREFIX)) return 0;
  let equal = 0;
  for (let at = PREFIX.length; at < length; at += SLOT_HEX_DIGITS) {
    if (a.slice(at, at + SLOT_HEX_DIGITS) === b.slice(at, at + SLOT_HEX_DIGITS)) equal++;
  }
  return Math.round((equal / SLOTS) * 100) / 100;
}

/** MurmurHash3's finaliser: a cheap, well-spread 32-bit permutation. */
function mix(value: number): number {
  let hash = value >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
