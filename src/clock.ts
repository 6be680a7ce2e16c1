/**
 * The clock and the length of an hour. Tests and `sonde demo` shorten the hour (`msPerHour`)
 * so that a 24-hour reminder delay takes seconds; every delay of sending, reminders and the
 * campaign's closing goes through here.
 */
export interface Timing {
  now: () => Date;
  msPerHour: number;
}

export const SYSTEM_TIMING: Timing = { now: () => new Date(), msPerHour: 3_600_000 };

export const hoursAfter = (from: Date, hours: number, timing: Timing): Date => new Date(from.getTime() + hours * timing.msPerHour);

/** Milliseconds from now until `at`; 0 when `at` has passed. */
export const delayUntil = (at: Date, timing: Timing): number => Math.max(0, at.getTime() - timing.now().getTime());
