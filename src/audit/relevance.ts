/**
 * How much of what the scenario expects the reply covers. A point is covered when any of its
 * keywords appears in the reply: words compared by stem with case and accents folded
 * ("remboursé" covers "remboursement"), a phrase as its content words in order and side by
 * side, grammatical words between them not counting ("délai de la livraison" covers
 * "délai de livraison").
 */
import type { ExpectedPoint } from './context.ts';
import { contentTerms, sameStem, type Term } from './stem.ts';

export interface PointCoverage {
  label: string;
  covered: boolean;
  matched: KeywordMatch[];
}

export interface KeywordMatch {
  keyword: string;
  /** The reply's own words that matched, as written. */
  text: string;
  /** Offset of `text` in the reply text. */
  offset: number;
}

export interface RelevanceFindings {
  /** Covered points over expected points, two decimals; null when the scenario expects none. */
  share: number | null;
  covered: number;
  expected: number;
  points: PointCoverage[];
}

export function assessRelevance(replyText: string, expectedPoints: readonly ExpectedPoint[], language: string): RelevanceFindings {
  const replyTerms = contentTerms(replyText, language);
  const points = expectedPoints.map((point): PointCoverage => {
    const matched: KeywordMatch[] = [];
    for (const keyword of point.keywords) {
      const match = findKeyword(replyText, replyTerms, contentTerms(keyword, language));
      if (match !== null) matched.push({ keyword, ...match });
    }
    return { label: point.label, covered: matched.length > 0, matched };
  });
  const covered = points.filter((point) => point.covered).length;
  return {
    share: points.length === 0 ? null : Math.round((covered / points.length) * 100) / 100,
    covered,
    expected: points.length,
    points,
  };
}

/** The first place where the keyword's terms follow one another in the reply. */
function findKeyword(replyText: string, replyTerms: readonly Term[], keywordTerms: readonly Term[]): Omit<KeywordMatch, 'keyword'> | null {
  if (keywordTerms.length === 0) return null;
  for (let start = 0; start + keywordTerms.length <= replyTerms.length; start++) {
    if (!keywordTerms.every((term, index) => sameStem((replyTerms[start + index] as Term).stem, term.stem))) continue;
    const first = replyTerms[start] as Term;
    const last = replyTerms[start + keywordTerms.length - 1] as Term;
    return { text: replyText.slice(first.offset, last.offset + last.word.length), offset: first.offset };
  }
  return null;
}
