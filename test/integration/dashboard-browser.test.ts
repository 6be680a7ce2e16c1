/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core,
 * against the service listening on a free port, with replies that went through the real
 * pipeline (Dovecot, the poll and analysis workers). A reader and an auditor sign in; the
 * campaign page shows the figures of `/v1/stats` and one chart mark per brand; the reader
 * sees no action and a forged one is refused; the auditor assigns a message from the review
 * queue and overrides a criterion; a hostile reply runs nothing and fetches nothing (a local
 * pixel server counts its hits); no page logs a console error; axe-core finds no serious or
 * critical violation.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { QueueEvents } from 'bullmq';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { buildProcessors, type BuiltProcessors } from '../../src/queue/processors.ts';
import { requestSync } from '../../src/queue/queues.ts';
import { startWorkers, type Workers } from '../../src/queue/worker.ts';
import { createFormatter } from '../../src/web/format.ts';
import { closePdfRenderers } from '../../src/web/pdf.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createMailUser, type MailUser } from '../support/dovecot.ts';
import { hostileReplySource } from '../support/hostile-mail.ts';
import { appendMessage } from '../support/imap.ts';
import { HOUR, newMessageId, rawMail } from '../support/mail-factory.ts';
import { createTestQueues, type TestQueues } from '../support/queues.ts';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const AXE = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));
const T0 = new Date('2026-03-03T09:00:00Z');

let t: TestContext;
let q: TestQueues;
let built: BuiltProcessors;
let workers: Workers;
let pollEvents: QueueEvents;
let user: MailUser;
let base: string;
let browser: Browser;
let pixel: Server;
let pixelHits: string[] = [];
let pixelBase: string;
const consoleErrors: string[] = [];
const outsideRequests: string[] = [];

const ids = {
  campaign: '',
  brands: [] as string[],
  probes: {} as Record<string, string>,
  spellingReply: '',
  hostileReply: '',
  unmatched: '',
};
let readerKey: string;
let auditorKey: string;

