/**
 * Delays between a probe and its replies: calendar time, business time in the campaign's
 * timezone and opening hours, and norms met. Pure: every instant comes in as a parameter.
 */
import { DateTime, IANAZone } from 'luxon';
import { atLocalMinute, parseClock } from './clock-time.ts';

/** A campaign's opening hours, as the API writes them (ISO weekdays, Monday = 1). */
export interface OpeningHours {
  days: readonly number[];
  /** Local opening time, `"HH:MM"`. */
  from: string;
  /** Local closing time, `"HH:MM"`; `"24:00"` reaches midnight. */
  to: string;
}

/** Opening hours in a given IANA timezone. */
export interface BusinessSchedule extends OpeningHours {
  timezone: string;
}

export const DEFAULT_BUSINESS_HOURS: BusinessSchedule = Object.freeze({
  timezone: 'Europe/Paris',
  days: Object.freeze([1, 2, 3, 4, 5]),
  from: '09:00',
  to: '18:00',
});

const MS_PER_HOUR = 3_600_000;
const MS_PER_MINUTE = 60_000;
/** A local week lasts at least this (a clock change takes an hour off, a few zones' half one). */
const MS_PER_WEEK_AT_LEAST = (7 * 24 - 1) * MS_PER_HOUR;

/** Hours elapsed from `from` to `to`, negative when `to` is earlier. */
export function calendarHours(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / MS_PER_HOUR;
}

/**
 * Hours of `[from, to)` that fall inside the opening hours, in the schedule's timezone.
 *
 * Days are walked on the local calendar, so a day of 23 or 25 hours counts what its clock
 * shows. A whole week without an offset change inside it is added in one step, which keeps
 * a span of months to a few dozen steps (this assumes a zone never changes its offset twice
 * within seven days, true of every zone in use). Returns 0 when `to` is not after `from`.
 */
export function businessHours(from: Date, to: Date, schedule: BusinessSchedule): number {
  const window = parseSchedule(schedule);
  const fromMs = from.getTime();
  const toMs = to.getTime();
  if (!(toMs > fromMs)) return 0;

  const weekMs = window.days.size * (window.closeMinute - window.openMinute) * MS_PER_MINUTE;
  let totalMs = 0;
  let day = DateTime.fromMillis(fromMs, { zone: window.zone }).startOf('day');
  while (day.toMillis() < toMs) {
    const dayStart = day.toMillis();
    const weekLater = dayStart >= fromMs && toMs - dayStart >= MS_PER_WEEK_AT_LEAST ? day.plus({ days: 7 }) : null;
    if (weekLater && weekLater.toMillis() <= toMs && weekLater.offset === day.offset) {
      totalMs += weekMs;
      day = weekLater;
      continue;
    }
    if (window.days.has(day.weekday)) {
      const open = atLocalMinute(day, window.openMinute).toMillis();
      const close = atLocalMinute(day, window.closeMinute).toMillis();
      totalMs += Math.max(0, Math.min(close, toMs) - Math.max(open, fromMs));
    }
    day = day.plus({ days: 1 });
  }
  return totalMs / MS_PER_HOUR;
}

/**
 * Whether a delay meets each norm, keyed by the norm as the API writes it (`"4"`, `"0.05"`).
 * A probe never answered (`null`) meets none; a delay equal to the norm meets it.
 */
export function withinNorms(delayHours: number | null, norms: readonly number[]): Record<string, boolean> {
  const result: Record<string, boolean> = {};
  for (const norm of norms) result[String(norm)] = delayHours !== null && delayHours <= norm;
  return result;
}

/** Two decimals, for API output only: figures are kept at full precision everywhere else. */
export function roundHours(hours: number): number {
  return Math.round(hours * 100) / 100;
}

interface ParsedSchedule {
  zone: IANAZone;
  days: ReadonlySet<number>;
  openMinute: number;
  closeMinute: number;
}

/** Validates a schedule once, so that a typo in a campaign fails loudly instead of counting 0 h. */
function parseSchedule(schedule: BusinessSchedule): ParsedSchedule {
  const zone = IANAZone.create(schedule.timezone);
  if (!zone.isValid) throw new RangeError(`unknown timezone "${schedule.timezone}"`);
  for (const day of schedule.days) {
    if (!Number.isInteger(day) || day < 1 || day > 7) {
      throw new RangeError(`opening day ${day} is not an ISO weekday (1 = Monday … 7 = Sunday)`);
    }
  }
  const openMinute = parseClock(schedule.from);
  const closeMinute = parseClock(schedule.to);
  if (openMinute >= closeMinute) {
    throw new RangeError(`opening hours ${schedule.from}–${schedule.to} must open before they close`);
  }
  return { zone, days: new Set(schedule.days), openMinute, closeMinute };
}

