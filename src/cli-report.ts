/**
 * `sonde report CAMPAIGN_ID [--brand BRAND_ID] [--format pdf|html] [--out FILE] [--lang fr|en]`:
 * writes the campaign report (or one brand's evidence pack), the same document as
 * `GET /v1/campaigns/:id/report`, and prints where.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from './config.ts';
import { createPool } from './db/pool.ts';
import type { Lang } from './web/i18n.ts';
import { closePdfRenderers, sharedPdfRenderer } from './web/pdf.ts';
import { buildReport, ReportScopeError, type BuiltReport, type ReportFormat } from './web/report.ts';

export interface ReportCommandOptions {
  brand?: string;
  format?: ReportFormat;
  out?: string;
  lang?: Lang;
}

export class ReportCommandError extends Error {
  override name = 'ReportCommandError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Writes the report; returns its path and what was written. */
export async function writeReport(config: Pick<Config, 'databaseUrl' | 'chromiumPath'>, campaignId: string, options: ReportCommandOptions): Promise<{ path: string; report: BuiltReport }> {
  if (!UUID.test(campaignId)) throw new ReportCommandError(`${campaignId} is not a campaign id (a uuid, as GET /v1/campaigns lists them)`);
  if (options.brand !== undefined && !UUID.test(options.brand)) throw new ReportCommandError(`--brand ${options.brand} is not a brand id (a uuid)`);
  const format = options.format ?? (options.out?.toLowerCase().endsWith('.html') ? 'html' : 'pdf');
  const pool = createPool(config.databaseUrl, 4);
  try {
    let report: BuiltReport | null;
    try {
      report = await buildReport(pool, { campaignId, brandId: options.brand ?? null, lang: options.lang ?? null, format, pdfRenderer: sharedPdfRenderer(config.chromiumPath) });
    } catch (error) {
      if (error instanceof ReportScopeError) throw new ReportCommandError(error.message);
      throw error;
    }
    if (!report) throw new ReportCommandError(`campaign ${campaignId} does not exist in ${new URL(config.databaseUrl).pathname.slice(1)}`);
    const path = resolve(options.out ?? report.filename);
    await writeFile(path, report.body);
    return { path, report };
  } finally {
    await closePdfRenderers();
    await pool.end();
  }
}