async function api(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: t.auth(), ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() };
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 60_000) {
  for (const started = Date.now(); Date.now() - started < ms; await new Promise((resolve) => setTimeout(resolve, 100))) if (await check()) return;
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  pixel = createServer((request, response) => {
    pixelHits.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'image/gif' }).end();
  });
  await new Promise<void>((resolve) => pixel.listen(0, '127.0.0.1', resolve));
  pixelBase = `http://127.0.0.1:${(pixel.address() as AddressInfo).port}`;

  q = createTestQueues();
  t = await createTestContext({ requestSync: (id) => requestSync(q.queues, id), dashboard: { secretKey: randomBytes(32) } });
  const config = { ...loadConfig({}), queuePrefix: q.prefix };
  built = buildProcessors({ pool: t.db.pool, redis: q.workerRedis, queues: q.queues, secretBox: t.secretBox, logger: createLogger('silent'), config });
  workers = startWorkers({ connection: q.workerRedis, prefix: q.prefix, concurrency: 2, processors: built.processors, logger: createLogger('silent') });
  pollEvents = new QueueEvents('poll-mailbox', { connection: q.workerRedis.duplicate(), prefix: q.prefix });
  await pollEvents.waitUntilReady();
  user = await createMailUser(inject('dovecot'), 'dashboard');

  readerKey = (await api('POST', '/v1/keys', { label: 'Lectrice', role: 'reader' })).body.key;
  auditorKey = (await api('POST', '/v1/keys', { label: 'Auditeur', role: 'auditor' })).body.key;

  const banks = (await api('POST', '/v1/sectors', { name: 'Banque' })).body.id;
  const energy = (await api('POST', '/v1/sectors', { name: 'Énergie' })).body.id;
  const brand = async (name: string, sectorId: string, domain: string) =>
    (await api('POST', '/v1/brands', { name, sectorId, senderDomains: [domain] })).body.id as string;
  ids.brands = [await brand('Banque Alpha', banks, 'alpha.example'), await brand('Banque Beta', banks, 'beta.example'), await brand('Énergie Gamma', energy, 'gamma.example')];
  const scenario = (
    await api('POST', '/v1/scenarios', {
      name: 'Frais de tenue de compte',
      subject: 'Question sur les frais',
      body: 'Bonjour, quels sont vos frais de tenue de compte ? {{persona.firstName}} {{persona.lastName}}',
      expectedPoints: [{ label: 'montant', keywords: ['euros', 'gratuit'] }],
    })
  ).body.id;
  const mailbox = (
    await api('POST', '/v1/mailboxes', {
      label: 'Sophie',
      address: user.address,
      persona: { firstName: 'Sophie', lastName: 'Bernard', gender: 'female' },
      imap: { host: inject('dovecot').host, port: inject('dovecot').port, secure: false, allowPlaintext: true, user: user.user, password: user.password },
    })
  ).body.id;
  ids.campaign = (await api('POST', '/v1/campaigns', { name: 'Baromètre 2026', brandIds: ids.brands, scenarioIds: [scenario], mailboxIds: [mailbox], probesPerBrand: 2 })).body.id;

  const messageIds: Record<string, string> = {};
  const declare = async (key: string, brandId: string, sentAt: Date) => {
    messageIds[key] = newMessageId('sonde.test');
    const res = await api('POST', '/v1/probes', {
      campaignId: ids.campaign, brandId, mailboxId: mailbox, scenarioId: scenario, channel: 'email',
      subject: 'Question sur les frais', messageId: messageIds[key], sentAt: sentAt.toISOString(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.probes[key] = res.body.id;
  };
  await declare('alpha1', ids.brands[0]!, T0);
  await declare('alpha2', ids.brands[0]!, T0);
  await declare('beta1', ids.brands[1]!, T0);
  await declare('beta2', ids.brands[1]!, T0);
  await declare('gamma1', ids.brands[2]!, new Date(T0.getTime() + HOUR));
  await declare('gamma2', ids.brands[2]!, new Date(T0.getTime() + HOUR + 60_000));

  const dovecot = inject('dovecot');
  await appendMessage(dovecot, user, 'INBOX', rawMail({
    from: 'Paul Lefèvre <paul@alpha.example>', to: user.address, subject: 'Re: Question sur les frais', inReplyTo: messageIds.alpha1, references: [messageIds.alpha1!],
    text: 'Bonjour Madame Bernard,\n\nMerci pour votre mesage. Malheuresement la tenue de compte coute 2 euros par mois.\n\nCordialement,\nPaul Lefèvre',
  }), new Date(T0.getTime() + 2 * HOUR));
  await appendMessage(dovecot, user, 'INBOX', hostileReplySource({
    pixelBase, from: 'Julie Martin <julie@alpha.example>', to: user.address, subject: 'Re: Question sur les frais', inReplyTo: messageIds.alpha2!,
    text: 'Bonjour Madame, la tenue de compte est gratuite.', date: new Date(T0.getTime() + 5 * HOUR),
  }).toString('utf8'), new Date(T0.getTime() + 5 * HOUR));
  await appendMessage(dovecot, user, 'INBOX', rawMail({
    from: 'Service client <service@beta.example>', to: user.address, subject: 'Re: Question sur les frais', inReplyTo: messageIds.beta1, references: [messageIds.beta1!],
    text: 'Bonjour, nos frais sont de 3 euros par mois. Bien à vous, Marc Petit',
  }), new Date(T0.getTime() + 30 * HOUR));
  await appendMessage(dovecot, user, 'INBOX', rawMail({
    from: 'Contact <contact@ailleurs.example>', to: user.address, subject: 'Votre dossier 4471',
    text: 'Bonjour, suite à votre demande, la tenue de compte est gratuite pour les moins de 25 ans. Cordialement, Léa Roux',
  }), new Date(T0.getTime() + 6 * HOUR));

  const { body } = await api('POST', `/v1/mailboxes/${mailbox}/sync`);
  const job = await q.queues['poll-mailbox'].getJob(body.jobId);
  expect((await job!.waitUntilFinished(pollEvents, 30_000)).status).toBe('done');
  const replyOf = async (key: string) => (await api('GET', `/v1/probes/${ids.probes[key]}`)).body.replies[0]?.id as string;
  ids.spellingReply = await replyOf('alpha1');
  ids.hostileReply = await replyOf('alpha2');
  ids.unmatched = (await api('GET', '/v1/messages?matched=false')).body.items[0].id;
  expect([ids.spellingReply, ids.hostileReply, ids.unmatched].every(Boolean)).toBe(true);
  await waitFor(async () => (await t.db.pool.query("select count(*)::int as n from analyses")).rows[0].n >= 3, 'the analyses of the three answers');

  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await closePdfRenderers();
  await workers?.close();
  await built?.close();
  await pollEvents?.close();
  await q?.close();
  await t?.close();
  await new Promise((resolve) => pixel?.close(resolve));
});

/** A browser context signed in with `key`, recording console errors and any request that leaves the service. */
async function signedIn(key: string, options: { bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'fr-FR', extraHTTPHeaders: { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' }, ...options });
  const page = await context.newPage();
  if (!options.bypassCSP) {
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  }
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith('data:')) outsideRequests.push(url);
  });
  await page.goto(`${base}/login`);
  await page.fill('#key', key);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
  return { context, page };
}

