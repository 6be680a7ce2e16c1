import { describe, expect, it } from 'vitest';
import { wantsPdf } from '../../../src/api/report.routes.ts';
import { markSpelling } from '../../../src/web/report-brand.ts';
import { defaultReportLang } from '../../../src/web/report-page.ts';

const error = (word: string, offset: number, suggestions: string[] = []) => ({ part: 'reply' as const, word, offset, suggestions });

describe('report parts', () => {
  it('marks each spelling error on its word, escaping the text around it', () => {
    const text = 'Malheuresement <b>votre</b> colis est en retrad, retrad encore.';
    const marked = markSpelling(text, [error('Malheuresement', 0, ['Malheureusement']), error('retrad', 42), error('retrad', 999)]).value;
    expect(marked).toBe(
      '<mark class="spelling" title="Malheureusement">Malheuresement</mark> &lt;b&gt;votre&lt;/b&gt; colis est en <mark class="spelling" title="">retrad</mark>, <mark class="spelling" title="">retrad</mark> encore.',
    );
  });

  it('negotiates PDF from format, then from Accept', () => {
    expect(wantsPdf('pdf', 'text/html')).toBe(true);
    expect(wantsPdf('html', 'application/pdf')).toBe(false);
    expect(wantsPdf(undefined, 'application/pdf')).toBe(true);
    expect(wantsPdf(undefined, 'text/html,application/pdf;q=0.5')).toBe(false);
    expect(wantsPdf(undefined, '*/*')).toBe(false);
    expect(wantsPdf(undefined, undefined)).toBe(false);
  });

  it("speaks the scenarios' language, French on a tie or with none", () => {
    const of = (...languages: string[]) => ({ scenarios: languages.map((language, i) => ({ id: String(i), name: 's', language, subject: 's', expectedPoints: 0 })) });
    expect(defaultReportLang(of())).toBe('fr');
    expect(defaultReportLang(of('en'))).toBe('en');
    expect(defaultReportLang(of('en', 'fr'))).toBe('fr');
    expect(defaultReportLang(of('en', 'en-GB', 'fr'))).toBe('en');
  });
});
