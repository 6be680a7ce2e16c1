/**
 * The campaign report: HTML and PDF from the real database, the figures of /v1/stats and the
 * ranking, every probe with its evidence, DKIM verdicts verified at analysis, the raw .eml,
 * and a hostile reply whose tracking pixel, served by a local server that counts its hits,
 * is never fetched: not by Chromium showing the HTML page (scripts enabled), nor by the PDF
 * renderer.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/db/api-keys.repo.ts';
import type { DkimResolver } from '../../src/mail/dkim.ts';
import { createFormatter } from '../../src/web/format.ts';
import { PdfRenderer, closePdfRenderers } from '../../src/web/pdf.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { hostileReplySource } from '../support/hostile-mail.ts';
import { HOUR, rawMail } from '../support/mail-factory.ts';
import { insertCampaignWorld, insertSentProbe, storeReply } from '../support/report-fixture.ts';

const CHROMIUM = process.env.SONDE_CHROMIUM_PATH ?? '/usr/bin/chromium';
const C = 'd2000000-0000-4000-8000-000000000001';
const SA = 'a2000000-0000-4000-8000-000000000001';
const SB = 'a2000000-0000-4000-8000-000000000002';
const BA = 'b2000000-0000-4000-8000-000000000001';
const BB = 'b2000000-0000-4000-8000-000000000002';
const BC = 'b2000000-0000-4000-8000-000000000003';
const M = 'c2000000-0000-4000-8000-000000000001';
const SC = 'e2000000-0000-4000-8000-000000000001';
const P = (n: number) => `f2000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const T0 = new Date('2026-03-03T08:00:00Z');

let t: TestContext;
let readerKey: string;
let pixel: { server: Server; base: string; hits: string[] };
const ids = { signed: "", hostile: "", tampered: "" };

/** The brand's DKIM key, its public half served by the test's resolver. */
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const resolver: DkimResolver = async (name) => {
  if (name === 'mail._domainkey.alpha-banque.test') return [[`v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`]];
  throw Object.assign(new Error(`no TXT record ${name}`), { code: 'ENOTFOUND' });
};
async function signed(message: string): Promise<string> {
  const result = await dkimSign(message, {
    canonicalization: 'relaxed/relaxed',
    signatureData: [{ signingDomain: 'alpha-banque.test', selector: 'mail', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }],
  } as never);
  return result.signatures + message;
}

const get = (url: string, headers: Record<string, string> = { authorization: `Bearer ${readerKey}` }) => t.app.inject({ method: 'GET', url, headers });
/** Text with every run of white space (no-break spaces included) as one space. */
const squash = (text: string) => text.replace(/[\s\u00a0\u202f]+/g, ' ');

