/**
 * Pairing a message found in a test mailbox with the probe it answers: a cascade of rules,
 * strongest first, each saying how sure it is and why. What no rule claims goes to the
 * review queue (`null`).
 */
import { isPublicMailDomain } from './public-mail-domains.ts';
import type { ParsedMessage } from './message.ts';
import { extractTicketRefs, foldText, normaliseSubject } from './subject.ts';

export { extractTicketRefs } from './subject.ts';

/** A parsed message with what the mailbox knows about it. */
export interface MatchableMessage
  extends Pick<
    ParsedMessage,
    'messageId' | 'inReplyTo' | 'references' | 'from' | 'to' | 'cc' | 'subject' | 'headers' | 'text'
  > {
  mailboxId: string;
  /** The mailbox's own address: shared by all its probes, so never proof of a single one. */
  mailboxAddress: string;
  /** IMAP INTERNALDATE. */
  receivedAt: Date;
  /** The new text, without quoted history and signature. */
  replyText: string;
}

/** A probe the message may answer, with what the cascade needs of its brand. */
export interface MatchCandidate {
  id: string;
  brandId: string;
  mailboxId: string;
  channel: 'email' | 'webform';
  /** Message-ID of the probe as sent; null for a web-form probe. */
  messageId: string | null;
  reminderMessageIds: string[];
  /** Where the brand's answer is expected: a per-probe address, or the mailbox's own. */
  personaAddress: string | null;
  subject: string | null;
  body: string | null;
  /** SMTP acceptance, or the declared time of a web-form probe; null while unsent. */
  sentAt: Date | null;
  brandSenderDomains: string[];
  brandContactAddresses: string[];
}

/** What earlier matches taught: keys as `messageIdKey` and `extractTicketRefs` write them. */
export interface ThreadIndex {
  messageIds: ReadonlyMap<string, string>;
  ticketRefs: ReadonlyMap<string, string>;
}

export type MatchRule = 'thread' | 'persona_address' | 'ticket_ref' | 'domain_subject' | 'webform';

export interface MatchEvidence {
  /** `thread`: the probe's (or its thread's) Message-ID found, and where. */
  messageId?: string;
  header?: 'in-reply-to' | 'references' | 'body';
  /** `persona_address`, `webform`: the probe's address the message was sent to. */
  address?: string;
  ticketRef?: string;
  senderDomain?: string;
  subject?: 'same' | 'contained';
  quotedBody?: boolean;
  /** Other probes that fit too, best first. */
  alternatives?: { probeId: string; confidence: number }[];
}

export interface MatchResult {
  probeId: string;
  rule: MatchRule;
  confidence: number;
  evidence: MatchEvidence;
}

/**
 * INTERNALDATE and the SMTP acceptance time come from different clocks: an automatic
 * receipt may look a little older than the probe it acknowledges.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** Consecutive words of a probe's body that, found in a message, show it quotes the probe. */
export const QUOTE_CHUNK_WORDS = 8;
const AMBIGUITY_PENALTY = 0.2;
const WEBFORM_CONFIDENCE = 0.6;

/** The form Message-IDs are compared in: no angle brackets, no blanks, lower case. */
export function messageIdKey(id: string): string {
  return id.trim().replace(/^<|>$/g, '').trim().toLowerCase();
}

function addressKey(address: string): string {
  return address.trim().toLowerCase();
}

/**
 * The index of what earlier matches taught, from the messages already matched to probes.
 * A ticket reference seen in the threads of two probes proves neither and is left out.
 */
export function buildThreadIndex(
  matched: Iterable<{ probeId: string; messageId: string | null; subject: string; replyText: string }>,
): ThreadIndex {
  const messageIds = new Map<string, string>();
  const ticketRefs = new Map<string, string>();
  const sharedRefs = new Set<string>();
  for (const message of matched) {
    if (message.messageId) messageIds.set(messageIdKey(message.messageId), message.probeId);
    for (const ref of extractTicketRefs(`${message.subject}\n${message.replyText}`)) {
      const known = ticketRefs.get(ref);
      if (known !== undefined && known !== message.probeId) sharedRefs.add(ref);
      ticketRefs.set(ref, message.probeId);
    }
  }
  for (const ref of sharedRefs) ticketRefs.delete(ref);
  return { messageIds, ticketRefs };
}

