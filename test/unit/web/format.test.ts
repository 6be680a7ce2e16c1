import { describe, expect, it } from 'vitest';
import { createFormatter } from '../../../src/web/format.ts';
import { pickLang, t } from '../../../src/web/i18n.ts';

// Intl's group and percent spaces: a narrow no-break space or a no-break space, as ICU has it
const NBSP = '[\u00a0\u202f]';

describe('createFormatter', () => {
  const fr = createFormatter('fr', 'Europe/Paris');
  const en = createFormatter('en', 'America/New_York');

  it('writes rates and hours with one decimal, French style in French', () => {
    expect(fr.percent(0.714)).toMatch(new RegExp(`^71,4${NBSP}%$`));
    expect(en.percent(0.714)).toBe('71.4%');
    expect(fr.percent(1)).toMatch(new RegExp(`^100,0${NBSP}%$`));
    expect(fr.hours(3.21)).toMatch(/^3,2\s?h$/u);
    expect(en.hours(3.25)).toMatch(/^3\.3\s?h$/u);
    expect(fr.number(12345.678, 2)).toMatch(new RegExp(`^12${NBSP}345,68$`));
    expect(en.number(12345.678, 2)).toBe('12,345.68');
    expect(fr.note(72.46)).toBe('72,5 / 100');
  });

  it('gives a dash for a missing figure, never 0 or NaN', () => {
    for (const value of [null, undefined, Number.NaN]) {
      expect(fr.percent(value)).toBe('—');
      expect(fr.hours(value)).toBe('—');
      expect(en.number(value)).toBe('—');
    }
    expect(fr.dateTime(null)).toBe('—');
    expect(fr.date('not a date')).toBe('—');
  });

  it("writes times in the campaign's timezone", () => {
    const at = new Date('2026-03-10T08:05:09Z');
    expect(fr.dateTime(at)).toBe('10 mars 2026, 09:05');
    expect(en.dateTime(at.toISOString())).toBe('10 Mar 2026, 04:05');
    expect(fr.date(at)).toBe('10 mars 2026');
    expect(fr.exactTime(at)).toBe('10 mars 2026, 09:05:09 (UTC+01:00)');
  });
});

describe('pickLang', () => {
  it('takes French first, and English when it is preferred', () => {
    expect(pickLang(undefined, 'fr')).toBe('fr');
    expect(pickLang('en-US,en;q=0.9', 'fr')).toBe('en');
    expect(pickLang('de-DE,de;q=0.9', 'fr')).toBe('fr');
    expect(pickLang('de-DE,de;q=0.9', 'en')).toBe('en');
    expect(pickLang('en;q=0.8,fr;q=0.8', 'en')).toBe('fr');
    expect(pickLang('fr-CA;q=0.5,en-GB', 'fr')).toBe('en');
    expect(pickLang('en;q=0,fr;q=0.1', 'en')).toBe('fr');
    expect(pickLang('*', 'en')).toBe('en');
  });

  it('has every report string in both languages', () => {
    expect(Object.keys(t('en')).sort()).toEqual(Object.keys(t('fr')).sort());
    expect(t('fr').ranking).toBe('Classement par secteur');
    expect(t('en').ranking).toBe('Ranking by sector');
  });
});
