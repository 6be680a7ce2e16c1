/**
 * A campaign's plan: when each probe goes out, from which persona and address. Pure: the seed stands for randomness
 * and `notBefore` for the clock, so the same inputs always give the same plan.
 *
 * Probes of a brand are spread evenly over the hours the send window is open between
 * `startsAt` and `endsAt`, each one placed at random inside its share so that sending times
 * do not look mechanical. Scenarios and personas rotate so that a brand is not asked the
 * same question twice by the same persona while another combination remains.
 */
import { DateTime, IANAZone } from 'luxon';
import { atLocalMinute, parseClock } from './clock-time.ts';
import { fnv1a } from './hash.ts';
import { PlanError } from './plan-error.ts';
import { renderTemplate, type PersonaName } from './probe-template.ts';
import { mulberry32 } from './random.ts';

/** Days (ISO weekdays, Monday = 1) and local hours, as the API writes a send window. */
export interface WeeklyWindow {
  days: readonly number[];
  from: string;
  to: string;
}

export interface PlanCampaign {
  startsAt: Date;
  endsAt: Date;
  timezone: string;
  sendWindow: WeeklyWindow;
  probesPerBrand: number;
}

export interface PlanBrand {
  id: string;
  name: string;
  /** The addresses probes go to, in turn. */
  contactAddresses: readonly string[];
}

export interface PlanScenario {
  id: string;
  subject: string;
  body: string;
}

export interface PlanMailbox {
  id: string;
  address: string;
  personaId: string;
  persona: PersonaName;
  /** Where the mailbox receives a whole domain: `marie.dupont.{token}@example.fr`. */
  probeAddressPattern: string | null;
}

export interface PlanOptions {
  /** Nothing is planned before this instant (a campaign scheduled after its start). */
  notBefore?: Date;
  /** Persona addresses already given to other probes: a probe's own address is never reused. */
  takenAddresses?: ReadonlySet<string>;
}

export interface PlannedProbe {
  brandId: string;
  scenarioId: string;
  mailboxId: string;
  recipient: string;
  /** The address the probe is sent from, where the brand's answer is expected. */
  personaAddress: string;
  subject: string;
  body: string;
  scheduledAt: Date;
}

const JITTER_FROM = 0.15;
const JITTER_SPAN = 0.7;

export function planCampaign(
  campaign: PlanCampaign,
  brands: readonly PlanBrand[],
  scenarios: readonly PlanScenario[],
  mailboxes: readonly PlanMailbox[],
  seed: number,
  options: PlanOptions = {},
): PlannedProbe[] {
  if (campaign.probesPerBrand <= 0 || brands.length === 0) return [];
  if (scenarios.length === 0) throw new PlanError('the campaign has no scenario');
  if (mailboxes.length === 0) throw new PlanError('the campaign has no mailbox');
  for (const brand of brands) {
    if (brand.contactAddresses.length === 0) throw new PlanError(`brand "${brand.name}" has no contact address`);
  }
  const from = new Date(Math.max(campaign.startsAt.getTime(), options.notBefore?.getTime() ?? -Infinity));
  const intervals = sendWindowIntervals(from, campaign.endsAt, campaign.sendWindow, campaign.timezone);
  const openMs = intervals.reduce((sum, [start, end]) => sum + (end - start), 0);
  if (openMs <= 0) {
    throw new PlanError(`the send window (${campaign.sendWindow.from}–${campaign.sendWindow.to}) never opens between ${from.toISOString()} and ${campaign.endsAt.toISOString()}`);
  }

  // Sorted inputs make the plan independent of the order the caller read them in.
  const sortedScenarios = [...scenarios].sort(byId);
  const personas = groupByPersona(mailboxes);
  const taken = new Set(options.takenAddresses ?? []);
  const plan: PlannedProbe[] = [];
  for (const brand of [...brands].sort(byId)) {
    // One stream per brand: adding a brand leaves the others' times as they were. Address
    // tokens draw from streams of their own, so that retrying a token another brand took
    // never shifts the times.
    const random = mulberry32(fnv1a(`${seed}|${brand.id}`));
    const pairs = combinations(sortedScenarios.length, personas.length, campaign.probesPerBrand, random);
    const turns = new Map<string, number>();
    const share = openMs / campaign.probesPerBrand;
    pairs.forEach(([s, p], k) => {
      const scenario = sortedScenarios[s]!;
      const persona = personas[p]!;
      const turn = turns.get(persona.id) ?? 0;
      turns.set(persona.id, turn + 1);
      const mailbox = persona.mailboxes[turn % persona.mailboxes.length]!;
      const context = { persona: mailbox.persona, brand };
      plan.push({
        brandId: brand.id,
        scenarioId: scenario.id,
        mailboxId: mailbox.id,
        recipient: brand.contactAddresses[k % brand.contactAddresses.length]!.toLowerCase(),
        personaAddress: ownAddress(mailbox, (attempt) => mulberry32(fnv1a(`${seed}|${brand.id}|${k}|${attempt}`)), taken),
        subject: renderTemplate(scenario.subject, context),
        body: renderTemplate(scenario.body, context),
        scheduledAt: new Date(atOpenOffset(intervals, (k + JITTER_FROM + JITTER_SPAN * random()) * share)),
      });
    });
  }
  return plan.sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.brandId.localeCompare(b.brandId));
}

