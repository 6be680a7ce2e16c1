/**
 * `GET /v1/campaigns/:id/report`: the campaign report, HTML (a self-contained printable page)
 * or PDF, or one brand's evidence pack; and `GET /v1/messages/:id/raw`, a stored message as
 * it arrived (`.eml`), the evidence its SHA-256 in the report is taken over. Readers may read
 * both.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findMessageSource } from '../db/report.repo.ts';
import { LANGS, type Lang } from '../web/i18n.ts';
import { buildReport, ReportScopeError, type ReportFormat } from '../web/report.ts';
import type { Pool } from '../db/pool.ts';
import type { PdfRenderer } from '../web/pdf.ts';
import { ApiProblem, found } from './problem.ts';
import { IdParams, Uuid, commonErrors } from './schemas.ts';

const gunzipAsync = promisify(gunzip);

/** The report page runs nothing and loads nothing but its own inline images and styles. */
export const REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const ReportQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('pdf')], { description: 'pdf, or send Accept: application/pdf; html by default' })),
  brandId: Type.Optional(Type.Intersect([Uuid], { description: "narrows the report to this brand's evidence pack" })),
  lang: Type.Optional(Type.Union(LANGS.map((l) => Type.Literal(l)), { description: "fr or en; by default the campaign's scenarios' language, French first" })),
});

/** PDF when `format` says so, or when Accept weighs application/pdf at least as much as text/html. */
export function wantsPdf(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'pdf';
  const weights = new Map<string, number>();
  for (const range of (accept ?? '').split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (!type) continue;
    const q = params.find((p) => p.startsWith('q='));
    weights.set(type, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  const pdf = weights.get('application/pdf') ?? 0;
  return pdf > 0 && pdf >= (weights.get('text/html') ?? 0);
}

const contentDisposition = (disposition: 'inline' | 'attachment', filename: string) =>
  `${disposition}; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

/** What the routes read. */
export interface ReportRouteOptions {
  pool: Pool;
  /** The process's shared Chromium renderer when absent. */
  pdfRenderer?: PdfRenderer | undefined;
}

export const reportRoutes: FastifyPluginAsyncTypebox<ReportRouteOptions> = async (app, { pool, pdfRenderer }) => {
  app.get(
    '/campaigns/:id/report',
    {
      schema: {
        tags: ['reports'],
        summary: "The campaign report (method, figures, ranking, charts, each brand's evidence pack), HTML or PDF",
        description:
          'HTML by default: one self-contained printable page (styles inline, charts as SVG, no script, nothing fetched; served with a strict Content-Security-Policy). ' +
          "PDF with format=pdf or Accept: application/pdf, rendered by Chromium. brandId narrows it to one brand's evidence pack. " +
          'Figures are those of /v1/stats and /v1/campaigns/:id/ranking.',
        params: IdParams,
        querystring: ReportQuery,
        response: {
          200: {
            description: 'the report',
            content: { 'text/html': { schema: Type.String() }, 'application/pdf': { schema: Type.String({ format: 'binary' }) } },
          },
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const format: ReportFormat = wantsPdf(request.query.format, request.headers.accept) ? 'pdf' : 'html';
      let built;
      try {
        built = await buildReport(pool, {
          campaignId: id,
          brandId: request.query.brandId ?? null,
          lang: (request.query.lang as Lang | undefined) ?? null,
          format,
          ...(pdfRenderer && { pdfRenderer }),
        });
      } catch (error) {
        if (error instanceof ReportScopeError) throw new ApiProblem(404, 'Not Found', error.message, { errors: [{ field: 'querystring/brandId', message: 'not a brand of this campaign' }] });
        throw error;
      }
      const report = found(built, 'campaign', id);
      void reply
        .header('vary', 'Accept')
        .header('content-language', report.lang)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', contentDisposition('inline', report.filename))
        .type(report.contentType);
      if (report.format === 'html') void reply.header('content-security-policy', REPORT_CSP).header('referrer-policy', 'no-referrer');
      return report.body;
    },
  );

  app.get(
    '/messages/:id/raw',
    {
      schema: {
        tags: ['messages'],
        summary: 'A stored message as it arrived, as a .eml file (its SHA-256 is the one the report shows)',
        params: IdParams,
        response: { 200: { description: 'the raw message', content: { 'message/rfc822': { schema: Type.String({ format: 'binary' }) } } }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const stored = found(await findMessageSource(pool, id), 'message', id);
      if (!stored.sourceGz) throw new ApiProblem(404, 'Not Found', `message ${id} has no stored raw source (it was above the size cap when fetched)`);
      const source = await gunzipAsync(stored.sourceGz);
      void reply
        .type('message/rfc822')
        .header('content-disposition', contentDisposition('attachment', `message-${id}.eml`))
        .header('x-content-type-options', 'nosniff')
        .header('x-sonde-sha256', stored.sha256);
      return source;
    },
  );
};
