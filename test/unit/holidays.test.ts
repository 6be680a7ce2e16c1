import { describe, expect, it } from 'vitest';
import { businessSchedule, checkHolidaySetting, publicHolidays, type HolidaySetting } from '../../src/audit/holidays.ts';
import { computeOutcome } from '../../src/audit/outcome.ts';
import { businessHours } from '../../src/audit/timing.ts';

const at = (iso: string): Date => new Date(iso);
const HOURS = { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' };
/** Hours of business time in a Paris campaign with these holidays (undefined: the default). */
const paris = (from: string, to: string, holidays?: HolidaySetting | null) =>
  businessHours(at(from), at(to), businessSchedule({ ...HOURS, holidays }, 'Europe/Paris'));

describe('public holidays', () => {
  it("are France's for a campaign in Europe/Paris that says nothing", () => {
    // Easter 2027 is Sunday 28 March: Monday 29 is closed, a reply on Tuesday 11:00 to a probe of
    // Friday 10:00 took 8 h on Friday and 2 h on Tuesday
    expect(paris('2027-03-26T10:00:00+01:00', '2027-03-30T11:00:00+02:00')).toBe(10);
    // without holidays the Monday counted its 9 h
    expect(paris('2027-03-26T10:00:00+01:00', '2027-03-30T11:00:00+02:00', { country: null })).toBe(19);
  });

  it('add Good Friday and 26 December in Alsace-Moselle', () => {
    for (const region of ['57', '67', '68']) {
      // Good Friday closed too: only Tuesday's 2 h
      expect(paris('2027-03-26T10:00:00+01:00', '2027-03-30T11:00:00+02:00', { country: 'FR', region })).toBe(2);
    }
    expect(publicHolidays('FR', '57', 2027)).toEqual(expect.arrayContaining(['2027-03-26', '2027-12-26']));
    expect(publicHolidays('FR', null, 2027)).not.toContain('2027-03-26');
    // 2025-12-26 is a Friday: closed in Moselle, open elsewhere in France (Christmas Thursday is closed in both)
    expect(paris('2025-12-24T17:00:00+01:00', '2025-12-29T10:00:00+01:00', { country: 'FR', region: '57' })).toBe(2);
    expect(paris('2025-12-24T17:00:00+01:00', '2025-12-29T10:00:00+01:00')).toBe(11);
  });

  it('gives France its eleven public holidays, observances left out', () => {
    expect(publicHolidays('FR', null, 2027)).toEqual([
      '2027-01-01', '2027-03-29', '2027-05-01', '2027-05-06', '2027-05-08', '2027-05-17',
      '2027-07-14', '2027-08-15', '2027-11-01', '2027-11-11', '2027-12-25',
    ]);
  });

  it('close the extra dates a campaign names, and are skipped inside a long span too', () => {
    // Thursday 13 May 2027 to Monday 17 May (Whit Monday): Friday 14 is a bridge day
    expect(paris('2027-05-13T17:00:00+02:00', '2027-05-18T10:00:00+02:00', { country: 'FR', extraClosedDates: ['2027-05-14'] })).toBe(2);
    expect(paris('2027-05-13T17:00:00+02:00', '2027-05-18T10:00:00+02:00')).toBe(11);
    // four weeks of June–July 2027 hold one holiday (14 July, a Wednesday): 20 working days less one
    expect(paris('2027-06-28T00:00:00+02:00', '2027-07-26T00:00:00+02:00')).toBe(19 * 9);
    expect(paris('2027-06-28T00:00:00+02:00', '2027-07-26T00:00:00+02:00', { country: null })).toBe(20 * 9);
  });

  it('are none by default in another timezone', () => {
    const newYork = (holidays?: HolidaySetting) =>
      businessHours(at('2027-07-02T17:00:00-04:00'), at('2027-07-06T10:00:00-04:00'), businessSchedule({ ...HOURS, holidays }, 'America/New_York'));
    // Friday 17:00 to Tuesday 10:00: Monday 5 July is the observed Independence Day
    expect(newYork()).toBe(11);
    expect(newYork({ country: 'US' })).toBe(2);
  });

  it('count in the outcome of a probe: its business delay skips them', () => {
    const outcome = computeOutcome(
      { sentAt: at('2027-03-26T10:00:00+01:00'), reminders: [] },
      [{ id: 'r1', kind: 'answer', receivedAt: at('2027-03-30T11:00:00+02:00') }],
      { norms: [4, 24], businessHours: { ...HOURS, holidays: { country: 'FR', region: '57' } }, timezone: 'Europe/Paris' },
    );
    expect(outcome.businessDelayHours).toBe(2);
    expect(outcome.delayHours).toBe(96);
  });

  it('check a setting field by field', () => {
    expect(checkHolidaySetting({ country: 'FR', region: '57', extraClosedDates: ['2027-05-14'] })).toEqual([]);
    expect(checkHolidaySetting({ country: 'XX' }).map((p) => p.field)).toEqual(['country']);
    expect(checkHolidaySetting({ country: 'FR', region: '99' })[0]).toMatchObject({ field: 'region', message: expect.stringContaining('57') });
    expect(checkHolidaySetting({ country: null, region: '57' }).map((p) => p.field)).toEqual(['region']);
    expect(checkHolidaySetting({ country: 'FR', extraClosedDates: ['2027-02-30', '14/05/2027'] }).map((p) => p.field)).toEqual([
      'extraClosedDates/0',
      'extraClosedDates/1',
    ]);
  });
});