/**
 * The instants `[start, end)` (epoch ms) when the window is open between `from` and `to`,
 * in order. Local days are walked on the calendar, so 09:00 stays 09:00 across a clock change.
 */
export function sendWindowIntervals(from: Date, to: Date, window: WeeklyWindow, timezone: string): Array<[number, number]> {
  const zone = IANAZone.create(timezone);
  if (!zone.isValid) throw new PlanError(`unknown timezone "${timezone}"`);
  const open = planClock(window.from);
  const close = planClock(window.to);
  if (open >= close) throw new PlanError(`the send window ${window.from}–${window.to} must open before it closes`);
  const days = new Set(window.days);
  const fromMs = from.getTime();
  const toMs = to.getTime();
  const intervals: Array<[number, number]> = [];
  for (let day = DateTime.fromMillis(fromMs, { zone }).startOf('day'); day.toMillis() < toMs; day = day.plus({ days: 1 })) {
    if (!days.has(day.weekday)) continue;
    const start = Math.max(fromMs, atLocalMinute(day, open).toMillis());
    const end = Math.min(toMs, atLocalMinute(day, close).toMillis());
    if (end > start) intervals.push([start, end]);
  }
  return intervals;
}

/**
 * `now` when the send window is open, else its next opening (within a week); null when it
 * never opens. For a probe that runs late, so that it never goes out at night.
 */
export function nextSendTime(now: Date, window: WeeklyWindow, timezone: string): Date | null {
  const week = sendWindowIntervals(now, new Date(now.getTime() + 8 * 24 * 3_600_000), window, timezone);
  const first = week[0];
  if (!first) return null;
  return first[0] <= now.getTime() ? now : new Date(first[0]);
}

/** The instant `offset` ms of open time after the first interval starts. */
function atOpenOffset(intervals: ReadonlyArray<[number, number]>, offset: number): number {
  let left = offset;
  for (const [start, end] of intervals) {
    if (left < end - start) return start + Math.floor(left);
    left -= end - start;
  }
  const last = intervals[intervals.length - 1]!;
  return last[1] - 1;
}

/**
 * `count` (scenario, persona) index pairs for one brand. Within each cycle of S × P probes no
 * pair repeats: probe i asks scenario `i mod S` from persona `(i mod S + ⌊i / S⌋) mod P`, so
 * every S consecutive probes ask every scenario once, and a scenario meets each persona once
 * in P rounds. Fresh shuffles of both lists per cycle keep brands from sharing one order.
 */
function combinations(scenarios: number, personas: number, count: number, random: () => number): Array<[number, number]> {
  const cycle = scenarios * personas;
  const pairs: Array<[number, number]> = [];
  let scenarioOrder: number[] = [];
  let personaOrder: number[] = [];
  for (let k = 0; k < count; k++) {
    const i = k % cycle;
    if (i === 0) {
      scenarioOrder = shuffle(scenarios, random);
      personaOrder = shuffle(personas, random);
    }
    const s = i % scenarios;
    const p = (s + Math.floor(i / scenarios)) % personas;
    pairs.push([scenarioOrder[s]!, personaOrder[p]!]);
  }
  return pairs;
}

function shuffle(length: number, random: () => number): number[] {
  const order = Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

interface PersonaMailboxes {
  id: string;
  mailboxes: PlanMailbox[];
}

/** The persona is the identity a brand sees; its mailboxes take turns. */
function groupByPersona(mailboxes: readonly PlanMailbox[]): PersonaMailboxes[] {
  const byPersona = new Map<string, PlanMailbox[]>();
  for (const mailbox of [...mailboxes].sort(byId)) {
    byPersona.set(mailbox.personaId, [...(byPersona.get(mailbox.personaId) ?? []), mailbox]);
  }
  return [...byPersona].sort(([a], [b]) => a.localeCompare(b)).map(([id, list]) => ({ id, mailboxes: list }));
}

const TOKEN_ATTEMPTS = 1000;

/** The probe's own address; `randomFor(attempt)` is the stream of each try, until one is free. */
function ownAddress(mailbox: PlanMailbox, randomFor: (attempt: number) => () => number, taken: Set<string>): string {
  if (!mailbox.probeAddressPattern) return mailbox.address.toLowerCase();
  for (let attempt = 0; attempt < TOKEN_ATTEMPTS; attempt++) {
    const address = probeAddress(mailbox.probeAddressPattern, probeToken(randomFor(attempt)));
    if (!taken.has(address)) {
      taken.add(address);
      return address;
    }
  }
  throw new PlanError(`no free probe address left for the pattern ${mailbox.probeAddressPattern}`);
}

/** Two letters and two digits (`jl42`): what people add to an address, never a tag that says "test". */
export function probeToken(random: () => number): string {
  const letter = () => String.fromCharCode(97 + Math.floor(random() * 26));
  const digit = () => String(Math.floor(random() * 10));
  return letter() + letter() + digit() + digit();
}

/** A probe's own address from a mailbox's pattern, e.g. `marie.dupont.{token}@example.fr`. */
export function probeAddress(pattern: string, token: string): string {
  if (pattern.split('{token}').length !== 2) throw new PlanError(`the probe address pattern "${pattern}" must hold {token} once`);
  return pattern.replace('{token}', token).toLowerCase();
}

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

/** A send window's clock time, its error said as the plan's. */
function planClock(clock: string): number {
  try {
    return parseClock(clock);
  } catch (err) {
    throw err instanceof RangeError ? new PlanError(err.message) : err;
  }
}
