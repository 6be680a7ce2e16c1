/**
 * Days a brand's customer service is closed besides its weekly days off: a country's public
 * holidays (and a region's, where they differ: Alsace-Moselle adds Good Friday and
 * 26 December to France's), computed by `date-holidays`, plus dates a campaign names itself.
 * Pure: the holidays are computed from rules shipped with the library, never fetched.
 */
import Holidays from 'date-holidays';
import type { BusinessSchedule, ClosedDates, OpeningHours } from './timing.ts';

/** A campaign's `businessHours.holidays`. */
export interface HolidaySetting {
  /** ISO 3166-1 alpha-2 code (`FR`) of the country whose public holidays are closed; null: none. */
  country: string | null;
  /** A subdivision as `date-holidays` codes it (`57` Moselle, `67` Bas-Rhin, `68` Haut-Rhin for France); null or absent: the whole country's. */
  region?: string | null | undefined;
  /** More closed days, local dates `YYYY-MM-DD` (a bridge day, a company closure). */
  extraClosedDates?: string[] | undefined;
}

/**
 * The holidays of a campaign that says nothing: France's in `Europe/Paris`, none elsewhere
 * (a timezone does not tell which country's brands are audited: name it).
 */
const DEFAULT_COUNTRY_BY_TIMEZONE: Readonly<Record<string, string>> = { 'Europe/Paris': 'FR' };

export function defaultHolidays(timezone: string): HolidaySetting {
  return { country: DEFAULT_COUNTRY_BY_TIMEZONE[timezone] ?? null };
}

/** The setting that applies: the campaign's own, or its timezone's default. */
export function effectiveHolidays(setting: HolidaySetting | null | undefined, timezone: string): HolidaySetting {
  return setting ?? defaultHolidays(timezone);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** What is wrong with a setting, field by field (paths relative to the setting); empty when it is valid. */
export function checkHolidaySetting(setting: HolidaySetting): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (setting.country !== null) {
    const countries = calendarRoot().getCountries('en');
    if (!Object.hasOwn(countries, setting.country)) {
      problems.push({ field: 'country', message: `"${setting.country}" is not a country date-holidays knows (ISO 3166-1 alpha-2, e.g. FR)` });
    } else if (setting.region) {
      const regions = calendarRoot().getStates(setting.country, 'en') ?? {};
      if (!Object.hasOwn(regions, setting.region)) {
        const known = Object.keys(regions);
        problems.push({
          field: 'region',
          message: `"${setting.region}" is not a region of ${setting.country}${known.length ? ` (one of ${known.join(', ')})` : ' (it has none)'}`,
        });
      }
    }
  } else if (setting.region) {
    problems.push({ field: 'region', message: 'a region needs a country' });
  }
  for (const [index, date] of (setting.extraClosedDates ?? []).entries()) {
    if (!isRealDate(date)) problems.push({ field: `extraClosedDates/${index}`, message: `"${date}" is not a date YYYY-MM-DD` });
  }
  return problems;
}

function isRealDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

/**
 * The public holidays (type `public` in `date-holidays`) of a country or region in `year`,
 * as local dates `YYYY-MM-DD`, sorted; a holiday lasting several days gives each of them.
 */
export function publicHolidays(country: string, region: string | null | undefined, year: number): string[] {
  const key = `${country}/${region ?? ''}/${year}`;
  const cached = yearCache.get(key);
  if (cached) return cached;
  const dates = new Set<string>();
  for (const holiday of calendar(country, region).getHolidays(year, 'en')) {
    if (holiday.type !== 'public') continue;
    const first = holiday.date.slice(0, 10);
    const days = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / 86_400_000));
    for (let day = 0; day < days; day++) dates.add(addDays(first, day));
  }
  const sorted = [...dates].filter((date) => date.startsWith(`${year}-`)).sort();
  yearCache.set(key, sorted);
  return sorted;
}

/** The closed dates of a setting, for `businessHours` (timing.ts); years are computed as they are asked for. */
export function closedDates(setting: HolidaySetting): ClosedDates {
  const extra = [...new Set(setting.extraClosedDates ?? [])].sort();
  const byYear = new Map<number, ReadonlySet<string>>();
  const ofYear = (year: number): ReadonlySet<string> => {
    let dates = byYear.get(year);
    if (!dates) {
      const holidays = setting.country === null ? [] : publicHolidays(setting.country, setting.region, year);
      dates = new Set([...holidays, ...extra.filter((date) => date.startsWith(`${year}-`))]);
      byYear.set(year, dates);
    }
    return dates;
  };
  return {
    has: (date) => ofYear(Number(date.slice(0, 4))).has(date),
    anyIn(from, to) {
      for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
        for (const date of ofYear(year)) if (date >= from && date < to) return true;
      }
      return false;
    },
  };
}

const yearCache = new Map<string, string[]>();
const calendars = new Map<string, Holidays>();
let root: Holidays | null = null;

function calendarRoot(): Holidays {
  root ??= new Holidays();
  return root;
}

function calendar(country: string, region: string | null | undefined): Holidays {
  const key = `${country}/${region ?? ''}`;
  let found = calendars.get(key);
  if (!found) {
    found = region ? new Holidays(country, region) : new Holidays(country);
    calendars.set(key, found);
  }
  return found;
}

function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** A campaign's business hours, as the API writes them: opening hours and, optionally, holidays. */
export interface BusinessHoursSetting extends OpeningHours {
  /** Absent or null: the timezone's default (`defaultHolidays`). */
  holidays?: HolidaySetting | null | undefined;
}

/** The schedule business time is counted on: the opening hours in the campaign's timezone, its holidays closed. */
export function businessSchedule(hours: BusinessHoursSetting, timezone: string): BusinessSchedule {
  return { days: hours.days, from: hours.from, to: hours.to, timezone, closedDates: closedDates(effectiveHolidays(hours.holidays, timezone)) };
}