/** The probe `message` answers, by the strongest rule that applies, or null for the review queue. */
export function matchMessage(
  message: MatchableMessage,
  candidates: readonly MatchCandidate[],
  index: ThreadIndex,
): MatchResult | null {
  const open = candidates.filter((candidate) => isOpenFor(candidate, message));
  const senderDomain = domainOf(message.from?.address ?? '');
  return (
    matchByThread(message, candidates, index) ??
    matchByPersonaAddress(message, candidates, open) ??
    matchByTicketRef(message, candidates, index, senderDomain) ??
    matchByDomainAndSubject(message, open, senderDomain) ??
    matchWebform(message, open, senderDomain)
  );
}

/** `thread` (1): a Message-ID of the probe's thread in In-Reply-To, References, or quoted in the body. */
function matchByThread(
  message: MatchableMessage,
  candidates: readonly MatchCandidate[],
  index: ThreadIndex,
): MatchResult | null {
  const ownIds = new Map<string, string>();
  for (const candidate of candidates) {
    for (const id of [candidate.messageId, ...candidate.reminderMessageIds]) {
      if (id) ownIds.set(messageIdKey(id), candidate.id);
    }
  }
  const headerIds = [
    ...message.inReplyTo.map((id) => ({ id, header: 'in-reply-to' as const })),
    // the last reference is the closest ancestor
    ...[...message.references].reverse().map((id) => ({ id, header: 'references' as const })),
  ];
  for (const { id, header } of headerIds) {
    const key = messageIdKey(id);
    const probeId = ownIds.get(key) ?? index.messageIds.get(key);
    if (probeId !== undefined) return threadMatch(probeId, key, header);
  }
  // Bounces and clients that drop threading headers often still quote our headers in the body.
  const body = message.text.toLowerCase();
  for (const [key, probeId] of ownIds) {
    if (body.includes(key)) return threadMatch(probeId, key, 'body');
  }
  return null;
}

function threadMatch(probeId: string, messageId: string, header: MatchEvidence['header']): MatchResult {
  return { probeId, rule: 'thread', confidence: 1, evidence: { messageId, header } };
}

/** `persona_address` (0.95): sent to an address that belongs to one probe only, an open one. */
function matchByPersonaAddress(
  message: MatchableMessage,
  candidates: readonly MatchCandidate[],
  open: readonly MatchCandidate[],
): MatchResult | null {
  const shared = addressKey(message.mailboxAddress);
  const probesByAddress = new Map<string, string[]>();
  for (const candidate of candidates) {
    const address = candidate.personaAddress && addressKey(candidate.personaAddress);
    if (!address || address === shared) continue;
    probesByAddress.set(address, [...(probesByAddress.get(address) ?? []), candidate.id]);
  }
  const openIds = new Set(open.map((c) => c.id));
  const hits = new Map<string, string>();
  for (const address of recipientsOf(message)) {
    const [probeId, ...others] = probesByAddress.get(address) ?? [];
    if (probeId !== undefined && others.length === 0 && openIds.has(probeId)) hits.set(probeId, address);
  }
  const [hit] = hits;
  if (hits.size !== 1 || hit === undefined) return null;
  const [probeId, address] = hit;
  return { probeId, rule: 'persona_address', confidence: 0.95, evidence: { address } };
}

/**
 * `ticket_ref` (0.9): a ticket reference seen earlier in one probe's thread. References
 * found in our own probes' texts (an order number of the scenario) prove nothing, and
 * neither does one carried by a sender known as another brand.
 */
function matchByTicketRef(
  message: MatchableMessage,
  candidates: readonly MatchCandidate[],
  index: ThreadIndex,
  senderDomain: string | null,
): MatchResult | null {
  const refs = extractTicketRefs(`${message.subject}\n${message.replyText}`);
  const known = refs.filter((ref) => index.ticketRefs.has(ref));
  if (known.length === 0) return null;
  const ownRefs = new Set(candidates.flatMap((c) => extractTicketRefs(`${c.subject ?? ''}\n${c.body ?? ''}`)));
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const hits = new Map<string, string>();
  for (const ref of known) {
    const probeId = index.ticketRefs.get(ref);
    if (probeId === undefined || ownRefs.has(ref)) continue;
    const probe = byId.get(probeId);
    const otherBrand =
      senderDomain !== null &&
      probe !== undefined &&
      !isBrandDomain(senderDomain, probe, senderOf(message)) &&
      candidates.some((c) => c.brandId !== probe.brandId && isBrandDomain(senderDomain, c, senderOf(message)));
    if (!otherBrand && !hits.has(probeId)) hits.set(probeId, ref);
  }
  const [hit] = hits;
  if (hits.size !== 1 || hit === undefined) return null;
  const [probeId, ticketRef] = hit;
  return { probeId, rule: 'ticket_ref', confidence: 0.9, evidence: { ticketRef } };
}

