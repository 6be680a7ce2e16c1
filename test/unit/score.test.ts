import { describe, expect, it } from 'vitest';
import type { ReplyAnalysis } from '../../src/audit/analyse.ts';
import { CRITERIA, scoreReply, WELCOME_WEIGHTS, type CriterionId, type ReplyScore } from '../../src/audit/score.ts';

/** A flawless answer of 150 words covering all four expected points; tests spoil one thing at a time. */
function analysis(change: (draft: ReplyAnalysis) => void = () => {}): ReplyAnalysis {
  const draft: ReplyAnalysis = {
    version: 'test',
    language: 'fr',
    wordCount: 150,
    sentenceCount: 10,
    spelling: {
      checked: true,
      language: 'fr',
      errors: [],
      wordCount: 150,
      errorsPer100Words: 0,
      reply: { wordCount: 150, errorCount: 0, errorsPer100Words: 0, footerChars: 0 },
      signature: null,
      skipped: {},
    },
    typography: { issues: [], counts: {} },
    form: {
      greeting: { present: true, evidence: 'Bonjour Madame Dupont', namesPersona: true, wrongTitle: false },
      closing: { present: true, evidence: 'Cordialement,' },
      thanks: { present: true, evidence: 'Merci pour votre message.' },
      signature: { present: true, evidence: 'Sophie Martin', signed: true, personName: 'Sophie Martin', team: null },
      personalised: { present: true, evidence: 'Dupont', usesPersonaName: true, personaName: 'Dupont', sharedTerms: ['table', 'frais', 'port'], probeTermCount: 12 },
      logo: { present: true, evidence: 'cid:logo', src: 'cid:logo', alt: '', region: 'header', signals: ['named-logo'], trackingPixels: 0 },
      charter: { present: true, score: 1, evidence: ['brand colours: #1a4b8c'] },
    },
    relevance: {
      share: 1,
      covered: 4,
      expected: 4,
      points: ['Apology', 'Date', 'Refund', 'Tracking'].map((label) => ({ label, covered: true, matched: [{ keyword: label, text: label, offset: 0 }] })),
    },
    cannedFingerprint: 'mh1:',
  };
  change(draft);
  return draft;
}

const onTime = { delayHours: 2, ackDelayHours: null, withinNorms: { '4': true, '24': true } };

function criterion(score: ReplyScore, id: CriterionId) {
  const found = score.criteria.find((item) => item.id === id);
  if (found === undefined) throw new Error(`no criterion ${id}`);
  return found;
}

describe('CRITERIA', () => {
  it('lists fourteen distinct criteria, and the welcome weights add up to 20', () => {
    expect(new Set(CRITERIA.map((item) => item.id)).size).toBe(14);
    expect(Object.values(WELCOME_WEIGHTS).reduce((sum, weight) => sum + weight, 0)).toBe(20);
  });
});

