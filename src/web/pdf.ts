/**
 * PDF rendering by a real browser engine: Debian's Chromium driven by playwright-core (no
 * browser download). One browser per process, launched on the first PDF and closed on
 * shutdown; a fresh context per document, JavaScript disabled, and every request but the
 * document itself aborted: the HTML is loaded with `setContent`, so nothing needs fetching,
 * and a brand's tracking pixel that slipped through would be refused here too.
 */
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { escapeHtml } from './html.ts';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export interface PdfOptions {
  /** Shown in every page's header. */
  title: string;
  /** "Page" and "of" in the footer's language. */
  pageLabel?: string;
  ofLabel?: string;
}

export interface RenderedPdf {
  pdf: Buffer;
  pages: number;
}

/** Pages of a PDF as Chromium writes it: its page objects. */
export function countPdfPages(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
}

export class PdfRenderer {
  private browser: Promise<Browser> | null = null;
  /** Requests the renderer refused, since it started: outside resources a document asked for. */
  blockedRequests = 0;

  constructor(private readonly executablePath: string = DEFAULT_CHROMIUM_PATH) {}

  /** Playwright gives each launch a fresh temporary profile (user-data-dir) and removes it at close. */
  private launch(): Promise<Browser> {
    this.browser ??= chromium
      .launch({ executablePath: this.executablePath, args: CHROMIUM_ARGS, headless: true })
      .then((browser) => {
        browser.on('disconnected', () => {
          this.browser = null;
        });
        return browser;
      })
      .catch((error: unknown) => {
        this.browser = null;
        throw new Error(`could not start Chromium at ${this.executablePath} (SONDE_CHROMIUM_PATH): ${(error as Error).message.split('\n')[0]}`);
      });
    return this.browser;
  }

  /** A context that runs no script and fetches nothing but `about:blank`'s own content. */
  async newContext(): Promise<BrowserContext> {
    const browser = await this.launch();
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true, serviceWorkers: 'block' });
    await context.route('**', (route) => {
      this.blockedRequests++;
      return route.abort('blockedbyclient');
    });
    return context;
  }

  async render(documentHtml: string, options: PdfOptions): Promise<RenderedPdf> {
    const context = await this.newContext();
    try {
      const page = await context.newPage();
      await page.setContent(documentHtml, { waitUntil: 'load', timeout: 60_000 });
      await page.emulateMedia({ media: 'print' });
      const small = 'font-family: DejaVu Sans, Arial, sans-serif; font-size: 8px; color: #59636e; width: 100%; margin: 0 12mm;';
      const pdf = await page.pdf({
        format: 'A4',
        printBackground: true,
        displayHeaderFooter: true,
        preferCSSPageSize: true,
        headerTemplate: `<div style="${small} text-align: left;">${escapeHtml(options.title)}</div>`,
        footerTemplate: `<div style="${small} text-align: right;">${escapeHtml(options.pageLabel ?? 'Page')} <span class="pageNumber"></span> ${escapeHtml(options.ofLabel ?? 'of')} <span class="totalPages"></span></div>`,
        margin: { top: '18mm', bottom: '16mm', left: '12mm', right: '12mm' },
      });
      return { pdf, pages: countPdfPages(pdf) };
    } finally {
      await context.close();
    }
  }

  async close(): Promise<void> {
    const launched = this.browser;
    this.browser = null;
    if (!launched) return;
    const browser = await launched.catch(() => null);
    await browser?.close().catch(() => {});
  }
}

const renderers = new Map<string, PdfRenderer>();

/** The process's renderer for this Chromium (one browser per process). */
export function sharedPdfRenderer(executablePath: string = DEFAULT_CHROMIUM_PATH): PdfRenderer {
  let renderer = renderers.get(executablePath);
  if (!renderer) {
    renderer = new PdfRenderer(executablePath);
    renderers.set(executablePath, renderer);
  }
  return renderer;
}

/** Closes every browser this process launched (at shutdown). */
export async function closePdfRenderers(): Promise<void> {
  const all = [...renderers.values()];
  renderers.clear();
  await Promise.all(all.map((r) => r.close()));
}
