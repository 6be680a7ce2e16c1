/**
 * Figures and times formatted for people, in the report's language and the campaign's
 * timezone: percentages and hours with one decimal, French number formatting in French
 * ("71,4 %", "3,2 h"), English in English ("71.4%", "3.2h"). Everything goes through Intl
 * and luxon; a missing figure is an em dash, never 0 or NaN.
 */
import { DateTime } from 'luxon';
import type { Lang } from './i18n.ts';

export const MISSING = '—';

export interface Formatter {
  readonly lang: Lang;
  readonly timeZone: string;
  /** A rate 0..1 as a percentage with one decimal. */
  percent(rate: number | null | undefined): string;
  /** Hours with one decimal and the unit. */
  hours(h: number | null | undefined): string;
  /** A number with `digits` decimals (0 by default), grouped as the language groups them. */
  number(n: number | null | undefined, digits?: number): string;
  /** A note out of 100 with one decimal ("72,5 / 100"). */
  note(n: number | null | undefined, max?: number): string;
  /** Date and time in the campaign's timezone, to the minute. */
  dateTime(value: Date | string | null | undefined): string;
  /** Date and time to the second, with the zone's offset: for evidence. */
  exactTime(value: Date | string | null | undefined): string;
  /** The date alone, in the campaign's timezone. */
  date(value: Date | string | null | undefined): string;
}

const toDateTime = (value: Date | string, timeZone: string): DateTime | null => {
  const dt = value instanceof Date ? DateTime.fromJSDate(value) : DateTime.fromISO(value, { setZone: true });
  return dt.isValid ? dt.setZone(timeZone) : null;
};

const empty = (value: unknown): value is null | undefined => value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value));

export function createFormatter(lang: Lang, timeZone: string): Formatter {
  const locale = lang === 'fr' ? 'fr-FR' : 'en-GB';
  const percentFormat = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const hoursFormat = new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: 'hour',
    unitDisplay: lang === 'fr' ? 'short' : 'narrow',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const numberFormats = new Map<number, Intl.NumberFormat>();
  const numberFormat = (digits: number) => {
    let format = numberFormats.get(digits);
    if (!format) {
      format = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
      numberFormats.set(digits, format);
    }
    return format;
  };
  const when = (value: Date | string | null | undefined, format: (dt: DateTime) => string) => {
    if (value === null || value === undefined) return MISSING;
    const dt = toDateTime(value, timeZone);
    return dt ? format(dt.setLocale(locale)) : MISSING;
  };
  return {
    lang,
    timeZone,
    percent: (rate) => (empty(rate) ? MISSING : percentFormat.format(rate)),
    hours: (h) => (empty(h) ? MISSING : hoursFormat.format(h)),
    number: (n, digits = 0) => (empty(n) ? MISSING : numberFormat(digits).format(n)),
    note: (n, max = 100) => (empty(n) ? MISSING : `${numberFormat(1).format(n)} / ${max}`),
    dateTime: (value) => when(value, (dt) => dt.toLocaleString(DateTime.DATETIME_MED)),
    exactTime: (value) => when(value, (dt) => `${dt.toLocaleString(DateTime.DATETIME_MED_WITH_SECONDS)} (UTC${dt.toFormat('ZZ')})`),
    date: (value) => when(value, (dt) => dt.toLocaleString(DateTime.DATE_MED)),
  };
}
