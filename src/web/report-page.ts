/**
 * The campaign report as one self-contained HTML document: styles inline, charts as inline
 * SVG, inline images as `data:` URIs, nothing to fetch. The same document prints to PDF.
 *
 * Order: title, method, headline figures, ranking by sector, charts, then one section per
 * brand (its evidence pack, see `report-brand.ts`). With a brand given, the document is that
 * brand's evidence pack: the method, the brand against its sector, its probes.
 */
import { ANALYSER_VERSION } from '../audit/analyse.ts';
import { DELAY_POINTS, WELCOME_WEIGHTS, type CriterionId } from '../audit/score.ts';
import type { CampaignReportData } from '../flow/campaign-report.ts';
import { presentMetrics } from '../flow/present-metrics.ts';
import { delayHistogramSvg, responseRateByBrandSvg, weeklySeriesSvg } from './charts.ts';
import { createFormatter, type Formatter } from './format.ts';
import { documentHtml, html, type Html } from './html.ts';
import { t, type Lang, type ReportMessages } from './i18n.ts';
import { brandSection } from './report-brand.ts';
import { figureLines, figuresTable, shownNote } from './report-figures.ts';
import { REPORT_CSS } from './report-styles.ts';
import { renderSafeMail, type SafeMail } from './mail-view.ts';

export interface ReportView {
  data: CampaignReportData;
  lang: Lang;
}

/** The report's language when the request names none: the campaign's scenarios', French first. */
export function defaultReportLang(data: Pick<CampaignReportData, 'scenarios'>): Lang {
  const english = data.scenarios.filter((s) => s.language.toLowerCase().startsWith('en')).length;
  return english > data.scenarios.length - english ? 'en' : 'fr';
}

/** The title a report carries (page header of the PDF too). */
export function reportTitle(data: CampaignReportData, lang: Lang): string {
  const msg = t(lang);
  const brand = data.brandId ? data.brands.find((b) => b.id === data.brandId) : null;
  return brand ? `${msg.evidencePackTitle} — ${brand.name} — ${data.campaign.name}` : `${msg.reportTitle} — ${data.campaign.name}`;
}

/**
 * Replies whose message the report shows as received: answers and follow-ups with their
 * source, in a brand's evidence pack (the whole campaign's report would run to a thousand
 * pages; it carries each reply's text, proof and .eml link instead).
 */
async function renderMails(data: CampaignReportData, msg: ReportMessages): Promise<Map<string, SafeMail>> {
  if (data.brandId === null) return new Map();
  const replies = data.evidence.flatMap((b) => b.probes.flatMap((p) => p.replies)).filter((r) => r.source && (r.kind === 'answer' || r.kind === 'follow_up'));
  const mails = new Map<string, SafeMail>();
  for (const reply of replies) mails.set(reply.id, await renderSafeMail(reply.source as Buffer, { remoteImageLabel: msg.remoteImageBlocked }));
  return mails;
}

export async function renderReportHtml(data: CampaignReportData, lang: Lang): Promise<string> {
  const msg = t(lang);
  const mails = await renderMails(data, msg);
  const f = createFormatter(lang, data.campaign.timezone);
  const narrowed = data.brandId !== null;
  const title = reportTitle(data, lang);
  const body = html`<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
  <h1>${title}</h1>
  <p class="subtitle">${msg.generatedAt(f.dateTime(data.generatedAt))} · ${f.date(data.campaign.startsAt)} – ${f.date(data.campaign.endsAt)}</p>
</header>
${methodSection(data, msg, f)}
${!narrowed && headlineSection(data, msg, f)}
${!narrowed && rankingSection(data, msg, f)}
${!narrowed && chartsSection(data, msg, f)}
${data.evidence.map((evidence) => brandSection(evidence, { msg, f, norms: data.stats.norms, narrowed, mails }))}
</body>
</html>`;
  return documentHtml(body);
}

function hoursOf(b: { days: number[]; from: string; to: string }, lang: Lang): string {
  const names = lang === 'fr' ? ['lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.', 'dim.'] : ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  return `${b.days.map((d) => names[d - 1] ?? String(d)).join(', ')} ${b.from}–${b.to}`;
}

function methodSection(data: CampaignReportData, msg: ReportMessages, f: Formatter): Html {
  const c = data.campaign;
  const versions = data.analyserVersions.length > 0 ? data.analyserVersions.join(', ') : ANALYSER_VERSION;
  return html`<section class="method">
  <h2>${msg.method}</h2>
  <dl class="facts">
    <dt>${msg.period}</dt><dd>${f.dateTime(c.startsAt)} – ${f.dateTime(c.endsAt)}</dd>
    <dt>${msg.timezone}</dt><dd>${c.timezone}</dd>
    <dt>${msg.status}</dt><dd>${c.status}${c.closedAt ? ` (${f.dateTime(c.closedAt)})` : ''}</dd>
    <dt>${msg.brands}</dt><dd>${f.number(data.brands.length)}</dd>
    <dt>${msg.probesPerBrand}</dt><dd>${f.number(c.probesPerBrand)}</dd>
    <dt>${msg.scenarios}</dt><dd><ul class="compact">${data.scenarios.map((s) => html`<li>${s.name} (${msg.scenarioLanguage} ${s.language}) — « ${s.subject} »</li>`)}</ul></dd>
    <dt>${msg.mailboxes}</dt><dd>${data.mailboxes.map((m) => `${m.persona} <${m.address}>`).join(', ')}</dd>
    <dt>${msg.norms}</dt><dd>${c.norms.map((n) => f.hours(n)).join(', ')}</dd>
    <dt>${msg.businessHours}</dt><dd>${hoursOf(c.businessHours, f.lang)}</dd>
    <dt>${msg.reminders}</dt><dd>${c.reminder.max > 0 ? msg.reminderPolicy(f.hours(c.reminder.afterHours), c.reminder.max) : msg.noReminder}</dd>
    <dt>${msg.noteFormula}</dt><dd>${msg.noteFormulaText}</dd>
    <dt>${msg.delayPoints}</dt><dd>≤ n1: ${DELAY_POINTS.withinFirstNorm}, ≤ n2: ${DELAY_POINTS.withinSecondNorm}, ≤ 2 × n2: ${DELAY_POINTS.withinTwiceSecondNorm}, &gt; 2 × n2: ${DELAY_POINTS.later}, ${msg.unanswered.toLowerCase()}: ${DELAY_POINTS.never}</dd>
    <dt>${msg.welcomeWeights}</dt><dd>${Object.entries(WELCOME_WEIGHTS)
      .map(([id, weight]) => `${msg.criteria[id as CriterionId] ?? id} × ${f.number(weight, weight % 1 === 0 ? 0 : 1)}`)
      .join(' · ')}</dd>
    <dt>${msg.analyserVersion}</dt><dd>${versions}</dd>
  </dl>
</section>`;
}

