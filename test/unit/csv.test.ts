import { describe, expect, it } from 'vitest';
import { csvField, toCsv, wantsCsv } from '../../src/api/csv.ts';

describe('CSV', () => {
  it('writes a header row and CRLF lines, quoting only what needs it', () => {
    const csv = toCsv(
      [
        { header: 'name', value: (r: { name: string; rate: number | null }) => r.name },
        { header: 'rate', value: (r) => r.rate },
      ],
      [
        { name: 'Énergie "Delta", SA', rate: 1 / 3 },
        { name: 'Ligne\nsuivante', rate: null },
      ],
    );
    expect(csv).toBe('name,rate\r\n"Énergie ""Delta"", SA",0.3333333333333333\r\n"Ligne\nsuivante",\r\n');
  });

  it('writes numbers as JSON does, and null or undefined as an empty field', () => {
    expect([1e21, 0.1 + 0.2, -0, 27.2, null, undefined, true].map(csvField)).toEqual(['1e+21', '0.30000000000000004', '0', '27.2', '', '', 'true']);
  });

  it("defuses text a spreadsheet would run as a formula with a leading quote, and leaves numbers alone", () => {
    expect(['=HYPERLINK("http://x.example","clic")', '+33 1 23', '-2+3', '@SUM(A1)', '\t=1', '\r=1', 'Marque = 1', "'déjà"].map(csvField)).toEqual([
      `"'=HYPERLINK(""http://x.example"",""clic"")"`,
      "'+33 1 23",
      "'-2+3",
      "'@SUM(A1)",
      "'\t=1",
      `"'\r=1"`,
      'Marque = 1',
      "'déjà",
    ]);
    // a negative number stays a number
    expect([-3.5, -0.25, 0].map(csvField)).toEqual(['-3.5', '-0.25', '0']);
  });

  it('answers CSV when asked by format, or by Accept preferring text/csv; JSON otherwise', () => {
    expect(wantsCsv('csv', undefined)).toBe(true);
    expect(wantsCsv('json', 'text/csv')).toBe(false);
    expect(wantsCsv(undefined, 'text/csv')).toBe(true);
    expect(wantsCsv(undefined, 'text/csv;q=0.8, application/json;q=0.9')).toBe(false);
    expect(wantsCsv(undefined, 'application/json;q=0.5, text/csv')).toBe(true);
    expect(wantsCsv(undefined, 'text/csv;q=0')).toBe(false);
    expect(wantsCsv(undefined, '*/*')).toBe(false);
    expect(wantsCsv(undefined, undefined)).toBe(false);
  });
});
