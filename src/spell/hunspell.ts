/**
 * Hunspell dictionaries behind the `Speller` interface: the one piece of spelling that does
 * I/O. Each language is loaded once per process (nodehun, a native addon, with the
 * `dictionary-fr` / `dictionary-en` packages) and shared through a cached promise.
 *
 * Measured on the French dictionary: ready in about 0.15 s (n-gram tables included), +30 MB,
 * ~300,000 words checked per second. Suggestions come from `suggest.ts` (under a millisecond a
 * word); Hunspell's own, much slower, suggester is asked only for a `thorough` search of a word
 * no single edit fixes.
 */
import { createRequire } from 'node:module';
import type { Nodehun as NodehunInstance } from 'nodehun';
import type { Speller, SuggestionEffort } from '../audit/spelling.ts';
import { affixReplacements, dictionaryGrams, suggestByEdits, type SuggestOptions } from './suggest.ts';

export type SpellerLanguage = 'fr' | 'en';

export const SPELLER_LANGUAGES: readonly SpellerLanguage[] = ['fr', 'en'];

interface HunspellDictionary {
  aff: Uint8Array;
  dic: Uint8Array;
}

/** What differs between languages beyond the dictionary itself. */
const ELISIONS: Record<SpellerLanguage, readonly string[]> = {
  fr: ['l', 'd', 'j', 'm', 'n', 's', 't', 'c', 'qu', 'jusqu', 'lorsqu', 'puisqu'],
  en: [],
};
/**
 * Sound-alike endings the dictionaries' REP tables lack: in French, "-er", "-ez", "-é" and
 * "-ais", "-ait" sound the same and are confused all the time ("veuiller" for "veuillez").
 */
const ENDINGS: Record<SpellerLanguage, readonly (readonly [string, string])[]> = {
  fr: [
    ['er$', 'ez'],
    ['ez$', 'er'],
    ['er$', 'é'],
    ['é$', 'er'],
    ['ez$', 'é'],
    ['é$', 'ez'],
    ['ais$', 'ait'],
    ['ait$', 'ais'],
  ],
  en: [],
};
/** Letters of the TRY line kept for insertions and substitutions: the rare ones cost time and help little. */
const ALPHABET_SIZE = 40;
const MAX_SUGGESTIONS = 5;
/** Suggestions remembered per language; a brand's typos recur from one reply to the next. */
const SUGGESTION_CACHE_SIZE = 10_000;

const NodehunClass = (createRequire(import.meta.url)('nodehun') as { Nodehun: typeof NodehunInstance }).Nodehun;

const loading = new Map<SpellerLanguage, Promise<Speller>>();

/** The speller of `language`, loaded on first use and then shared by the whole process. */
export function loadSpeller(language: SpellerLanguage): Promise<Speller> {
  let speller = loading.get(language);
  if (speller === undefined) {
    speller = importDictionary(language).then((dictionary) => createSpeller(language, dictionary));
    loading.set(language, speller);
    speller.catch(() => loading.delete(language));
  }
  return speller;
}

/** Whether `language` has a dictionary here. */
export function hasSpeller(language: string): language is SpellerLanguage {
  return (SPELLER_LANGUAGES as readonly string[]).includes(language);
}

async function importDictionary(language: SpellerLanguage): Promise<HunspellDictionary> {
  const module = (language === 'fr' ? await import('dictionary-fr') : await import('dictionary-en')) as {
    default: HunspellDictionary;
  };
  return module.default;
}

/** A speller over an in-memory Hunspell dictionary (exported for the benchmark's load timing). */
export function createSpeller(language: SpellerLanguage, dictionary: HunspellDictionary): Speller {
  const aff = new TextDecoder().decode(dictionary.aff);
  const dic = new TextDecoder().decode(dictionary.dic);
  const hunspell = new NodehunClass(Buffer.from(withoutCaseMaps(aff)), toBuffer(dictionary.dic));
  const options: SuggestOptions = {
    alphabet: alphabetOf(aff),
    keyboard: /^KEY\s+(\S+)/mu.exec(aff)?.[1] ?? '',
    replacements: [...affixReplacements(aff), ...ENDINGS[language]],
    elisions: ELISIONS[language],
    grams: dictionaryGrams(aff, dic),
    max: MAX_SUGGESTIONS,
  };
  const correct = (word: string): boolean => hunspell.spellSync(word);
  const quick = new Map<string, string[]>();
  const thorough = new Map<string, string[]>();
  const remember = (cache: Map<string, string[]>, word: string, suggestions: string[]): string[] => {
    if (cache.size >= SUGGESTION_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(word, suggestions);
    return suggestions;
  };
  const suggestQuickly = (word: string): string[] => quick.get(word) ?? remember(quick, word, suggestByEdits(word, correct, options));

  return {
    language,
    correct,
    suggest(word: string, effort: SuggestionEffort = 'quick'): string[] {
      const found = suggestQuickly(word);
      if (found.length > 0 || effort === 'quick') return found;
      return thorough.get(word) ?? remember(thorough, word, (hunspell.suggestSync(word) ?? []).slice(0, MAX_SUGGESTIONS));
    },
  };
}

/**
 * The affix file without MAP entries that only pair a letter with its capital. French's
 * `MAP bB`, `MAP dD`… make Hunspell's suggester try every case mix of a word until its
 * quarter-second timer stops it, several times per word; the accent classes are kept.
 */
export function withoutCaseMaps(aff: string): string {
  const classes: string[] = [];
  for (const match of aff.matchAll(/^MAP\s+(\S+)\s*$/gmu)) {
    const group = match[1] as string;
    if (/^\d+$/u.test(group)) continue;
    const lower = [...new Set([...group.toLowerCase()])].join('');
    if (lower.length > 1 && !classes.includes(lower)) classes.push(lower);
  }
  const rest = aff.replace(/^MAP\s+.*(?:\r?\n|$)/gmu, '');
  if (classes.length === 0) return rest;
  return `${rest}\nMAP ${classes.length}\n${classes.map((group) => `MAP ${group}`).join('\n')}\n`;
}

/** Lower-case letters of the TRY line, in its order (most frequent first). */
function alphabetOf(aff: string): string {
  const tryLine = /^TRY\s+(\S+)/mu.exec(aff)?.[1] ?? 'esaitnrulodcmpvqfbghjxyzkw';
  const letters = [...new Set([...tryLine].filter((char) => char !== char.toUpperCase() && /\p{L}/u.test(char)))];
  return letters.slice(0, ALPHABET_SIZE).join('');
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