beforeAll(async () => {
  t = await createTestContext();
  readerKey = (await createApiKey(t.db.pool, { label: 'lecteur', role: 'reader' })).key;
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/gif' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pixel = { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };

  const db = t.db.pool;
  await insertCampaignWorld(db, {
    campaignId: C,
    sectors: [{ id: SA, name: 'Banque' }, { id: SB, name: 'Énergie' }],
    brands: [
      { id: BA, name: 'Alpha Banque', sectorId: SA, domain: 'alpha-banque.test' },
      { id: BB, name: 'Beta Crédit', sectorId: SA, domain: 'beta-credit.test' },
      { id: BC, name: 'Gamma Énergie', sectorId: SB, domain: 'gamma.test' },
    ],
    mailboxId: M,
    scenarioId: SC,
  });
  const probes = [
    { n: 1, brandId: BA, subject: 'Retard de livraison n° 4521', recipient: 'contact@alpha-banque.test' },
    { n: 2, brandId: BA, subject: 'Carte bancaire non reçue', recipient: 'contact@alpha-banque.test' },
    { n: 3, brandId: BA, subject: 'Question sur mon relevé', recipient: 'contact@alpha-banque.test' },
    { n: 4, brandId: BB, subject: 'Ouverture de compte joint', recipient: 'sav@beta-credit.test' },
    { n: 5, brandId: BB, subject: 'Frais de tenue de compte', recipient: 'sav@beta-credit.test' },
    { n: 6, brandId: BC, subject: 'Changement de fournisseur', recipient: 'clients@gamma.test' },
  ];
  for (const p of probes) {
    await insertSentProbe(db, { id: P(p.n), campaignId: C, brandId: p.brandId, mailboxId: M, scenarioId: SC, subject: p.subject, recipient: p.recipient, sentAt: new Date(T0.getTime() + p.n * HOUR), messageId: `probe-${p.n}@sonde.test` });
  }
  const reply = (n: number, from: string, text: string, hours: number) =>
    rawMail({ from, to: 'marie.dupont@test.example', subject: `Re: ${probes[n - 1]!.subject}`, inReplyTo: `probe-${n}@sonde.test`, text, date: new Date(T0.getTime() + (n + hours) * HOUR), headers: { Received: 'from mta.alpha-banque.test by mx.test.example; Tue, 3 Mar 2026 11:00:00 +0000' } });
  // p1: a signed answer with a spelling error, 2 h later
  ids.signed = await storeReply(db, {
    mailboxId: M, probeId: P(1), receivedAt: new Date(T0.getTime() + 3 * HOUR), kind: 'answer', dkim: { resolver },
    source: Buffer.from(await signed(reply(1, 'Julie Martin <julie.martin@alpha-banque.test>', 'Bonjour Madame Dupont,\r\n\r\nMerci pour votre message. Malheuresement votre colis est en retard, la livraison est prévue jeudi.\r\n\r\nCordialement,\r\nJulie Martin\r\n', 2))),
  });
  // p2: the hostile answer, 30 h later
  ids.hostile = await storeReply(db, {
    mailboxId: M, probeId: P(2), receivedAt: new Date(T0.getTime() + 32 * HOUR), kind: 'answer', dkim: { resolver },
    source: hostileReplySource({ pixelBase: pixel.base, from: 'Alpha Banque <service@alpha-banque.test>', to: 'marie.dupont@test.example', subject: 'Re: Carte bancaire non reçue', inReplyTo: 'probe-2@sonde.test', text: 'Bonjour Madame Dupont, votre carte est partie ce matin par la poste.' }),
  });
  // p3: unanswered. p4: an acknowledgement, then an answer signed and altered on the way
  await storeReply(db, {
    mailboxId: M, probeId: P(4), receivedAt: new Date(T0.getTime() + 4.1 * HOUR), kind: 'acknowledgement',
    source: Buffer.from(rawMail({ from: 'noreply@beta-credit.test', to: 'marie.dupont@test.example', subject: 'Accusé de réception', text: 'Nous avons bien reçu votre demande.', headers: { 'Auto-Submitted': 'auto-replied' } })),
  });
  const tampered = (await signed(reply(4, 'Paul Durand <paul@alpha-banque.test>', 'Bonjour Madame,\r\n\r\nVotre compte joint peut être ouvert en agence.\r\n\r\nBien cordialement,\r\nPaul Durand\r\n', 5))).replace('en agence', 'en ligne');
  ids.tampered = await storeReply(db, { mailboxId: M, probeId: P(4), receivedAt: new Date(T0.getTime() + 9 * HOUR), kind: 'answer', dkim: { resolver }, source: Buffer.from(tampered) });
  // p6: an answer in another sector
  await storeReply(db, {
    mailboxId: M, probeId: P(6), receivedAt: new Date(T0.getTime() + 7 * HOUR), kind: 'answer', dkim: { resolver },
    source: Buffer.from(reply(6, 'Service Gamma <clients@gamma.test>', 'Bonjour Madame Dupont,\r\n\r\nMerci, le changement de fournisseur se fait en ligne.\r\n\r\nCordialement,\r\nLéa Petit\r\n', 1)),
  });
  // an auditor's override on the signed answer
  const put = await t.app.inject({ method: 'PUT', url: `/v1/replies/${ids.signed}/evaluation`, headers: t.auth(), payload: { criteria: { spelling: { value: 5, comment: 'faute visible dès la deuxième ligne' } } } });
  expect(put.statusCode, put.body).toBe(200);
}, 120_000);

