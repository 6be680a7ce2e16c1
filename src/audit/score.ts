/**
 * Scores of one probe's answer: a grid of criteria, each out of 20 and traceable to the
 * findings behind it, and a QualiWeb-style note out of 100 computed from the grid. An
 * auditor may override any criterion; the automatic value stays beside the override and the
 * note follows the effective values.
 *
 * ## The note, out of 100
 *
 *     note = delay /30 + relevance /50 + welcome /20
 *
 * - **delay /30** = `delay` × 1.5. The `delay` criterion, from the calendar delay of the first
 *   answer against the campaign's norms n1 < n2 (default 4 h and 24 h): ≤ n1 → 30 (20/20),
 *   ≤ n2 → 20, ≤ 2 × n2 → 10, answered later → 5, never answered → 0.
 * - **relevance /50** = (`relevance` + `completeness`) × 1.25. `completeness` is 20 × the share
 *   of the scenario's expected points the answer covers; `relevance` gives full marks once
 *   half of them are covered (the answer deals with the question), 20 × min(1, 2 × share).
 * - **welcome /20** = Σ weight × criterion / 20, with the weights of `WELCOME_WEIGHTS`:
 *   greeting 3 (20 when it names the persona, 12 when generic, −6 for the wrong title),
 *   personalisation 3 (10 for the persona's name, plus 10/3 per distinctive term of the probe
 *   taken up, three at most; 20 or 0 on the name alone when there is no probe text),
 *   signature 3 (20 for a person's name, 10 for a team), spelling 3 (20 − 5 per error per 100
 *   words), thanks 2, closing 2, typography 1 (20 − 4 per issue per 100 words), logo 1.5,
 *   charter 1.5 (20 × the charter score). A criterion that could not be measured (spelling in
 *   a language without a dictionary) gives its weight to the others.
 *
 * In the grid but not in the note: `acknowledgement` (20 for an acknowledgement within 1 h or
 * an answer within n1, 12 for one within n1, 6 later, 0 for none) and `clarity` (20, −10 when
 * the outcome's `cannedSimilarity` reaches `CANNED_THRESHOLD`, −6 under 25 words, −4 over 30
 * words a sentence). A probe never answered scores 0 everywhere but on acknowledgement.
 *
 * The note is null while a criterion of its three parts is unknown (relevance without expected
 * points) and not overridden. Criteria are shown to two decimals, parts and note to one;
 * parts are computed from the exact values.
 */
import type { ReplyAnalysis } from './analyse.ts';
import { CANNED_THRESHOLD } from './canned.ts';
import { resolveCriterion, type CriterionSource, type RatedValues } from './double-rating.ts';

export const CRITERIA = [
  { id: 'delay', label: 'Delay of the first answer against the norms', inNote: 'delay' },
  { id: 'acknowledgement', label: 'Acknowledgement of receipt (or an answer within the first norm)', inNote: null },
  { id: 'greeting', label: 'Greeting, naming the persona', inNote: 'welcome' },
  { id: 'personalisation', label: "Persona's name and the question's own terms", inNote: 'welcome' },
  { id: 'thanks', label: 'Thanks for the message', inNote: 'welcome' },
  { id: 'relevance', label: 'The answer deals with the question', inNote: 'relevance' },
  { id: 'completeness', label: 'Share of the expected points covered', inNote: 'relevance' },
  { id: 'clarity', label: 'Clear, written for this probe (not canned, not too short)', inNote: null },
  { id: 'spelling', label: 'Spelling', inNote: 'welcome' },
  { id: 'typography', label: 'Typography and punctuation', inNote: 'welcome' },
  { id: 'closing', label: 'Closing formula', inNote: 'welcome' },
  { id: 'signature', label: "Signature with a person's name", inNote: 'welcome' },
  { id: 'logo', label: "Brand's logo", inNote: 'welcome' },
  { id: 'charter', label: "Brand's graphic charter", inNote: 'welcome' },
] as const;

export type CriterionId = (typeof CRITERIA)[number]['id'];

export const CRITERION_MAX = 20;

