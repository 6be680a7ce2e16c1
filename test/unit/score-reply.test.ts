import { describe, expect, it } from 'vitest';
import type { ReplyAnalysis } from '../../src/audit/analyse.ts';
import type { CriterionId, Overrides } from '../../src/audit/score.ts';
import { answerFigures } from '../../src/flow/score-reply.ts';

/** The parts of an analysis the figures read. */
function analysis(o: { checked?: boolean; errors?: number; words?: number; logo?: boolean; charter?: boolean; named?: boolean; personalised?: boolean }): ReplyAnalysis {
  return {
    spelling: { checked: o.checked ?? true, errors: Array.from({ length: o.errors ?? 0 }, () => ({ word: 'recevoire' })), wordCount: o.words ?? 120 },
    form: {
      logo: { present: o.logo ?? false },
      charter: { present: o.charter ?? false },
      signature: { present: o.named ?? false },
      personalised: { present: o.personalised ?? false },
    },
  } as unknown as ReplyAnalysis;
}

const override = (entries: Partial<Record<CriterionId, number>>): Overrides =>
  Object.fromEntries(Object.entries(entries).map(([id, value]) => [id, { value, comment: 'revu', by: 'auditrice', at: '2026-03-03T10:00:00Z' }]));

describe('what the statistics count of an answer', () => {
  it('takes the findings of the analysis', () => {
    expect(answerFigures(analysis({ errors: 2, words: 80, logo: true, personalised: true }), {})).toEqual({
      spellingErrors: 2, spellingWords: 80, logo: true, charter: false, namedSignature: false, personalised: true,
    });
    expect(answerFigures(analysis({ checked: false }), {})).toMatchObject({ spellingErrors: null, spellingWords: null });
  });

  it("follows an override at either end of the scale: 0 absent, 20 present", () => {
    const found = analysis({ errors: 0, logo: true, charter: false, named: false, personalised: true });
    expect(answerFigures(found, override({ logo: 0, charter: 20, signature: 20, personalisation: 0, spelling: 0 }))).toEqual({
      spellingErrors: 1, spellingWords: 120, logo: false, charter: true, namedSignature: true, personalised: false,
    });
    expect(answerFigures(analysis({ errors: 3 }), override({ spelling: 20 }))).toMatchObject({ spellingErrors: 0, spellingWords: 120 });
  });

  it('leaves the finding where the override grades without deciding', () => {
    expect(answerFigures(analysis({ errors: 3, logo: true }), override({ logo: 10, spelling: 12 }))).toMatchObject({ spellingErrors: 3, logo: true });
  });
});