interface Scored {
  candidate: MatchCandidate;
  confidence: number;
  evidence: MatchEvidence;
}

/**
 * `domain_subject` (0.5–0.85): from the brand's domains, to an open probe whose subject the
 * message repeats or whose body it quotes. Confidence adds up the evidence; several probes
 * fitting equally well give the most recent one, less surely.
 */
function matchByDomainAndSubject(
  message: MatchableMessage,
  open: readonly MatchCandidate[],
  senderDomain: string | null,
): MatchResult | null {
  if (senderDomain === null) return null;
  const brandProbes = open.filter((candidate) => isBrandDomain(senderDomain, candidate, senderOf(message)));
  if (brandProbes.length === 0) return null;
  const subject = normaliseSubject(message.subject);
  const quoted = quotedBodies(foldText(message.text), brandProbes);
  const scored: Scored[] = [];
  for (const candidate of brandProbes) {
    const subjectFit = compareSubjects(subject, keysOf(candidate).subject);
    const quotedBody = quoted.has(candidate);
    if (subjectFit === null && !quotedBody) continue;
    const subjectWeight = subjectFit === 'same' ? 0.25 : subjectFit === 'contained' ? 0.15 : 0;
    const confidence = round2(Math.min(0.85, 0.35 + subjectWeight + (quotedBody ? 0.3 : 0)));
    const evidence: MatchEvidence = { senderDomain, quotedBody, ...(subjectFit ? { subject: subjectFit } : {}) };
    scored.push({ candidate, confidence, evidence });
  }
  return pickBest(scored, 'domain_subject');
}

/** What the cascade compares of a candidate, computed once per candidate. */
interface CandidateKeys {
  subject: string;
  body: FoldedBody;
  domains: string[];
  /** Contact addresses at public mail domains (gmail.com…): matched as whole addresses, never by domain. */
  addresses: string[];
}
const candidateKeys = new WeakMap<MatchCandidate, CandidateKeys>();
function keysOf(candidate: MatchCandidate): CandidateKeys {
  let keys = candidateKeys.get(candidate);
  if (keys === undefined) {
    keys = {
      subject: normaliseSubject(candidate.subject ?? ''),
      body: foldBody(candidate.body),
      domains: [
        ...candidate.brandSenderDomains.map((d) => d.trim().toLowerCase().replace(/^@|\.$/g, '')),
        ...candidate.brandContactAddresses.map((a) => domainOf(a) ?? ''),
      ].filter((d) => d !== '' && !isPublicMailDomain(d)),
      addresses: candidate.brandContactAddresses.map((a) => a.trim().toLowerCase()).filter((a) => isPublicMailDomain(domainOf(a) ?? '')),
    };
    candidateKeys.set(candidate, keys);
  }
  return keys;
}

/**
 * The probes among `probes` whose body the text quotes by a chunk that the bodies of the
 * others do not share (greetings and stock phrases prove nothing). Probes with the very
 * same body (one scenario sent twice to a brand) all fit; time settles the tie.
 */
function quotedBodies(text: string, probes: readonly MatchCandidate[]): Set<MatchCandidate> {
  const words = text.split(' ').filter(Boolean);
  const textChunks = new Set<string>();
  for (let i = 0; i + QUOTE_CHUNK_WORDS <= words.length; i++) textChunks.add(` ${words.slice(i, i + QUOTE_CHUNK_WORDS).join(' ')} `);
  // for each chunk of the text: the distinct probe bodies holding it
  const holders = new Map<string, { texts: Set<string>; probes: MatchCandidate[] }>();
  for (const probe of probes) {
    const body = keysOf(probe).body;
    for (const chunk of body.chunks) {
      if (!textChunks.has(chunk)) continue;
      let holder = holders.get(chunk);
      if (holder === undefined) holders.set(chunk, (holder = { texts: new Set(), probes: [] }));
      holder.texts.add(body.text);
      holder.probes.push(probe);
    }
  }
  const quoted = new Set<MatchCandidate>();
  for (const holder of holders.values()) if (holder.texts.size === 1) for (const probe of holder.probes) quoted.add(probe);
  return quoted;
}

/**
 * `webform` (0.6): a web-form probe has no Message-ID and maybe no known subject; the
 * brand's domain, the persona's address and the time are all there is. The most recent
 * open web-form probe of that brand wins, less surely when there are several.
 */
