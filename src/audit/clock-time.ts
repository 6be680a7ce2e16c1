/** Local clock times as campaigns write them (`"09:00"`), and the instant a local clock shows one. */
import type { DateTime } from 'luxon';

export const MINUTES_PER_DAY = 24 * 60;

/** `"HH:MM"` to minutes after midnight; `"24:00"` is the end of the day. A RangeError for anything else. */
export function parseClock(clock: string): number {
  const match = /^(\d{2}):([0-5]\d)$/.exec(clock);
  const minute = match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
  if (!(minute <= MINUTES_PER_DAY)) {
    throw new RangeError(`"${clock}" is not a time of day between 00:00 and 24:00`);
  }
  return minute;
}

/**
 * The instant the local clock shows `minute` on `day` (a local midnight). Set on the wall clock,
 * not added as a duration, so that 09:00 stays 09:00 on a day the clocks change; `24:00` is the
 * next midnight.
 */
export function atLocalMinute(day: DateTime, minute: number): DateTime {
  if (minute === MINUTES_PER_DAY) return day.plus({ days: 1 });
  return day.set({ hour: Math.floor(minute / 60), minute: minute % 60 });
}