function headlineSection(data: CampaignReportData, msg: ReportMessages, f: Formatter): Html {
  const m = presentMetrics(data.stats.overall);
  const firstNorm = data.stats.norms[0];
  const tiles: Array<[string, string]> = [
    [msg.probes, f.number(m.probes)],
    [msg.responseRate, f.percent(m.responseRate)],
    [msg.responseRateAfterReminder, f.percent(m.responseRateAfterReminder)],
    ...(firstNorm !== undefined ? [[msg.normWithin(f.hours(firstNorm)), f.percent(m.withinNorm[String(firstNorm)] ?? null)] as [string, string]] : []),
    [msg.delayP50, f.hours(m.delayP50Hours)],
    [msg.delayP90, f.hours(m.delayP90Hours)],
    [msg.ackRate, f.percent(m.ackRate)],
    [msg.scoreMean, f.note(m.scoreMean)],
  ];
  return html`<section class="headline-figures">
  <h2>${msg.headline}</h2>
  <div class="headline">${tiles.map(([label, value]) => html`<div><span class="value">${value}</span><span class="label">${label}</span></div>`)}</div>
  ${figuresTable(figureLines(msg, f, data.stats.norms), [{ title: data.campaign.name, metrics: data.stats.overall }], msg.figure)}
</section>`;
}

function rankingSection(data: CampaignReportData, msg: ReportMessages, f: Formatter): Html {
  const sectors = data.ranking.sectors;
  return html`<section class="ranking">
  <h2>${msg.ranking}</h2>
  ${sectors.length === 0 && html`<p class="muted">${msg.noRanking}</p>`}
  ${sectors.map(
    (s) => html`<div class="ranking-sector">
    <h3>${s.sector.name}</h3>
    <p>${msg.sectorMean}: <strong>${f.note(shownNote(s.scoreMean))}</strong> · ${msg.leader}: <strong>${s.leader ? `${s.leader.brand.name} (${f.note(shownNote(s.leader.metrics.scoreMean))})` : '—'}</strong></p>
    <table>
      <thead><tr><th class="num">${msg.rank}</th><th>${msg.brand}</th><th class="num">${msg.scoreMean}</th><th class="num">${msg.probes}</th><th class="num">${msg.responseRate}</th><th class="num">${msg.responseRateAfterReminder}</th><th class="num">${msg.delayP50}</th></tr></thead>
      <tbody>${s.ranking.map((r) => {
        const m = presentMetrics(r.metrics);
        return html`<tr data-brand-id="${r.brand.id}"><td class="num">${r.rank ?? '—'}</td><td>${r.brand.name}</td><td class="num">${f.note(m.scoreMean)}</td><td class="num">${f.number(m.probes)}</td><td class="num">${f.percent(m.responseRate)}</td><td class="num">${f.percent(m.responseRateAfterReminder)}</td><td class="num">${f.hours(m.delayP50Hours)}</td></tr>`;
      })}</tbody>
    </table>
  </div>`,
  )}
</section>`;
}

function chartsSection(data: CampaignReportData, msg: ReportMessages, f: Formatter): Html {
  const h = data.stats.overall.delayHistogram;
  const buckets = (['within1h', 'from1To4h', 'from4To24h', 'from24To48h', 'over48h', 'noAnswer'] as const).map((key) => ({
    label: msg.histogram[key],
    count: h[key],
    muted: key === 'noAnswer',
  }));
  const rates = data.brands.map((brand) => {
    const row = data.stats.byBrand.find((r) => r.group.key === brand.id);
    return { brandId: brand.id, brandName: brand.name, rate: row ? presentMetrics(row).responseRateAfterReminder : null };
  });
  const weeks = (data.stats.overall.series ?? []).map((w) => ({ week: w.week, probes: w.probes, rate: w.responseRateAfterReminder, delayP50Hours: w.delayP50Hours }));
  return html`<section class="charts">
  <h2>${msg.charts}</h2>
  <div class="chart-box"><h3>${msg.delayChartTitle}</h3>${delayHistogramSvg(buckets, { title: msg.delayChartTitle, format: f, height: 260 })}</div>
  <div class="chart-box"><h3>${msg.rateChartTitle}</h3>${responseRateByBrandSvg(rates, { title: msg.rateChartTitle, format: f })}</div>
  ${weeks.length > 0 && html`<div class="chart-box"><h3>${msg.weeklyChartTitle}</h3>${weeklySeriesSvg(weeks, { title: msg.weeklyChartTitle, format: f, height: 260, probesLabel: msg.probes, rateLabel: msg.responseRateAfterReminder })}</div>`}
</section>`;
}
