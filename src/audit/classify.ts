import type { ParsedMessage } from './message.ts';
import { splitReply } from './quote.ts';
import { isClosingFormula } from './signature.ts';
import {
  AUTO_REPLY_PHRASES,
  AUTO_REPLY_SUBJECT,
  CHALLENGE_PHRASES,
  DELIVERY_FAILURE_PHRASES,
  findPhrases,
  normaliseForMatching,
} from './auto-reply-phrases.ts';

/**
 * What kind of message this is, judged from the message alone, with the evidence.
 *
 * - `bounce`: a delivery status report (multipart/report with report-type=delivery-status,
 *   or a `message/delivery-status` part), a mail server's own sender (MAILER-DAEMON,
 *   postmaster), or an automatic message (null sender, automation header) worded as a
 *   delivery failure. Delays ("could not send for past 8 hours") are bounces too: the probe
 *   has not reached the brand, and that is what an auditor needs to see.
 * - `acknowledgement`: any automatic reply — RFC 3834 headers and their vendor cousins, a
 *   null sender, an autoresponder subject, or wording that declares itself automatic.
 *   Header and null-sender evidence decides alone; a no-reply sender (`ne-pas-repondre@`)
 *   only with a second signal (receipt or ticket wording), since brands answer from them. Receipt wording ("nous avons bien
 *   reçu votre demande") decides only when the new text says little beyond it, so a person
 *   who writes "nous avons bien reçu votre message" and then answers is still an `answer`.
 *   Phrases are looked for in the new text only (quoted history cut), never in the probe
 *   the brand quoted back.
 * - `unknown`: read receipts (`message/disposition-notification`: a client saying the probe
 *   was displayed, not a receipt by the customer service, so it must not set the
 *   acknowledgement delay) and abuse feedback reports (`message/feedback-report`: a mailbox
 *   provider reporting the probe as spam) — both worth a person's look, neither a reply —
 *   challenge-response anti-spam notices (the probe held until someone proves to be a
 *   person), and messages with no new text at all.
 * - `answer`: everything else: a person wrote it.
 *
 * The brand's sender domains, when given, only add evidence (`sender:brand-domain`): they
 * never change the kind, because domain lists are often incomplete (helpdesk platforms,
 * agencies) and a person's answer from an unlisted domain must not be lost.
 *
 * `follow_up` is not decided here: whether an answer is the first one or a later message in
 * the thread depends on the replies already recorded for the probe, which the outcome module
 * knows and this pure function does not.
 */
export type MessageKind = 'answer' | 'acknowledgement' | 'bounce' | 'unknown';

export interface Classification {
  kind: MessageKind;
  /** Short machine-readable names of the evidence, e.g. `header:auto-submitted=auto-replied`. */
  signals: string[];
}

export interface ClassifyContext {
  /** Domains the brand answers from (subdomains included). */
  brandDomains?: string[];
}

/** Receipt wording makes an acknowledgement unless the rest of the new text has at least this many words. */
const SUBSTANTIVE_ANSWER_WORDS = 15;

export function classifyMessage(msg: ParsedMessage, context: ClassifyContext = {}): Classification {
  const { kind, signals } = classifyByContent(msg);
  return { kind, signals: isFromBrand(msg, context.brandDomains) ? [...signals, 'sender:brand-domain'] : signals };
}

function classifyByContent(msg: ParsedMessage): Classification {
  const report = reportSignals(msg);
  if (report.delivery.length > 0) return { kind: 'bounce', signals: report.delivery };
  const server = mailServerSender(msg);
  if (server !== null) return { kind: 'bounce', signals: [server] };
  if (report.other.length > 0) return { kind: 'unknown', signals: report.other };

  const split = splitReply(msg.text);
  const newText = normaliseForMatching([split.replyText, split.signature ?? ''].join('\n'));
  const automatic = automationSignals(msg);
  // a challenge-response anti-spam notice holds the probe for a person to release: worth a look, not a reply
  const challenge = findPhrases(normaliseForMatching(`${msg.subject}\n${newText}`), CHALLENGE_PHRASES);
  if (challenge.length > 0) return { kind: 'unknown', signals: [...new Set([...challenge.map((p) => p.signal), ...automatic])] };
  if (automatic.length > 0) {
    const failure = findPhrases(normaliseForMatching(`${msg.subject}\n${newText}`), DELIVERY_FAILURE_PHRASES);
    if (failure.length > 0) return { kind: 'bounce', signals: [...automatic, ...failure.map((p) => p.signal)] };
  }

  // A no-reply sender alone proves nothing: French brands answer real questions from
  // ne-pas-repondre@ addresses. It needs a second signal (a header, a null sender, an
  // automatic subject, receipt or ticket wording) before the message counts as automatic.
  const decisive = automatic.filter((signal) => signal !== 'sender:no-reply');
  const sender = automatic.filter((signal) => signal === 'sender:no-reply');
  const phrases = findPhrases(newText, AUTO_REPLY_PHRASES);
  const phraseSignals = phrases.map((p) => p.signal);
  if (decisive.length > 0) return { kind: 'acknowledgement', signals: [...automatic, ...phraseSignals] };
  if (phrases.some((p) => p.strength === 'declared')) return { kind: 'acknowledgement', signals: [...sender, ...phraseSignals] };
  if (phrases.length > 0) {
    if (sender.length > 0 || substantiveWordCount(split.replyText) < SUBSTANTIVE_ANSWER_WORDS) {
      return { kind: 'acknowledgement', signals: [...sender, ...phraseSignals, ...(sender.length > 0 ? [] : ['text:receipt-only'])] };
    }
    return { kind: 'answer', signals: [...phraseSignals, 'text:answers-beyond-receipt'] };
  }

  if (split.replyText === '') return { kind: 'unknown', signals: [...sender, 'text:empty'] };
  return { kind: 'answer', signals: sender };
}

