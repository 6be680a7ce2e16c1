import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUSINESS_HOURS,
  businessHours,
  calendarHours,
  roundHours,
  withinNorms,
  type BusinessSchedule,
} from '../../src/audit/timing.ts';

/** Every instant is written with its offset, so each test reads as a Paris (or New York) clock. */
const at = (iso: string): Date => new Date(iso);

const ALWAYS_OPEN: BusinessSchedule = { timezone: 'Europe/Paris', days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' };

describe('calendarHours', () => {
  it('counts elapsed hours, fractions included', () => {
    expect(calendarHours(at('2025-03-24T10:00:00+01:00'), at('2025-03-24T13:30:00+01:00'))).toBe(3.5);
  });

  it('is negative when the end comes first', () => {
    expect(calendarHours(at('2025-03-24T10:00:00+01:00'), at('2025-03-24T09:00:00+01:00'))).toBe(-1);
  });
});

describe('businessHours with the default schedule (Monday–Friday 09:00–18:00, Paris)', () => {
  const hours = (from: string, to: string) => businessHours(at(from), at(to), DEFAULT_BUSINESS_HOURS);

  it('counts a span inside one working day in full', () => {
    expect(hours('2025-03-24T10:00:00+01:00', '2025-03-24T15:30:00+01:00')).toBe(5.5);
  });

  it('skips the night', () => {
    // Monday 17:00 → Tuesday 10:00: one hour each side of the night
    expect(hours('2025-03-24T17:00:00+01:00', '2025-03-25T10:00:00+01:00')).toBe(2);
  });

  it('counts nothing for a reply before opening time', () => {
    expect(hours('2025-03-25T07:00:00+01:00', '2025-03-25T08:30:00+01:00')).toBe(0);
    expect(hours('2025-03-25T07:00:00+01:00', '2025-03-25T09:45:00+01:00')).toBe(0.75);
  });

  it('counts nothing over a weekend', () => {
    expect(hours('2025-03-22T10:00:00+01:00', '2025-03-23T20:00:00+01:00')).toBe(0);
  });

  it('counts Friday evening to Monday morning as the working hours at each end', () => {
    expect(hours('2025-03-21T17:30:00+01:00', '2025-03-24T10:00:00+01:00')).toBe(1.5);
  });

  it('is exact to the second', () => {
    expect(hours('2025-03-24T08:59:30+01:00', '2025-03-24T09:00:30+01:00')).toBeCloseTo(30 / 3600, 12);
  });

  it('counts nothing for an empty or reversed span', () => {
    expect(hours('2025-03-24T10:00:00+01:00', '2025-03-24T10:00:00+01:00')).toBe(0);
    expect(hours('2025-03-24T11:00:00+01:00', '2025-03-24T10:00:00+01:00')).toBe(0);
  });

  it('is unaffected by the spring-forward weekend (Sunday 30 March 2025)', () => {
    // Friday 17:00 CET → Monday 10:00 CEST: 64 h on the calendar (not 65), 2 h of business
    const from = at('2025-03-28T17:00:00+01:00');
    const to = at('2025-03-31T10:00:00+02:00');
    expect(calendarHours(from, to)).toBe(64);
    expect(businessHours(from, to, DEFAULT_BUSINESS_HOURS)).toBe(2);
  });

  it('is unaffected by the fall-back weekend (Sunday 26 October 2025)', () => {
    const from = at('2025-10-24T17:00:00+02:00');
    const to = at('2025-10-27T10:00:00+01:00');
    expect(calendarHours(from, to)).toBe(66);
    expect(businessHours(from, to, DEFAULT_BUSINESS_HOURS)).toBe(2);
  });

  it('counts 9 h on the Monday after each change, on the local clock', () => {
    expect(hours('2025-03-31T00:00:00+02:00', '2025-04-01T00:00:00+02:00')).toBe(9);
    expect(hours('2025-10-27T00:00:00+01:00', '2025-10-28T00:00:00+01:00')).toBe(9);
  });

  it('counts whole weeks, across a clock change, as 45 h each', () => {
    // five weeks from Monday 3 March to Monday 7 April 2025, the spring change inside
    expect(hours('2025-03-03T09:00:00+01:00', '2025-04-07T09:00:00+02:00')).toBe(5 * 45);
  });

  it('counts a whole year as its 261 working days of 9 h', () => {
    expect(hours('2025-01-01T00:00:00+01:00', '2026-01-01T00:00:00+01:00')).toBe(261 * 9);
  });
});

describe('businessHours on days the clocks change', () => {
  it('gives the spring-forward Sunday 23 h and the fall-back Sunday 25 h when always open', () => {
    expect(businessHours(at('2025-03-30T00:00:00+01:00'), at('2025-03-31T00:00:00+02:00'), ALWAYS_OPEN)).toBe(23);
    expect(businessHours(at('2025-10-26T00:00:00+02:00'), at('2025-10-27T00:00:00+01:00'), ALWAYS_OPEN)).toBe(25);
  });

  it.each([
    ['five weeks around the spring change', '2025-03-03T12:00:00+01:00', '2025-04-07T12:00:00+02:00', 5 * 168 - 1],
    ['five weeks around the fall change', '2025-10-06T12:00:00+02:00', '2025-11-10T12:00:00+01:00', 5 * 168 + 1],
    ['a year', '2025-01-01T00:00:00+01:00', '2026-01-01T00:00:00+01:00', 8760],
  ])('equals calendar time over %s when always open', (_, from, to, expected) => {
    expect(calendarHours(at(from), at(to))).toBe(expected);
    expect(businessHours(at(from), at(to), ALWAYS_OPEN)).toBe(expected);
  });

  it('counts a window spanning the change as the time really elapsed', () => {
    // Sundays 01:00–04:00: on 30 March 2025 the clock jumps from 02:00 to 03:00
    const sundayNight: BusinessSchedule = { timezone: 'Europe/Paris', days: [7], from: '01:00', to: '04:00' };
    expect(businessHours(at('2025-03-30T00:00:00+01:00'), at('2025-03-31T00:00:00+02:00'), sundayNight)).toBe(2);
    expect(businessHours(at('2025-10-26T00:00:00+02:00'), at('2025-10-27T00:00:00+01:00'), sundayNight)).toBe(4);
  });

  it('adds up: any span is the sum of its two parts, wherever it is cut', () => {
    const from = at('2025-03-12T14:20:00+01:00');
    const to = at('2025-11-05T08:10:00+01:00');
    const whole = businessHours(from, to, DEFAULT_BUSINESS_HOURS);
    const cuts = [
      '2025-03-12T14:20:01+01:00',
      '2025-03-17T00:00:00+01:00',
      '2025-03-29T23:59:59+01:00',
      '2025-03-30T02:30:00+02:00',
      '2025-03-31T09:00:00+02:00',
      '2025-06-15T12:00:00+02:00',
      '2025-10-26T02:30:00+01:00',
      '2025-10-26T02:30:00+02:00',
      '2025-11-05T08:09:59+01:00',
    ];
    for (const cut of cuts) {
      const before = businessHours(from, at(cut), DEFAULT_BUSINESS_HOURS);
      const after = businessHours(at(cut), to, DEFAULT_BUSINESS_HOURS);
      expect(before + after, cut).toBeCloseTo(whole, 9);
    }
  });
});

describe('businessHours with other schedules', () => {
  it('reaches midnight with "to": "24:00"', () => {
    const evenings: BusinessSchedule = { timezone: 'Europe/Paris', days: [1, 2, 3, 4, 5, 6, 7], from: '20:00', to: '24:00' };
    // Monday 22:00 → Tuesday 21:00: 2 h on Monday up to midnight, 1 h on Tuesday
    expect(businessHours(at('2025-03-24T22:00:00+01:00'), at('2025-03-25T21:00:00+01:00'), evenings)).toBe(3);
  });

  it('opens on the days given, weekends included', () => {
    const saturdays: BusinessSchedule = { timezone: 'Europe/Paris', days: [6], from: '10:00', to: '12:00' };
    expect(businessHours(at('2025-03-17T00:00:00+01:00'), at('2025-03-31T00:00:00+02:00'), saturdays)).toBe(4);
  });

  it('reads opening hours in the campaign timezone', () => {
    const newYork: BusinessSchedule = { timezone: 'America/New_York', days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' };
    // Monday 10 March 2025, 13:00–21:00 UTC: 09:00–17:00 in New York (EDT), 14:00–22:00 in Paris
    const from = at('2025-03-10T13:00:00Z');
    const to = at('2025-03-10T21:00:00Z');
    expect(businessHours(from, to, newYork)).toBe(8);
    expect(businessHours(from, to, DEFAULT_BUSINESS_HOURS)).toBe(4);
  });

  it('follows the clock changes of that timezone (New York springs forward on 9 March 2025)', () => {
    const newYorkAlways: BusinessSchedule = { ...ALWAYS_OPEN, timezone: 'America/New_York' };
    expect(businessHours(at('2025-03-09T00:00:00-05:00'), at('2025-03-10T00:00:00-04:00'), newYorkAlways)).toBe(23);
  });

  it('rejects schedules it cannot read rather than counting 0 h', () => {
    const from = at('2025-03-24T10:00:00+01:00');
    const to = at('2025-03-24T12:00:00+01:00');
    const bad: BusinessSchedule[] = [
      { ...DEFAULT_BUSINESS_HOURS, timezone: 'Mars/Olympus_Mons' },
      { ...DEFAULT_BUSINESS_HOURS, from: '18:00', to: '09:00' },
      { ...DEFAULT_BUSINESS_HOURS, to: '25:00' },
      { ...DEFAULT_BUSINESS_HOURS, from: '9h' },
      { ...DEFAULT_BUSINESS_HOURS, days: [0, 1] },
    ];
    for (const schedule of bad) {
      expect(() => businessHours(from, to, schedule), JSON.stringify(schedule)).toThrow(RangeError);
    }
  });
});

describe('withinNorms', () => {
  it.each([
    [3, { '4': true, '24': true }],
    [5, { '4': false, '24': true }],
    [30, { '4': false, '24': false }],
    [4, { '4': true, '24': true }],
  ])('an answer after %s h against [4, 24]', (delay, expected) => {
    expect(withinNorms(delay, [4, 24])).toEqual(expected);
  });

  it('meets no norm when there is no answer', () => {
    expect(withinNorms(null, [4, 24])).toEqual({ '4': false, '24': false });
  });

  it('keys fractional norms as written', () => {
    expect(withinNorms(0.04, [0.05, 1.5])).toEqual({ '0.05': true, '1.5': true });
  });
});

describe('roundHours', () => {
  it('keeps two decimals', () => {
    expect(roundHours(2 / 3)).toBe(0.67);
    expect(roundHours(6.004)).toBe(6);
    expect(roundHours(1 / 60)).toBe(0.02);
  });
});