export const WELCOME_WEIGHTS: Readonly<Partial<Record<CriterionId, number>>> = {
  greeting: 3,
  personalisation: 3,
  signature: 3,
  spelling: 3,
  thanks: 2,
  closing: 2,
  typography: 1,
  logo: 1.5,
  charter: 1.5,
};

/** Points of the delay part by tier: within n1, within n2, within 2 × n2, later, never. */
export const DELAY_POINTS = { withinFirstNorm: 30, withinSecondNorm: 20, withinTwiceSecondNorm: 10, later: 5, never: 0 } as const;
export const DEFAULT_NORMS: readonly number[] = [4, 24];

export interface CriterionOverride {
  value: number;
  comment: string;
  /** Who overrode it (the auditor's name or key label). */
  by: string;
  /** When, ISO 8601: given by the caller, never read from a clock here. */
  at: string;
}

export type Overrides = Partial<Record<CriterionId, CriterionOverride>>;

export interface CriterionScore {
  id: CriterionId;
  label: string;
  max: number;
  /** What the analysers found; null when it cannot be measured. */
  automatic: number | null;
  /** The override's value when there is one, else the raters' (see `double-rating.ts`), else the automatic value. */
  value: number | null;
  /** Where `value` comes from: an override (`arbitration`), the two raters, one rater, or the analysers. */
  source: CriterionSource;
  override: CriterionOverride | null;
  evidence: string[];
}

export interface PartScore {
  value: number | null;
  max: number;
}

export interface ReplyScore {
  note: number | null;
  parts: { delay: PartScore; relevance: PartScore; welcome: PartScore };
  criteria: CriterionScore[];
}

/** What scoring needs from the probe's outcome (see `outcome.ts`). */
export interface ScoringOutcome {
  /** Calendar hours from the probe to its first answer; null when never answered. */
  delayHours: number | null;
  ackDelayHours?: number | null;
  /** The campaign's norms in hours; taken from `withinNorms`' keys when absent, else 4 and 24. */
  norms?: readonly number[];
  withinNorms?: Record<string, boolean>;
  /** Highest fingerprint similarity with another probe's answer (see `canned.ts`), when compared. */
  cannedSimilarity?: number | null;
}

type Automatic = { value: number | null; evidence: string[] };

/**
 * Scores an answer's analysis (null when the probe got no answer) with the auditor's overrides
 * and what the double rating says of each criterion (`rated`, see `double-rating.ts`).
 */
export function scoreReply(analysis: ReplyAnalysis | null, outcome: ScoringOutcome, overrides: Overrides = {}, rated: RatedValues = {}): ReplyScore {
  const automatic = automaticValues(analysis, outcome);
  const criteria = CRITERIA.map(({ id, label }): CriterionScore => {
    const override = overrides[id] ?? null;
    if (override !== null && !(override.value >= 0 && override.value <= CRITERION_MAX)) {
      throw new RangeError(`override of ${id} must be between 0 and ${CRITERION_MAX}, got ${override.value}`);
    }
    const found = automatic[id];
    const shown = found.value === null ? null : round(found.value, 2);
    const effective = resolveCriterion(override?.value, rated[id], shown);
    const value = effective.source === 'arbitration' || effective.value === null ? effective.value : round(effective.value, 2);
    return { id, label, max: CRITERION_MAX, automatic: shown, value, source: effective.source, override, evidence: found.evidence };
  });
  // Parts are computed from the exact values, so that rounding happens once.
  const value = (id: CriterionId): number | null => resolveCriterion(overrides[id]?.value, rated[id], automatic[id].value).value;

  const delay = scaled(value('delay'), 1.5);
  const relevanceValues = [value('relevance'), value('completeness')];
  const relevance = relevanceValues.includes(null) ? null : round(((relevanceValues[0] as number) + (relevanceValues[1] as number)) * 1.25);
  const welcome = welcomePart(value);
  const note = delay === null || relevance === null || welcome === null ? null : round(delay + relevance + welcome);
  return {
    note,
    parts: { delay: { value: delay, max: 30 }, relevance: { value: relevance, max: 50 }, welcome: { value: welcome, max: 20 } },
    criteria,
  };
}

