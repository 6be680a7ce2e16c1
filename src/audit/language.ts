import { francAll } from 'franc-min';

/**
 * The language of a text as an ISO 639-1 code (`fr`, `en`, `de`…), or `und` when it cannot
 * be told.
 *
 * franc's trigram statistics are good on paragraphs and unreliable on the two-sentence
 * replies customer services often send ("Bonjour, c'est noté. Cordialement"), where a
 * handful of words decides. So short texts are first put to a vote of French and English
 * function words, the two languages the audits run in; franc decides when the vote is not
 * clear, and always on longer texts.
 */
export function detectLanguage(text: string): string {
  const words = wordsOf(text);
  if (words.length === 0) return 'und';
  const voted = stopWordVote(words);
  if (voted !== null && (words.length <= SHORT_TEXT_WORDS || isLandslide(words, voted))) return voted;
  if (words.length < MIN_FRANC_WORDS) return 'und';
  const joined = words.slice(0, MAX_FRANC_WORDS).join(' ');
  const ranked = francAll(joined, { only: FRANC_LANGUAGES, minLength: 1 });
  const close = new Set(ranked.filter(([, score]) => score >= CLOSE_SCORE).map(([code]) => code));
  const signed = SIGNATURE_LETTERS.find(([letters, code]) => close.has(code) && letters.test(joined));
  const best = signed?.[1] ?? ranked[0]?.[0];
  return best === undefined ? 'und' : (ISO_639_1[best] ?? 'und');
}

/** On a longer text, function words decide alone when they are this share of its words (French and English prose runs at 30 to 40 %). */
function isLandslide(words: string[], language: 'fr' | 'en'): boolean {
  const set = language === 'fr' ? FRENCH_WORDS : ENGLISH_WORDS;
  let hits = 0;
  for (const word of words) if (set.has(word)) hits += 1;
  return hits >= 0.2 * words.length;
}

/** Up to this many words, function words decide before franc does. */
const SHORT_TEXT_WORDS = 40;
/** franc's scores are relative to the best (1); candidates above this are near ties. */
const CLOSE_SCORE = 0.85;

/**
 * Letters that, among franc-min's languages, only one language writes: they settle the near
 * ties franc makes on short texts (short Czech comes out as Serbian, short Polish as Croatian).
 */
const SIGNATURE_LETTERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/[ěřů]/u, 'ces'],
  [/[łąę]/u, 'pol'],
  [/[őű]/u, 'hun'],
  [/[ãõ]/u, 'por'],
  [/ß/u, 'deu'],
];

/** Below this many words, franc's trigrams are noise ("Message body" comes out as Lingala). */
const MIN_FRANC_WORDS = 3;
/** A few hundred words settle the language; more only costs time. */
const MAX_FRANC_WORDS = 600;

/** Words only: addresses, links and numbers carry no language and mislead trigrams. */
function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter((token) => !token.includes('@') && !/^(?:https?:|www\.)/.test(token))
    .flatMap((token) => token.split(/[^\p{L}]+/u))
    .filter((word) => word.length > 0);
}

/**
 * French or English when their function words clearly win: at least two hits and twice the
 * other language's count. Words shared with Spanish or Italian ("de", "la", "que", "a") are
 * left out so that those languages do not vote French.
 */
function stopWordVote(words: string[]): 'fr' | 'en' | null {
  let fr = 0;
  let en = 0;
  for (const word of words) {
    if (FRENCH_WORDS.has(word)) fr += 1;
    if (ENGLISH_WORDS.has(word)) en += 1;
  }
  if (fr >= 2 && fr >= 2 * en) return 'fr';
  if (en >= 2 && en >= 2 * fr) return 'en';
  return null;
}

const FRENCH_WORDS = new Set(
  (
    'le les des du et est une vous nous pour dans pas votre vos avec sur au aux ce cette ces je qui ne mais ou été être ' +
    'avons avez sont suis merci bonjour bonsoir cordialement madame monsieur très bien aussi leur notre nos ai sera ' +
    'peut pouvez sommes fait elle ils déjà encore tout toute tous rien car donc'
  ).split(' '),
);

const ENGLISH_WORDS = new Set(
  (
    'the and is are you your we our to of for with that this it be have has not please thanks thank hello hi regards ' +
    'will would can could was were from at by an as i my me us they there which what when if been do does just'
  ).split(' '),
);

/** franc-min's languages that have an ISO 639-1 code, mapped to it. */
const ISO_639_1: Record<string, string> = {
  arb: 'ar', azj: 'az', bel: 'be', ben: 'bn', bos: 'bs', bul: 'bg', ces: 'cs', cmn: 'zh', deu: 'de', ell: 'el',
  eng: 'en', fra: 'fr', guj: 'gu', hau: 'ha', hin: 'hi', hrv: 'hr', hun: 'hu', ibo: 'ig', ind: 'id', ita: 'it',
  jav: 'jv', jpn: 'ja', kan: 'kn', kaz: 'kk', kin: 'rw', kor: 'ko', lin: 'ln', mal: 'ml', mar: 'mr', mya: 'my',
  nld: 'nl', npi: 'ne', nya: 'ny', pan: 'pa', pbu: 'ps', pes: 'fa', plt: 'mg', pol: 'pl', por: 'pt', ron: 'ro',
  run: 'rn', rus: 'ru', sin: 'si', som: 'so', spa: 'es', srp: 'sr', sun: 'su', swe: 'sv', swh: 'sw', tam: 'ta',
  tel: 'te', tgl: 'tl', tha: 'th', tur: 'tr', ukr: 'uk', urd: 'ur', uzn: 'uz', vie: 'vi', yor: 'yo', zlm: 'ms',
  zul: 'zu', amh: 'am',
};

const FRANC_LANGUAGES = Object.keys(ISO_639_1);

/** A language tag (`fr`, `fr-FR`, `fr_CA`) for French. */
export const isFrench = (language: string): boolean => language.toLowerCase().split(/[-_]/)[0] === 'fr';