/** Report parts and report types: delivery status (a bounce) or the other kinds of report. */
function reportSignals(msg: ParsedMessage): { delivery: string[]; other: string[] } {
  const reportType = /report-type\s*=\s*"?([\w-]+)/i.exec(headerValue(msg, 'content-type'))?.[1]?.toLowerCase();
  const signals = [
    ...(msg.contentType === 'multipart/report' && reportType ? [`report:${reportType}`] : []),
    ...[...new Set(msg.partTypes)]
      .filter((type) => REPORT_PARTS.includes(type))
      .map((type) => `part:${type}`),
  ];
  const isDelivery = (signal: string): boolean => signal.includes('delivery-status');
  return signals.some(isDelivery)
    ? { delivery: signals.filter(isDelivery), other: [] }
    : { delivery: [], other: signals };
}

const REPORT_PARTS = [
  'message/delivery-status',
  'message/global-delivery-status',
  'message/disposition-notification',
  'message/feedback-report',
];

/** MAILER-DAEMON and postmaster are the mail system itself, never a person answering. */
function mailServerSender(msg: ParsedMessage): string | null {
  const local = localPart(msg.from?.address ?? '');
  if (/^(?:mailer-?daemon|mail-daemon)$/.test(local)) return 'sender:mailer-daemon';
  if (local === 'postmaster') return 'sender:postmaster';
  return null;
}

/** Evidence, outside the text, that a program sent this: headers, null or no-reply sender, subject. */
function automationSignals(msg: ParsedMessage): string[] {
  const signals: string[] = [];
  const autoSubmitted = headerValue(msg, 'auto-submitted').toLowerCase().split(/[\s;(]/)[0] ?? '';
  if (autoSubmitted !== '' && autoSubmitted !== 'no') signals.push(`header:auto-submitted=${autoSubmitted}`);
  for (const [name, value] of VENDOR_HEADERS) {
    const found = msg.headers[name]?.[0];
    if (found !== undefined && (value === null || found.toLowerCase().includes(value))) {
      signals.push(value === null ? `header:${name}` : `header:${name}=${value}`);
    }
  }
  const precedence = headerValue(msg, 'precedence').toLowerCase();
  if (['auto_reply', 'bulk', 'junk'].includes(precedence)) signals.push(`header:precedence=${precedence}`);
  if (msg.returnPath === '') signals.push('sender:null');
  if (NO_REPLY.test(localPart(msg.from?.address ?? ''))) signals.push('sender:no-reply');
  if (AUTO_REPLY_SUBJECT.test(normaliseForMatching(msg.subject).trim())) signals.push('subject:automatic-reply');
  return signals;
}

/** Autoresponder headers: name, and the value that must appear in it (null: any value). */
const VENDOR_HEADERS: ReadonlyArray<readonly [string, string | null]> = [
  ['x-autoreply', null],
  ['x-autorespond', null],
  ['x-auto-response-suppress', null],
  ['x-autogenerated', 'reply'],
  ['x-apple-action', 'vacation'],
];

const NO_REPLY =
  /(?:^|[._-])(?:no[._-]?reply|do[._-]?not[._-]?reply|dont[._-]?reply|ne[._-]?pas[._-]?repondre|ne[._-]?repondez[._-]?pas|no[._-]?reponse|pas[._-]?de[._-]?reponse|noresponse|no[._-]?response)(?:$|[._+-])/;

/**
 * Words of the reply that are neither receipt wording, greeting, closing formula nor the
 * usual receipt boilerplate (opening hours, help-centre pointers, links).
 */
export function substantiveWordCount(replyText: string): number {
  const sentences = replyText.split(/(?<=[.!?])\s+|\n+/);
  let words = 0;
  for (const sentence of sentences) {
    const normalised = normaliseForMatching(sentence).trim();
    if (normalised === '' || isClosingFormula(sentence) || GREETING.test(normalised)) continue;
    if (findPhrases(normalised).length > 0 || BOILERPLATE.test(normalised)) continue;
    words += normalised.split(/\s+/).filter((word) => /\p{L}/u.test(word)).length;
  }
  return words;
}

const GREETING = /^(?:bonjour|bonsoir|madame|monsieur|cher|chere|hello|hi|dear|good (?:morning|afternoon))\b[^.!?]{0,40}$/;
const BOILERPLATE =
  /https?:\/\/|www\.|\bfaq\b|centre d'aide|aide en ligne|espace client|du lundi au (?:vendredi|samedi)|help ?cent(?:er|re)|monday (?:to|through) friday|merci (?:de|pour) votre (?:confiance|patience|message|demande)|thank(?:s| you) for your (?:patience|message|e-?mail|request)/;

function isFromBrand(msg: ParsedMessage, brandDomains: string[] | undefined): boolean {
  const domain = (msg.from?.address ?? '').split('@')[1] ?? '';
  if (domain === '' || !brandDomains) return false;
  return brandDomains.some((brand) => {
    const wanted = brand.trim().toLowerCase();
    return wanted !== '' && (domain === wanted || domain.endsWith(`.${wanted}`));
  });
}

function headerValue(msg: ParsedMessage, name: string): string {
  return msg.headers[name]?.[0]?.trim() ?? '';
}

function localPart(address: string): string {
  return address.split('@')[0]?.toLowerCase() ?? '';
}