function welcomePart(value: (id: CriterionId) => number | null): number | null {
  let weighted = 0;
  let weights = 0;
  let total = 0;
  for (const [id, weight] of Object.entries(WELCOME_WEIGHTS) as [CriterionId, number][]) {
    total += weight;
    const criterion = value(id);
    if (criterion === null) continue;
    weighted += (weight * criterion) / CRITERION_MAX;
    weights += weight;
  }
  return weights === 0 ? null : round((weighted * total) / weights);
}

function automaticValues(analysis: ReplyAnalysis | null, outcome: ScoringOutcome): Record<CriterionId, Automatic> {
  const delay = delayCriterion(outcome);
  const acknowledgement = acknowledgementCriterion(outcome);
  if (analysis === null) {
    const none: Automatic = { value: 0, evidence: ['no answer'] };
    return {
      delay,
      acknowledgement,
      greeting: none,
      personalisation: none,
      thanks: none,
      relevance: none,
      completeness: none,
      clarity: none,
      spelling: none,
      typography: none,
      closing: none,
      signature: none,
      logo: none,
      charter: none,
    };
  }
  const { form, relevance, spelling, typography } = analysis;
  const share = relevance.share;
  const points = relevance.points.map((point) => `${point.covered ? '✓' : '✗'} ${point.label}${point.matched[0] ? ` ("${point.matched[0].text}")` : ''}`);
  const issues = Object.entries(typography.counts).map(([rule, count]) => `${rule} ×${count}`);
  const issuesPer100 = analysis.wordCount === 0 ? 0 : (typography.issues.length / analysis.wordCount) * 100;
  return {
    delay,
    acknowledgement,
    greeting: greetingCriterion(analysis),
    personalisation: personalisationCriterion(analysis),
    thanks: presence(form.thanks.present, form.thanks.evidence, 'no thanks for the message'),
    relevance:
      share === null
        ? { value: null, evidence: ['the scenario has no expected points'] }
        : { value: CRITERION_MAX * Math.min(1, 2 * share), evidence: [`${relevance.covered} of ${relevance.expected} expected points covered`, ...points] },
    completeness: share === null ? { value: null, evidence: ['the scenario has no expected points'] } : { value: CRITERION_MAX * share, evidence: points },
    clarity: clarityCriterion(analysis, outcome),
    spelling: spelling.checked
      ? {
          value: Math.max(0, CRITERION_MAX - 5 * spelling.errorsPer100Words),
          evidence: [`${spelling.errors.length} error(s) in ${spelling.wordCount} words`, ...spelling.errors.slice(0, 10).map((error) => error.word)],
        }
      : { value: null, evidence: ['no dictionary for the reply language'] },
    typography: {
      value: Math.max(0, CRITERION_MAX - 4 * issuesPer100),
      evidence: issues.length === 0 ? ['no typography issue'] : issues,
    },
    closing: presence(form.closing.present, form.closing.evidence, 'no closing formula'),
    signature: form.signature.present
      ? { value: 20, evidence: [`signed by ${form.signature.personName}`] }
      : form.signature.team !== null
        ? { value: 10, evidence: [`signed by a team: ${form.signature.team}`] }
        : { value: 0, evidence: ['no signature'] },
    logo: presence(form.logo.present, form.logo.evidence, 'no logo'),
    charter: { value: CRITERION_MAX * form.charter.score, evidence: form.charter.evidence },
  };
}

function presence(present: boolean, evidence: string | null, absent: string): Automatic {
  return present ? { value: CRITERION_MAX, evidence: [evidence ?? 'present'] } : { value: 0, evidence: [absent] };
}

function normsOf(outcome: ScoringOutcome): [number, number] {
  const fromKeys = Object.keys(outcome.withinNorms ?? {}).map(Number).filter((norm) => Number.isFinite(norm));
  const norms = [...(outcome.norms ?? (fromKeys.length > 0 ? fromKeys : DEFAULT_NORMS))].sort((a, b) => a - b);
  const first = norms[0] ?? 4;
  return [first, norms[norms.length - 1] ?? first];
}