afterAll(async () => {
  await closePdfRenderers();
  await new Promise((resolve) => pixel?.server.close(resolve));
  await t?.close();
});

describe('GET /v1/campaigns/:id/report', () => {
  it('needs a key, and says what to fix for a bad campaign or brand', async () => {
    expect((await get(`/v1/campaigns/${C}/report`, {})).statusCode).toBe(401);
    const missing = await get('/v1/campaigns/d2000000-0000-4000-8000-00000000ffff/report');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().detail).toContain('campaign d2000000-0000-4000-8000-00000000ffff does not exist');
    const outside = await get(`/v1/campaigns/${C}/report?brandId=b2000000-0000-4000-8000-00000000ffff`);
    expect(outside.statusCode).toBe(404);
    expect(outside.json().detail).toContain('Alpha Banque');
    const malformed = await get(`/v1/campaigns/${C}/report?brandId=alpha`);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
    expect((await get(`/v1/campaigns/${C}/report?lang=de`)).statusCode).toBe(400);
    const openapi = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(openapi.paths['/v1/campaigns/{id}/report'].get.responses['200'].content)).toEqual(['text/html', 'application/pdf']);
    expect(openapi.paths['/v1/messages/{id}/raw'].get).toBeDefined();
  });

  it('serves a self-contained French page to a reader, with the figures of /v1/stats and the ranking', async () => {
    const res = await get(`/v1/campaigns/${C}/report`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; img-src data:; style-src 'unsafe-inline'");
    const page = res.body;
    expect(page).not.toMatch(/<script|<link|https?:\/\/(?!127\.0\.0\.1)[^"\s]*\.(css|js)/i);
    expect(page).toContain('Rapport de campagne — Baromètre printemps 2026');
    const f = createFormatter('fr', 'Europe/Paris');

    const overall = (await get(`/v1/stats?campaignId=${C}`)).json().rows[0];
    const headline = squash(page.slice(page.indexOf('class="headline-figures"'), page.indexOf('class="ranking"')));
    expect(overall.probes).toBe(6);
    for (const value of [f.percent(overall.responseRate), f.percent(overall.responseRateAfterReminder), f.hours(overall.delayP50Hours), f.hours(overall.delayP90Hours), f.percent(overall.ackRate), f.note(overall.scoreMean)]) {
      expect(headline).toContain(squash(value));
    }

    const byBrand = (await get(`/v1/stats?campaignId=${C}&groupBy=brand`)).json().rows as Array<Record<string, never> & { group: { key: string; label: string } }>;
    for (const row of byBrand) {
      const start = page.indexOf(`<section class="brand" id="brand-${row.group.key}"`);
      expect(start, row.group.label).toBeGreaterThan(0);
      const section = squash(page.slice(start, page.indexOf('</section>', start)));
      expect(section).toContain(squash(`Marque : ${row.group.label}`));
      for (const value of [f.percent(row.responseRate), f.percent(row.responseRateAfterReminder), f.hours(row.delayP50Hours), f.note(row.scoreMean)]) expect(section).toContain(squash(value));
    }

    const ranking = (await get(`/v1/campaigns/${C}/ranking`)).json();
    const rankingPart = squash(page.slice(page.indexOf('class="ranking"'), page.indexOf('class="charts"')));
    for (const sector of ranking.sectors) {
      expect(rankingPart).toContain(sector.sector.name);
      expect(rankingPart).toContain(squash(f.note(sector.scoreMean)));
      expect(rankingPart).toContain(sector.leader.name);
    }

    // every probe, in order, the unanswered one listed as such
    for (const subject of ['Retard de livraison n° 4521', 'Carte bancaire non reçue', 'Question sur mon relevé', 'Ouverture de compte joint', 'Frais de tenue de compte', 'Changement de fournisseur']) {
      expect(page).toContain(subject);
    }
    expect(page.indexOf('Retard de livraison n° 4521')).toBeLessThan(page.indexOf('Carte bancaire non reçue'));
    const p3 = page.slice(page.indexOf(`data-probe-id="${P(3)}"`));
    expect(p3.slice(0, p3.indexOf('</article>'))).toContain('Sans réponse');
    // the charts: one bar per brand
    expect(page.match(/data-mark="brand-rate"/g)).toHaveLength(3);
    // spelling marked on the word, the override beside the automatic value
    expect(page).toMatch(/<mark class="spelling"[^>]*>Malheuresement<\/mark>/);
    expect(page).toContain('faute visible dès la deuxième ligne');
    // the method states the weights and the analyser version
    expect(page).toMatch(/Poids des critères de qualité d’accueil/);
    expect(page).toMatch(/Version de l’analyseur<\/dt><dd>\d+\.\d+\.\d+/);
  });

  it('carries the proof of each reply: SHA-256 of the .eml served, DKIM verdicts, times', async () => {
    const page = (await get(`/v1/campaigns/${C}/report`)).body;
    const raw = await get(`/v1/messages/${ids.signed}/raw`);
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-type']).toBe('message/rfc822');
    expect(raw.headers['content-disposition']).toMatch(/^attachment; filename="message-[0-9a-f-]+\.eml"/);
    const sha = createHash('sha256').update(raw.rawPayload).digest('hex');
    expect(raw.headers['x-sonde-sha256']).toBe(sha);
    const proof = (id: string) => {
      const at = page.indexOf(`data-reply-id="${id}"`);
      return squash(page.slice(at, page.indexOf('</dl>', at)));
    };
    expect(proof(ids.signed)).toContain(sha);
    expect(proof(ids.signed)).toContain('valide, signée par alpha-banque.test');
    expect(proof(ids.tampered)).toContain('invalide, signée par alpha-banque.test');
    expect(proof(ids.signed)).toContain('from mta.alpha-banque.test by mx.test.example');
    expect(proof(ids.signed)).toContain('3 mars 2026, 12:00:00 (UTC+01:00)');
    const stored = await t.db.pool.query('select message_id, status, domain from message_dkim order by status');
    expect(stored.rows.map((r) => [r.message_id, r.status, r.domain])).toEqual(
      expect.arrayContaining([[ids.signed, 'pass', 'alpha-banque.test'], [ids.tampered, 'fail', 'alpha-banque.test']]),
    );
    expect((await get(`/v1/messages/${ids.signed}/raw`, {})).statusCode).toBe(401);
  });

  it('narrows to a brand, and speaks English when asked', async () => {
    const pack = (await get(`/v1/campaigns/${C}/report?brandId=${BB}`)).body;
    expect(pack).toContain('Dossier de preuves — Beta Crédit');
    expect(pack).toContain('Ouverture de compte joint');
    expect(pack).not.toContain('Alpha Banque');
    expect(pack).not.toContain('Carte bancaire non reçue');
    expect(pack).not.toContain('Classement par secteur');

    const en = await get(`/v1/campaigns/${C}/report?lang=en`);
    expect(en.headers['content-language']).toBe('en');
    expect(en.body).toContain('Campaign report — Baromètre printemps 2026');
    expect(en.body).toContain('Ranking by sector');
    expect(en.body).not.toContain('Classement par secteur');
    const overall = (await get(`/v1/stats?campaignId=${C}`)).json().rows[0];
    expect(squash(en.body)).toContain(createFormatter('en', 'Europe/Paris').percent(overall.responseRateAfterReminder));
  });

  it('never fetches a remote resource of a hostile reply, in Chromium or in the PDF, whose text holds the brands, probes and figures', async () => {
    // the pixel server counts: a direct fetch is seen
    await fetch(`${pixel.base}/control`);
    expect(pixel.hits).toEqual(['/control']);
    pixel.hits.length = 0;

    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${readerKey}` } });
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      const response = await page.goto(`${url}/v1/campaigns/${C}/report?brandId=${BA}`, { waitUntil: 'networkidle' });
      expect(response?.status()).toBe(200);
      expect(await page.locator('[data-reply-id] .mail-view').count()).toBe(2);
      expect(await page.locator('[data-mark="brand-rate"]').count()).toBe(0);
      expect(await page.textContent(`[data-reply-id="${ids.hostile}"] .mail-view`)).toContain('votre carte est partie ce matin');
      expect(await page.locator('.sonde-remote-image').first().textContent()).toContain('image distante bloquée (127.0.0.1');
      expect(await page.locator('script, iframe, object, form, link').count()).toBe(0);
      expect(await page.title()).not.toBe('pwned');
      await page.waitForTimeout(300);
      expect(requests).toEqual([`${url}/v1/campaigns/${C}/report?brandId=${BA}`]);
    } finally {
      await browser.close();
    }
    expect(pixel.hits).toEqual([]);

    const pdf = await get(`/v1/campaigns/${C}/report?format=pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const viaAccept = await get(`/v1/campaigns/${C}/report?brandId=${BC}`, { authorization: `Bearer ${readerKey}`, accept: 'application/pdf' });
    expect(viaAccept.headers['content-type']).toBe('application/pdf');
    // the brand's evidence pack prints the hostile message itself, sanitised
    const pack = await get(`/v1/campaigns/${C}/report?brandId=${BA}&format=pdf`);
    expect(pack.statusCode).toBe(200);
    expect(pixel.hits).toEqual([]);
    const packDir = mkdtempSync(join(tmpdir(), 'sonde-pack-'));
    writeFileSync(join(packDir, 'pack.pdf'), pack.rawPayload);
    const packText = squash(execFileSync('pdftotext', [join(packDir, 'pack.pdf'), '-'], { encoding: 'utf8' }));
    expect(packText).toContain('votre carte est partie ce matin par la poste');
    expect(packText).toContain('image distante bloquée (127.0.0.1');

    // and the renderer itself refuses what a page asks for, even unsanitised
    const renderer = new PdfRenderer(CHROMIUM);
    try {
      const raw = await renderer.render(`<!doctype html><html><body><p>brut</p><img src="${pixel.base}/raw.gif"><link rel="stylesheet" href="${pixel.base}/raw.css"></body></html>`, { title: 'brut' });
      expect(raw.pages).toBe(1);
      expect(renderer.blockedRequests).toBeGreaterThanOrEqual(1);
    } finally {
      await renderer.close();
    }
    expect(pixel.hits).toEqual([]);

    const dir = mkdtempSync(join(tmpdir(), 'sonde-report-'));
    writeFileSync(join(dir, 'report.pdf'), pdf.rawPayload);
    const text = squash(execFileSync('pdftotext', ['-layout', join(dir, 'report.pdf'), '-'], { encoding: 'utf8' }));
    const f = createFormatter('fr', 'Europe/Paris');
    for (const name of ['Alpha Banque', 'Beta Crédit', 'Gamma Énergie', 'Retard de livraison n° 4521', 'Frais de tenue de compte', 'Baromètre printemps 2026']) expect(text).toContain(name);
    const byBrand = (await get(`/v1/stats?campaignId=${C}&groupBy=brand`)).json().rows;
    for (const row of byBrand) expect(text).toContain(squash(f.percent(row.responseRateAfterReminder)));
    expect(text).toMatch(/Page 1 sur \d+/);
    const pages = Number(/Page 1 sur (\d+)/.exec(text)![1]);
    expect(pages).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
