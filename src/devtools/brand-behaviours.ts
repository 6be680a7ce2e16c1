/**
 * How a simulated brand's customer service behaves: what it sends when a probe arrives,
 * and what it sends when a reminder arrives, each after a number of simulated hours drawn
 * for every thread between two bounds. The bounds keep each behaviour on its side of the
 * norms (4 h, 24 h) and of the 24-hour reminder, so that the figures a campaign measures
 * can be told in advance from the behaviours alone.
 */
import { mulberry32 } from '../audit/random.ts';

/** How an answer is written. */
export interface AnswerStyle {
  /** Greets the persona by name ("Bonjour Madame Dupont") rather than a bare "Bonjour". */
  namesPersona: boolean;
  /** A mail client's plain text, the brand's HTML template with its logo, or a helpdesk platform's notification. */
  format: 'plain' | 'branded-html' | 'helpdesk';
  /** Answers the question asked (the scenario's points), or sends a stock text that misses it. */
  substance: 'full' | 'canned';
  /** Misspells words, as a hurried agent does. */
  typos: boolean;
  /** Opens with an apology for the wait: an answer that only the reminder brought. */
  apologises: boolean;
}

export type PlannedReply =
  | { kind: 'answer'; style: AnswerStyle; hours: HourRange }
  /** An automatic receipt (RFC 3834 `Auto-Submitted`, a no-reply sender). */
  | { kind: 'acknowledgement'; hours: HourRange }
  /** A delivery status notification from the brand's mail server, quoting what it could not deliver. */
  | { kind: 'delivery-failure'; hours: HourRange }
  /** An automatic satisfaction survey in the thread, after the answer. */
  | { kind: 'survey'; hours: HourRange };

/** Simulated hours after the message that triggers the reply (the probe, or the reminder), drawn per thread. */
export type HourRange = readonly [min: number, max: number];

export interface Behaviour {
  /** What an auditor would say of the brand, for legends and reports. */
  summary: string;
  onProbe: readonly PlannedReply[];
  onReminder: readonly PlannedReply[];
}

const personal: AnswerStyle = { namesPersona: true, format: 'plain', substance: 'full', typos: false, apologises: false };

/**
 * The behaviours, in the order a demo with fewer brands takes them: the first four are the
 * ones whose figures say the most (fast, next day, only after the reminder, never).
 */
export const BEHAVIOURS = {
  fast: {
    summary: 'answers within the hour',
    onProbe: [{ kind: 'answer', style: personal, hours: [0.3, 0.9] }],
    onReminder: [],
  },
  'acknowledge-then-answer': {
    summary: 'acknowledges at once, answers the next day',
    onProbe: [
      { kind: 'acknowledgement', hours: [0.02, 0.1] },
      // well before the 24-hour reminder: the answer must be read before it comes due
      { kind: 'answer', style: personal, hours: [15, 19] },
    ],
    onReminder: [],
  },
  'after-reminder': {
    summary: 'answers only after the reminder',
    onProbe: [],
    onReminder: [{ kind: 'answer', style: { ...personal, apologises: true }, hours: [1.5, 3] }],
  },
  silent: {
    summary: 'never answers',
    onProbe: [],
    onReminder: [],
  },
  bounce: {
    summary: 'its contact address bounces',
    onProbe: [{ kind: 'delivery-failure', hours: [0.005, 0.02] }],
    onReminder: [{ kind: 'delivery-failure', hours: [0.005, 0.02] }],
  },
  typos: {
    summary: 'answers within 4 h, with spelling mistakes',
    onProbe: [{ kind: 'answer', style: { ...personal, typos: true }, hours: [1.5, 3] }],
    onReminder: [],
  },
  'branded-html': {
    summary: 'answers within 4 h in its HTML template, logo inline',
    onProbe: [{ kind: 'answer', style: { ...personal, format: 'branded-html' }, hours: [2.5, 3.5] }],
    onReminder: [],
  },
  'plain-text': {
    summary: 'answers the same day in plain text, impersonally',
    onProbe: [{ kind: 'answer', style: { ...personal, namesPersona: false }, hours: [6, 10] }],
    onReminder: [],
  },
  helpdesk: {
    summary: 'answers from a helpdesk platform, threading lost, ticket in the subject',
    onProbe: [{ kind: 'answer', style: { ...personal, format: 'helpdesk' }, hours: [10, 18] }],
    onReminder: [],
  },
  'acknowledge-only': {
    summary: 'sends automatic receipts, never an answer',
    onProbe: [{ kind: 'acknowledgement', hours: [0.01, 0.05] }],
    onReminder: [{ kind: 'acknowledgement', hours: [0.01, 0.05] }],
  },
  canned: {
    summary: 'answers fast, with a stock text that misses the question',
    onProbe: [{ kind: 'answer', style: { ...personal, namesPersona: false, substance: 'canned' }, hours: [0.5, 1.5] }],
    onReminder: [],
  },
  survey: {
    summary: 'answers within 4 h, then sends a satisfaction survey',
    onProbe: [
      { kind: 'answer', style: personal, hours: [2, 3.5] },
      { kind: 'survey', hours: [5, 7] },
    ],
    onReminder: [],
  },
} as const satisfies Record<string, Behaviour>;

export type BehaviourName = keyof typeof BEHAVIOURS;

export const BEHAVIOUR_NAMES = Object.keys(BEHAVIOURS) as BehaviourName[];

/** A number in `range` from a uniform draw in [0, 1), to two decimals of an hour. */
export function hoursIn(range: HourRange, draw: number): number {
  const [min, max] = range;
  return Math.round((min + (max - min) * draw) * 100) / 100;
}

/** Seeded draws for the brands' delays: the same seed, the same demo. */
export { mulberry32 as seededRandom };
