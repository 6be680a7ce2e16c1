/**
 * Benchmark of the campaign report: `npm run bench:report -- [--brands 12] [--probes 50] [--rounds 3] [--seed 1]`.
 *
 * In a throwaway database (`sonde_bench_report_<random>`, dropped at the end), a campaign of
 * `--brands` brands × `--probes` probes, each brand answering as `lib/mailbox-corpus.ts`
 * writes brand mail (branded HTML of about 8 KB, acknowledgements, several replies to some
 * probes, no reply to others); every reply stored from its raw source, its outcome recomputed
 * and analysed by the analysis job, as the service does. Then the whole report is built,
 * from the database to the document, `--rounds` times in HTML and in PDF (Chromium launched
 * once before the first timed PDF, whose launch is shown apart). Prints a table, then one
 * JSON line, last. `--out FILE` keeps the PDF, `--html-out FILE` the HTML.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { closePdfRenderers, sharedPdfRenderer } from '../src/web/pdf.ts';
import { buildReport } from '../src/web/report.ts';
import { databaseUrl, dropDatabase } from '../test/support/database.ts';
import { insertSentProbe, storeReply } from '../test/support/report-fixture.ts';
import { generateReplies, planProbes } from './lib/mailbox-corpus.ts';

const { values } = parseArgs({
  options: {
    brands: { type: 'string', default: '12' },
    probes: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    'html-out': { type: 'string' },
  },
});
const brandCount = Number(values.brands);
const probesPerBrand = Number(values.probes);
const rounds = Number(values.rounds);
const seed = Number(values.seed);
for (const [name, value] of Object.entries({ brands: brandCount, probes: probesPerBrand, rounds })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1`);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const name = `sonde_bench_report_${randomBytes(4).toString('hex')}`;
const url = databaseUrl(name);
let dropped = false;
const cleanup = async () => {
  if (dropped) return;
  dropped = true;
  await closePdfRenderers();
  await dropDatabase(name);
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

await migrate(url);
const pool = createPool(url, 8);
const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor((samples.length - 1) / 2)] as number;
try {
  const setupStarted = performance.now();
  const campaignId = randomUUID();
  const scenarioId = randomUUID();
  const { rows: personas } = await pool.query<{ id: string }>(`insert into personas (first_name, last_name, gender) values ('Marie', 'Dupont', 'female') returning id`);
  const mailboxId = randomUUID();
  const persona = { firstName: 'Marie', lastName: 'Dupont', address: 'marie.dupont@boite-test.fr' };
  await pool.query(
    `insert into mailboxes (id, label, address, persona_id, imap_host, imap_port, imap_user, imap_password_enc)
     values ($1, 'Marie', $2, $3, 'imap.test.example', 993, 'marie', 'sealed')`,
    [mailboxId, persona.address, personas[0]!.id],
  );
  await pool.query(`insert into scenarios (id, name, language, subject, body, expected_points) values ($1, 'Commande', 'fr', 'Ma commande', 'Bonjour', $2)`, [
    scenarioId,
    JSON.stringify([{ label: 'délai', keywords: ['livraison', 'délai'] }, { label: 'suivi', keywords: ['suivi', 'colis'] }]),
  ]);
  const start = new Date(Date.UTC(2026, 0, 5, 8));
  await pool.query(
    `insert into campaigns (id, name, status, starts_at, ends_at, norms, probes_per_brand) values ($1, 'Baromètre du service client 2026', 'running', $2, $3, '{4,24}', $4)`,
    [campaignId, start, new Date(start.getTime() + 70 * 24 * 3600_000), probesPerBrand],
  );
  await pool.query('insert into campaign_scenarios values ($1, $2)', [campaignId, scenarioId]);
  await pool.query('insert into campaign_mailboxes values ($1, $2)', [campaignId, mailboxId]);
  const sectors = ['Banque', 'Énergie', 'Commerce en ligne', 'Télécoms'];
  const sectorIds: string[] = [];
  for (const sector of sectors) sectorIds.push((await pool.query<{ id: string }>('insert into sectors (name) values ($1) returning id', [sector])).rows[0]!.id);

  let stored = 0;
  for (let b = 0; b < brandCount; b++) {
    const brand = { name: `Marque ${String.fromCharCode(65 + (b % 26))}${b >= 26 ? b : ''}`, domain: `marque-${b}.fr`, helpdeskDomain: `marque-${b}.zendesk.com`, contactAddress: `service.client@marque-${b}.fr` };
    const brandId = (
      await pool.query<{ id: string }>('insert into brands (sector_id, name, sender_domains) values ($1, $2, $3) returning id', [sectorIds[b % sectorIds.length], brand.name, [brand.domain, brand.helpdeskDomain]])
    ).rows[0]!.id;
    await pool.query('insert into campaign_brands values ($1, $2)', [campaignId, brandId]);
    const probes = planProbes(probesPerBrand, seed + b, start, persona);
    const probeIds: string[] = [];
    for (const probe of probes) {
      const id = randomUUID();
      probeIds.push(id);
      await insertSentProbe(pool, { id, campaignId, brandId, mailboxId, scenarioId, subject: probe.subject, recipient: brand.contactAddress, sentAt: probe.sentAt, messageId: probe.messageId });
    }
    const replies = generateReplies({ count: probesPerBrand, seed: seed * 1000 + b, brand, persona, probes }).filter((r) => r.probeIndex !== null);
    const answered = new Set<number>();
    for (const reply of replies) {
      const probeIndex = reply.probeIndex as number;
      const kind = reply.kind === 'acknowledgement' ? 'acknowledgement' : answered.has(probeIndex) ? 'follow_up' : 'answer';
      if (kind === 'answer') answered.add(probeIndex);
      await storeReply(pool, { mailboxId, probeId: probeIds[probeIndex]!, source: reply.raw, receivedAt: reply.internalDate, kind, dkim: { timeoutMs: 500 } });
      stored++;
    }
    log(`  ${brand.name}: ${probesPerBrand} probes, ${replies.length} replies, ${answered.size} answered`);
  }
  const setupS = (performance.now() - setupStarted) / 1000;
  log(`campaign ready in ${setupS.toFixed(1)} s: ${brandCount} brands × ${probesPerBrand} probes, ${stored} replies stored and analysed`);

  const renderer = sharedPdfRenderer(process.env.SONDE_CHROMIUM_PATH ?? '/usr/bin/chromium');
  const htmlMs: number[] = [];
  let htmlBytes = 0;
  for (let round = 0; round < rounds + 1; round++) {
    const started = performance.now();
    const report = await buildReport(pool, { campaignId, format: 'html' });
    const ms = performance.now() - started;
    if (round > 0) htmlMs.push(ms);
    htmlBytes = report!.body.length;
    if (values['html-out']) await writeFile(values['html-out'], report!.body);
  }
  const coldStarted = performance.now();
  const cold = await buildReport(pool, { campaignId, format: 'pdf', pdfRenderer: renderer });
  const coldPdfMs = performance.now() - coldStarted;
  const pdfMs: number[] = [];
  let pages = cold!.pages ?? 0;
  let pdfBytes = cold!.body.length;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const report = await buildReport(pool, { campaignId, format: 'pdf', pdfRenderer: renderer });
    pdfMs.push(performance.now() - started);
    pages = report!.pages ?? 0;
    pdfBytes = report!.body.length;
  }
  if (values.out) await writeFile(values.out, cold!.body);
  const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  const reportHtmlMs = Math.round(median(htmlMs));
  const reportPdfMs = Math.round(median(pdfMs));

  console.log(`campaign report: ${brandCount} brands × ${probesPerBrand} probes, ${stored} replies; ${rounds} rounds, median`);
  console.log('');
  console.log(`${'what'.padEnd(34)}${'ms'.padStart(9)}${'size'.padStart(12)}`);
  console.log(`${'HTML (database to document)'.padEnd(34)}${String(reportHtmlMs).padStart(9)}${`${(htmlBytes / 2 ** 20).toFixed(1)} MB`.padStart(12)}`);
  console.log(`${'PDF, browser running'.padEnd(34)}${String(reportPdfMs).padStart(9)}${`${(pdfBytes / 2 ** 20).toFixed(1)} MB`.padStart(12)}`);
  console.log(`${'PDF, first (Chromium launch)'.padEnd(34)}${String(Math.round(coldPdfMs)).padStart(9)}`);
  console.log(`${'PDF pages'.padEnd(34)}${String(pages).padStart(9)}`);
  console.log(`${'resident memory'.padEnd(34)}${`${rssMb} MB`.padStart(9)}`);
  console.log(
    JSON.stringify({
      bench: 'report',
      brands: brandCount,
      probes: brandCount * probesPerBrand,
      replies: stored,
      reportHtmlMs,
      reportPdfMs,
      reportPdfColdMs: Math.round(coldPdfMs),
      reportPages: pages,
      reportPdfMb: Math.round((pdfBytes / 2 ** 20) * 10) / 10,
      rssMb,
    }),
  );
} finally {
  await pool.end();
  await cleanup();
}