const metricOf = (row: Record<string, unknown>, metric: string): unknown => {
  const [name, sub] = metric.split('.');
  const value = row[name!];
  return sub === undefined ? value : (value as Record<string, unknown>)[sub];
};

describe('the dashboard in Chromium', () => {
  it('refuses a wrong key at the sign-in form', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#key', 'sonde_wrong');
    const [response] = await Promise.all([page.waitForResponse((r) => r.url() === `${base}/login` && r.request().method() === 'POST'), page.click('button[type="submit"]')]);
    expect(response.status()).toBe(401);
    await expect(page.locator('[role="alert"]').textContent()).resolves.toContain('inconnue ou révoquée');
    expect((await context.cookies()).some((c) => c.name === 'sonde_session')).toBe(false);
    await context.close();
  });

  it('shows a reader the figures of /v1/stats, one chart mark per brand, and no action', async () => {
    const { context, page } = await signedIn(readerKey);
    await expect(page.locator('h1').textContent()).resolves.toBe('Campagnes');
    await page.click('text=Baromètre 2026');
    await page.waitForURL(`${base}/campaigns/${ids.campaign}`);

    // SONDE_SCREENSHOT_DIR=docs takes the README's screenshot of this page
    if (process.env.SONDE_SCREENSHOT_DIR) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: `${process.env.SONDE_SCREENSHOT_DIR}/dashboard-campaign.png`, fullPage: true });
    }
    const stats = (await api('GET', `/v1/stats?campaignId=${ids.campaign}`)).body;
    const row = stats.rows[0] as Record<string, unknown>;
    expect(row.probes).toBe(6);
    const shown = await page.locator('dl.figures [data-metric]').evaluateAll((nodes) =>
      nodes.map((n) => ({ metric: n.getAttribute('data-metric')!, value: n.getAttribute('data-value')!, text: n.textContent!.trim() })),
    );
    expect(shown.length).toBeGreaterThanOrEqual(12);
    for (const figure of shown) {
      const expected = metricOf(row, figure.metric);
      expect(figure.value, figure.metric).toBe(expected === null ? 'null' : String(expected));
    }
    const fmt = createFormatter('fr', 'Europe/Paris');
    expect(shown.find((f) => f.metric === 'responseRate')!.text).toBe(fmt.percent(row.responseRate as number));
    expect(shown.find((f) => f.metric === 'delayP50Hours')!.text).toBe(fmt.hours(row.delayP50Hours as number));

    // one bar per brand in the response-rate chart, and the brands of the ranking
    const marks = await page.locator('svg [data-mark="brand-rate"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-brand-id')));
    expect(marks.sort()).toEqual([...ids.brands].sort());
    const ranking = (await api('GET', `/v1/campaigns/${ids.campaign}/ranking`)).body;
    for (const sector of ranking.sectors) {
      for (const brand of sector.ranking) {
        const cell = page.locator(`tr[data-brand-id="${brand.brandId}"] [data-metric="responseRate"]`);
        await expect(cell.getAttribute('data-value')).resolves.toBe(brand.responseRate === null ? 'null' : String(brand.responseRate));
      }
    }

    // the filters live in the URL: one sector only
    const energy = ranking.sectors.find((s: { sector: { name: string } }) => s.sector.name === 'Énergie').sector.id;
    await page.selectOption('select[name="sectorId"]', energy);
    await Promise.all([page.waitForURL(new RegExp(`sectorId=${energy}`)), page.click('form.filters button')]);
    const narrowed = (await api('GET', `/v1/stats?campaignId=${ids.campaign}&sectorId=${energy}`)).body.rows[0];
    await expect(page.locator('dl.figures [data-metric="probes"]').getAttribute('data-value')).resolves.toBe(String(narrowed.probes));
    await expect(page.locator('svg [data-mark="brand-rate"]').count()).resolves.toBe(1);

    // no action for a reader: no assign button, no override form
    await page.goto(`${base}/review`);
    await expect(page.locator(`[data-message-id="${ids.unmatched}"]`).count()).resolves.toBe(1);
    await expect(page.locator('form[action$="/assign"]').count()).resolves.toBe(0);
    await page.goto(`${base}/replies/${ids.spellingReply}`);
    await expect(page.locator('form[action$="/evaluation"]').count()).resolves.toBe(0);

    // a forged action: the page's own valid CSRF token, posted with the reader's session
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    const forged = await context.request.post(`${base}/review/${ids.unmatched}/assign`, { form: { _csrf: token, probeId: ids.probes.gamma1! }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await api('GET', `/v1/messages/${ids.unmatched}`)).body.probeId).toBeNull();

    // the report and its PDF, read with the session cookie
    await page.goto(`${base}/campaigns/${ids.campaign}`);
    await Promise.all([page.waitForURL(`${base}/campaigns/${ids.campaign}/report`), page.click('a:has-text("Rapport (HTML)")')]);
    await expect(page.locator('body').textContent()).resolves.toContain('Énergie Gamma');
    const pdf = await context.request.get(`${base}/campaigns/${ids.campaign}/report?format=pdf&brandId=${ids.brands[0]}`);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

    await page.goto(`${base}/mailboxes`);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await page.goto(`${base}/campaigns/${ids.campaign}/brands/${ids.brands[0]}`);
    await expect(page.locator('[data-probe-id]').count()).resolves.toBe(2);
    await context.close();
  });

  it('lets an auditor assign a message from the review queue, and the outcome changes', async () => {
    const { context, page } = await signedIn(auditorKey);
    expect((await api('GET', `/v1/probes/${ids.probes.gamma1}`)).body.outcome.answeredAt).toBeNull();
    await page.goto(`${base}/review`);
    const candidate = page.locator(`[data-message-id="${ids.unmatched}"] li[data-probe-id="${ids.probes.gamma1}"]`);
    await expect(candidate.count()).resolves.toBe(1);
    await Promise.all([page.waitForURL(`${base}/review?assigned=1`), candidate.locator('button').click()]);
    await expect(page.locator('[role="status"]').textContent()).resolves.toContain('Message rattaché');
    await expect(page.locator(`[data-message-id="${ids.unmatched}"]`).count()).resolves.toBe(0);
    const outcome = (await api('GET', `/v1/probes/${ids.probes.gamma1}`)).body.outcome;
    expect(outcome.answeredAt).not.toBeNull();
    expect(outcome.delayHours).toBe(5);
    expect((await api('GET', `/v1/messages/${ids.unmatched}`)).body.match).toMatchObject({ rule: 'manual', evidence: { by: 'Auditeur' } });
    await context.close();
  });

  it("lets an auditor override a criterion: the note shown follows, the automatic value stays beside it", async () => {
    const { context, page } = await signedIn(auditorKey);
    await page.goto(`${base}/replies/${ids.spellingReply}`);
    await expect(page.locator('mark.spelling').count()).resolves.toBeGreaterThanOrEqual(1);
    const noteBefore = await page.locator('dl.figures [data-metric="note"]').getAttribute('data-value');
    const automatic = Number((await page.locator('tr[data-criterion="signature"] td').first().textContent())!.replace(',', '.'));
    const value = automatic >= 10 ? '0' : '20';
    await page.fill('input[name="value.signature"]', value);
    await page.fill('input[name="comment.signature"]', 'signature vérifiée à la main');
    await Promise.all([page.waitForURL(/saved=1/), page.click('form[action$="/evaluation"] button[type="submit"]')]);
    const noteAfter = await page.locator('dl.figures [data-metric="note"]').getAttribute('data-value');
    expect(noteAfter).not.toBe(noteBefore);
    const api1 = (await api('GET', `/v1/replies/${ids.spellingReply}`)).body;
    expect(noteAfter).toBe(String(Math.round(api1.score.note * 100) / 100));
    expect(api1.evaluation.signature).toMatchObject({ value: Number(value), comment: 'signature vérifiée à la main', author: 'Auditeur' });
    await expect(page.locator('tr[data-criterion="signature"] .override').textContent()).resolves.toContain('corrigée par Auditeur');
    await context.close();
  });

  it('shows a hostile reply in a sandboxed frame that runs nothing and fetches nothing', async () => {
    const { context, page } = await signedIn(readerKey);
    pixelHits = [];
    await page.goto(`${base}/replies/${ids.hostileReply}`);
    const frameElement = page.locator('iframe.mail');
    await expect(frameElement.getAttribute('sandbox')).resolves.toBe('');
    const frame = (await frameElement.elementHandle())!.contentFrame();
    const mail = (await frame)!;
    await mail.waitForLoadState('load');
    await expect(mail.locator('body').textContent()).resolves.toContain('la tenue de compte est gratuite');
    await expect(mail.locator('body').textContent()).resolves.toContain(new URL(pixelBase).host);
    await expect(mail.locator('script, iframe, object, form, [onerror], [onload], [onclick], [srcset]').count()).resolves.toBe(0);
    await expect(mail.title()).resolves.not.toBe('pwned');
    const logo = await mail.locator('img[alt="Logo de la marque"]').getAttribute('src');
    expect(logo).toMatch(/^data:image\/png;base64,/);
    const mailResponse = await context.request.get(`${base}/messages/${ids.hostileReply}/mail`);
    expect(mailResponse.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(await mailResponse.text()).not.toMatch(/<script|onerror|onload|url\(/i);
    await page.waitForTimeout(500);
    expect(pixelHits).toEqual([]);
    expect(outsideRequests).toEqual([]);
    await context.close();
  });

  it('logs no console error on any page, and axe-core finds no serious or critical violation', async () => {
    const pages = [
      '/',
      `/campaigns/${ids.campaign}`,
      `/campaigns/${ids.campaign}/brands/${ids.brands[0]}`,
      `/campaigns/${ids.campaign}/brands/${ids.brands[2]}`,
      `/replies/${ids.spellingReply}`,
      `/replies/${ids.hostileReply}`,
      `/campaigns/${ids.campaign}/report?brandId=${ids.brands[0]}`,
      '/review',
      '/mailboxes',
      `/arbitrations?campaignId=${ids.campaign}`,
    ];
    const { context, page } = await signedIn(auditorKey);
    for (const path of pages) {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status(), path).toBe(200);
    }
    await context.close();

    // axe's script needs the CSP lifted: a context of its own, which the console check leaves out
    const audited = await signedIn(auditorKey, { bypassCSP: true });
    for (const path of [...pages, '/login']) {
      if (path === '/login') await audited.context.clearCookies();
      await audited.page.goto(`${base}${path}`);
      await audited.page.addScriptTag({ path: AXE });
      const violations = await audited.page.evaluate(async () => {
        const axe = (globalThis as unknown as { axe: { run(context?: unknown, options?: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: unknown[] }> }> } }).axe;
        const result = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
      });
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), path).toEqual([]);
    }
    await audited.context.close();

    expect(consoleErrors.join('\n')).toBe('');
    expect(outsideRequests).toEqual([]);
    expect(pixelHits).toEqual([]);
  });
});
