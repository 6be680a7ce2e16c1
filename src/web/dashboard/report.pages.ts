/**
 * `/campaigns/:id/report`: the campaign report (or, with `brandId`, a brand's evidence pack)
 * for a signed-in dashboard user, HTML or, with `format=pdf`, PDF: the same renderer as
 * `GET /v1/campaigns/:id/report`, read with the session cookie instead of a bearer key. The
 * report's links to raw messages point at the dashboard's own `.eml` route.
 */
import type { FastifyPluginAsync } from 'fastify';
import { isLang } from '../i18n.ts';
import type { PdfRenderer } from '../pdf.ts';
import { buildReport, ReportScopeError } from '../report.ts';
import { UUID } from './components.ts';
import { contentSecurityPolicy } from './csp.ts';
import type { PageDeps } from './plugin.ts';
import { WebError } from './web-error.ts';

const RAW_LINK = /href="\/v1\/messages\/([0-9a-f-]{36})\/raw"/g;

export const reportPages: FastifyPluginAsync<{ deps: PageDeps & { pdfRenderer?: PdfRenderer | undefined } }> = async (app, { deps }) => {
  app.get<{ Params: { id: string }; Querystring: { format?: string; brandId?: string; lang?: string } }>('/campaigns/:id/report', async (request, reply) => {
    const { id } = request.params;
    const { format, brandId, lang } = request.query;
    if (!UUID.test(id)) throw new WebError(404);
    if (brandId !== undefined && !UUID.test(brandId)) throw new WebError(400, 'brandId must be an id');
    let built;
    try {
      built = await buildReport(deps.pool, {
        campaignId: id,
        brandId: brandId ?? null,
        lang: isLang(lang) ? lang : null,
        format: format === 'pdf' ? 'pdf' : 'html',
        ...(deps.pdfRenderer && { pdfRenderer: deps.pdfRenderer }),
      });
    } catch (error) {
      if (error instanceof ReportScopeError) throw new WebError(404, error.message);
      throw error;
    }
    if (!built) throw new WebError(404);
    const disposition = `inline; filename="${built.filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"`;
    void reply.header('content-language', built.lang).header('content-disposition', disposition).type(built.contentType);
    if (built.format === 'pdf') return reply.send(built.body);
    void reply.header('content-security-policy', contentSecurityPolicy('report'));
    return reply.send(built.body.toString('utf8').replace(RAW_LINK, 'href="/messages/$1/eml"'));
  });
};
