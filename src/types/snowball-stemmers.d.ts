/** Types for `snowball-stemmers` (a CommonJS port of the Snowball stemmers, shipped without types). */
declare module 'snowball-stemmers' {
  export interface Stemmer {
    stem(word: string): string;
  }
  /** `french`, `english`, `german`… (see `algorithms()`); throws on an unknown name. */
  export function newStemmer(algorithm: string): Stemmer;
  export function algorithms(): string[];
  const snowball: { newStemmer: typeof newStemmer; algorithms: typeof algorithms };
  export default snowball;
}