describe('scoreReply', () => {
  it('gives a flawless answer within the first norm 100, and every criterion 20', () => {
    const score = scoreReply(analysis(), onTime);
    expect(score.note).toBe(100);
    expect(score.parts).toEqual({ delay: { value: 30, max: 30 }, relevance: { value: 50, max: 50 }, welcome: { value: 20, max: 20 } });
    expect(score.criteria.every((item) => item.value === 20 && item.automatic === 20 && item.override === null)).toBe(true);
  });

  it('grades the delay against the norms: 30, 20, 10, 5, 0', () => {
    const delays = [3, 10, 40, 100, null].map((delayHours) => scoreReply(analysis(), { delayHours, withinNorms: { '4': true, '24': true } }).parts.delay.value);
    expect(delays).toEqual([30, 20, 10, 5, 0]);
    expect(criterion(scoreReply(analysis(), { delayHours: 10 }), 'delay')).toMatchObject({
      automatic: 13.33,
      evidence: ['answered in 10 h (norms 4 h and 24 h): 20/30'],
    });
  });

  it("takes the norms from the campaign's withinNorms keys", () => {
    const shortCampaign = { delayHours: 0.5, withinNorms: { '0.05': false, '1': true } };
    expect(scoreReply(analysis(), shortCampaign).parts.delay.value).toBe(20);
  });

  it('scores relevance on the share of expected points: full marks from half, completeness in proportion', () => {
    const half = scoreReply(analysis((draft) => { draft.relevance.share = 0.5; }), onTime);
    expect([criterion(half, 'relevance').value, criterion(half, 'completeness').value, half.parts.relevance.value]).toEqual([20, 10, 37.5]);
    const quarter = scoreReply(analysis((draft) => { draft.relevance.share = 0.25; }), onTime);
    expect(quarter.parts.relevance.value).toBe(18.8);
    expect(quarter.note).toBe(68.8);
  });

  it('weighs the welcome criteria as documented', () => {
    const welcome = (change: (draft: ReplyAnalysis) => void): number | null => scoreReply(analysis(change), onTime).parts.welcome.value;
    expect(welcome((draft) => { draft.form.greeting = { present: false, evidence: null, namesPersona: false, wrongTitle: false }; })).toBe(17);
    expect(welcome((draft) => { draft.form.greeting.namesPersona = false; })).toBe(18.8);
    expect(welcome((draft) => { draft.spelling.errorsPer100Words = 2; })).toBe(18.5);
    expect(welcome((draft) => { draft.form.signature = { present: false, evidence: 'Le service client', signed: true, personName: null, team: 'Le service client' }; })).toBe(18.5);
    expect(welcome((draft) => { draft.form.charter.score = 0.5; draft.form.logo.present = false; })).toBe(17.8);
  });

  it('gives an unmeasurable criterion weight to the others', () => {
    const score = scoreReply(analysis((draft) => { draft.spelling.checked = false; }), onTime);
    expect(criterion(score, 'spelling')).toMatchObject({ automatic: null, value: null, evidence: ['no dictionary for the reply language'] });
    expect(score.parts.welcome.value).toBe(20);
  });

  it('keeps the automatic value beside an override and recomputes the note from the effective values', () => {
    const weak = analysis((draft) => { draft.relevance.share = 0; draft.relevance.covered = 0; });
    expect(scoreReply(weak, onTime).note).toBe(50);
    const override = { value: 20, comment: 'The answer is right; the keywords were too narrow.', by: 'auditor@sonde', at: '2025-03-14T10:00:00+01:00' };
    const score = scoreReply(weak, onTime, { relevance: override, completeness: { ...override, value: 16 } });
    expect(criterion(score, 'relevance')).toMatchObject({ automatic: 0, value: 20, override });
    expect(score.note).toBe(95);
    expect(() => scoreReply(weak, onTime, { relevance: { ...override, value: 25 } })).toThrow(RangeError);
  });

  it('leaves the note unknown when the scenario expects nothing, until an auditor says', () => {
    const noPoints = analysis((draft) => { draft.relevance = { share: null, covered: 0, expected: 0, points: [] }; });
    expect(scoreReply(noPoints, onTime)).toMatchObject({ note: null, parts: { relevance: { value: null } } });
    const override = { value: 15, comment: 'read by hand', by: 'auditor', at: '2025-03-14T10:00:00Z' };
    expect(scoreReply(noPoints, onTime, { relevance: override, completeness: override }).note).toBe(87.5);
  });

  it('scores a probe never answered 0, with the acknowledgement apart', () => {
    const score = scoreReply(null, { delayHours: null, ackDelayHours: 0.2 });
    expect(score.note).toBe(0);
    expect(criterion(score, 'acknowledgement')).toMatchObject({ value: 20, evidence: ['acknowledged in 0.2 h'] });
    expect(criterion(score, 'greeting').evidence).toEqual(['no answer']);
  });

  it('marks a canned or terse answer down on clarity, outside the note', () => {
    const canned = scoreReply(analysis((draft) => { draft.wordCount = 20; }), { ...onTime, cannedSimilarity: 0.92 });
    expect(criterion(canned, 'clarity')).toMatchObject({ value: 4, evidence: ["canned: 92 % like another probe's answer", 'short: 20 words'] });
    expect(canned.parts.welcome.value).toBe(20);
  });
});
