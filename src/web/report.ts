/**
 * A campaign report (or a brand's evidence pack) in HTML or PDF: what the API route and
 * `sonde report` both call.
 */
import type { Pool } from '../db/pool.ts';
import { loadCampaignReport } from '../flow/campaign-report.ts';
import { t, type Lang } from './i18n.ts';
import { sharedPdfRenderer, type PdfRenderer } from './pdf.ts';
import { defaultReportLang, renderReportHtml, reportTitle } from './report-page.ts';

export { ReportScopeError } from '../flow/campaign-report.ts';

export type ReportFormat = 'html' | 'pdf';

export interface ReportRequest {
  campaignId: string;
  brandId?: string | null;
  /** Default: the campaign's scenarios' language, French first. */
  lang?: Lang | null;
  format: ReportFormat;
  /** Default: the process's renderer for Debian's Chromium. */
  pdfRenderer?: PdfRenderer;
}

export interface BuiltReport {
  format: ReportFormat;
  lang: Lang;
  title: string;
  /** UTF-8 HTML, or the PDF's bytes. */
  body: Buffer;
  contentType: string;
  /** A file name for downloads: `report-<campaign>[-<brand>].<ext>`. */
  filename: string;
  /** Pages of the PDF; null for HTML. */
  pages: number | null;
}

const slug = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()
    .slice(0, 60) || 'report';

/** Null when the campaign does not exist; throws `ReportScopeError` for a brand outside it. */
export async function buildReport(pool: Pool, request: ReportRequest): Promise<BuiltReport | null> {
  const data = await loadCampaignReport(pool, request.campaignId, request.brandId ?? null);
  if (!data) return null;
  const lang = request.lang ?? defaultReportLang(data);
  const title = reportTitle(data, lang);
  const document = await renderReportHtml(data, lang);
  const brand = data.brandId ? data.brands.find((b) => b.id === data.brandId) : null;
  const base = `report-${slug(data.campaign.name)}${brand ? `-${slug(brand.name)}` : ''}`;
  if (request.format === 'html') {
    return { format: 'html', lang, title, body: Buffer.from(document), contentType: 'text/html; charset=utf-8', filename: `${base}.html`, pages: null };
  }
  const msg = t(lang);
  const rendered = await (request.pdfRenderer ?? sharedPdfRenderer()).render(document, { title, pageLabel: msg.page, ofLabel: msg.of });
  return { format: 'pdf', lang, title, body: rendered.pdf, contentType: 'application/pdf', filename: `${base}.pdf`, pages: rendered.pages };
}