function matchWebform(
  message: MatchableMessage,
  open: readonly MatchCandidate[],
  senderDomain: string | null,
): MatchResult | null {
  if (senderDomain === null) return null;
  const recipients = new Set(recipientsOf(message));
  const shared = addressKey(message.mailboxAddress);
  const scored: Scored[] = [];
  for (const candidate of open) {
    if (candidate.channel !== 'webform' || !isBrandDomain(senderDomain, candidate, senderOf(message))) continue;
    const address = candidate.personaAddress ? addressKey(candidate.personaAddress) : shared;
    // a message in the mailbox reached its own address, whatever its To: says (Bcc)
    if (address !== shared && !recipients.has(address)) continue;
    scored.push({ candidate, confidence: WEBFORM_CONFIDENCE, evidence: { senderDomain, address } });
  }
  return pickBest(scored, 'webform');
}

/**
 * Best confidence first, then the most recent probe. Probes tied for the best are a guess
 * between them: each loses `AMBIGUITY_PENALTY`, and the others are named in the evidence.
 */
function pickBest(scored: Scored[], rule: MatchRule): MatchResult | null {
  const sentAt = (s: Scored) => s.candidate.sentAt?.getTime() ?? 0;
  scored.sort((a, b) => b.confidence - a.confidence || sentAt(b) - sentAt(a));
  const [best, ...others] = scored;
  if (best === undefined) return null;
  const tied = others.some((other) => other.confidence === best.confidence);
  const settled = (s: Scored) =>
    tied && s.confidence === best.confidence ? round2(s.confidence - AMBIGUITY_PENALTY) : s.confidence;
  const evidence: MatchEvidence = { ...best.evidence };
  if (others.length > 0) {
    evidence.alternatives = others.map((other) => ({ probeId: other.candidate.id, confidence: settled(other) }));
  }
  return { probeId: best.candidate.id, rule, confidence: settled(best), evidence };
}

/** Sent from this mailbox before the message arrived (give or take the clocks' skew). */
function isOpenFor(candidate: MatchCandidate, message: MatchableMessage): boolean {
  return (
    candidate.mailboxId === message.mailboxId &&
    candidate.sentAt !== null &&
    candidate.sentAt.getTime() <= message.receivedAt.getTime() + CLOCK_SKEW_MS
  );
}

/** The domain of an address, lower case, or null when there is none. */
function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  const domain = at < 0 ? '' : address.slice(at + 1).trim().toLowerCase().replace(/\.$/, '');
  return domain === '' ? null : domain;
}

/** Whether `domain` is one the probe's brand answers from; subdomains count (`mail.brand.fr`). */
/** The sender is the brand's: its domain is one of the brand's, or its address one of the brand's addresses at a public domain. */
function isBrandDomain(domain: string, candidate: MatchCandidate, address: string): boolean {
  const keys = keysOf(candidate);
  return keys.domains.some((d) => domain === d || domain.endsWith(`.${d}`)) || keys.addresses.includes(address);
}

const senderOf = (message: MatchableMessage): string => (message.from?.address ?? '').trim().toLowerCase();

const ADDRESS = /[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g;

/** Every address the message was delivered to: To, Cc, and what the servers recorded. */
function recipientsOf(message: MatchableMessage): string[] {
  const fromHeaders = ['delivered-to', 'x-original-to'].flatMap((name) =>
    (message.headers[name] ?? []).flatMap((value) => value.match(ADDRESS) ?? []),
  );
  const all = [...message.to, ...message.cc].map((a) => a.address).concat(fromHeaders);
  return [...new Set(all.map(addressKey).filter((a) => a !== ''))];
}

/** `same` once prefixes and tags are gone; `contained` when the reply's subject wraps ours. */
function compareSubjects(messageSubject: string, probeSubject: string): 'same' | 'contained' | null {
  if (probeSubject === '' || messageSubject === '') return null;
  if (messageSubject === probeSubject) return 'same';
  const longEnough = probeSubject.includes(' ');
  return longEnough && ` ${messageSubject} `.includes(` ${probeSubject} `) ? 'contained' : null;
}

interface FoldedBody {
  text: string;
  /** Runs of `QUOTE_CHUNK_WORDS` consecutive words, each padded with spaces. */
  chunks: Set<string>;
}

function foldBody(body: string | null): FoldedBody {
  const text = foldText(body ?? '');
  const words = text.split(' ').filter(Boolean);
  const chunks = new Set<string>();
  for (let i = 0; i + QUOTE_CHUNK_WORDS <= words.length; i++) {
    chunks.add(` ${words.slice(i, i + QUOTE_CHUNK_WORDS).join(' ')} `);
  }
  return { text, chunks };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