function delayCriterion(outcome: ScoringOutcome): Automatic {
  const [first, second] = normsOf(outcome);
  const hours = outcome.delayHours;
  if (hours === null) return { value: 0, evidence: ['never answered'] };
  const points =
    hours <= first
      ? DELAY_POINTS.withinFirstNorm
      : hours <= second
        ? DELAY_POINTS.withinSecondNorm
        : hours <= 2 * second
          ? DELAY_POINTS.withinTwiceSecondNorm
          : DELAY_POINTS.later;
  return { value: (points * CRITERION_MAX) / 30, evidence: [`answered in ${round(hours, 2)} h (norms ${first} h and ${second} h): ${points}/30`] };
}

/** An acknowledgement this quick earns full marks. */
const ACK_PROMPT_HOURS = 1;

/** A prompt acknowledgement, or an answer within the first norm, which makes one needless. */
function acknowledgementCriterion(outcome: ScoringOutcome): Automatic {
  const [first] = normsOf(outcome);
  const ack = outcome.ackDelayHours ?? null;
  if (outcome.delayHours !== null && outcome.delayHours <= first) return { value: 20, evidence: [`answered within the ${first} h norm`] };
  if (ack === null) return { value: 0, evidence: ['no acknowledgement'] };
  const value = ack <= ACK_PROMPT_HOURS ? 20 : ack <= first ? 12 : 6;
  return { value, evidence: [`acknowledged in ${round(ack, 2)} h`] };
}

function greetingCriterion(analysis: ReplyAnalysis): Automatic {
  const greeting = analysis.form.greeting;
  if (!greeting.present) return { value: 0, evidence: ['no greeting'] };
  const base = greeting.namesPersona ? 20 : 12;
  const value = Math.max(0, base - (greeting.wrongTitle ? 6 : 0));
  const notes = [greeting.evidence ?? '', greeting.namesPersona ? 'names the persona' : 'generic', greeting.wrongTitle ? 'wrong title for the persona' : ''];
  return { value, evidence: notes.filter(Boolean) };
}

/** Probe terms taken up for full marks on that half of the criterion. */
const SHARED_TERMS_FOR_FULL = 3;

function personalisationCriterion(analysis: ReplyAnalysis): Automatic {
  const personalised = analysis.form.personalised;
  const name = personalised.usesPersonaName ? 10 : 0;
  const evidence = [personalised.usesPersonaName ? `uses the persona's name: ${personalised.personaName}` : "does not use the persona's name"];
  if (personalised.probeTermCount === 0) return { value: name * 2, evidence: [...evidence, 'no probe text to compare with'] };
  const terms = (10 * Math.min(SHARED_TERMS_FOR_FULL, personalised.sharedTerms.length)) / SHARED_TERMS_FOR_FULL;
  evidence.push(personalised.sharedTerms.length > 0 ? `takes up the probe's terms: ${personalised.sharedTerms.join(', ')}` : "takes up none of the probe's terms");
  return { value: name + terms, evidence };
}

/** Under this many words an answer cannot explain anything. */
const SHORT_ANSWER_WORDS = 25;
/** Over this many words per sentence on average, an answer is hard to read. */
const LONG_SENTENCE_WORDS = 30;

function clarityCriterion(analysis: ReplyAnalysis, outcome: ScoringOutcome): Automatic {
  let value = CRITERION_MAX;
  const evidence: string[] = [];
  const similarity = outcome.cannedSimilarity ?? null;
  if (similarity !== null && similarity >= CANNED_THRESHOLD) {
    value -= 10;
    evidence.push(`canned: ${Math.round(similarity * 100)} % like another probe's answer`);
  }
  if (analysis.wordCount < SHORT_ANSWER_WORDS) {
    value -= 6;
    evidence.push(`short: ${analysis.wordCount} words`);
  }
  const perSentence = analysis.sentenceCount === 0 ? 0 : analysis.wordCount / analysis.sentenceCount;
  if (perSentence > LONG_SENTENCE_WORDS) {
    value -= 4;
    evidence.push(`long sentences: ${round(perSentence)} words on average`);
  }
  if (evidence.length === 0) evidence.push(similarity === null ? 'not compared with other answers' : `${analysis.wordCount} words, written for this probe`);
  return { value: Math.max(0, value), evidence };
}

function scaled(value: number | null, factor: number): number | null {
  return value === null ? null : round(value * factor);
}

function round(value: number, decimals = 1): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
