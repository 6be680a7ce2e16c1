/**
 * One brand's evidence pack: its figures beside its sector's, then every probe in order with
 * what proves its outcome: times, acknowledgement, answer and delays, reminders and what they
 * brought, follow-ups, the reply's own text with the spelling errors marked, the form
 * findings, the score grid with the auditor's overrides beside the automatic values, and per
 * reply its SHA-256, DKIM verdict, times and Received headers.
 */
import type { ReplyAnalysis } from '../audit/analyse.ts';
import type { SpellingError } from '../audit/spelling.ts';
import type { BrandEvidence, ProbeEvidence, ReplyEvidence } from '../flow/campaign-report.ts';
import type { Formatter } from './format.ts';
import { html, trustedHtml, type Html } from './html.ts';
import type { ReportMessages } from './i18n.ts';
import type { SafeMail } from './mail-view.ts';
import { figureLines, figuresTable, shownNote } from './report-figures.ts';

export interface BrandContext {
  msg: ReportMessages;
  f: Formatter;
  norms: readonly number[];
  /** The document is this brand's evidence pack alone. */
  narrowed: boolean;
  /** Sanitised renderings of the replies' messages, by reply id. */
  mails: ReadonlyMap<string, SafeMail>;
}

export function brandSection(evidence: BrandEvidence, ctx: BrandContext): Html {
  const { msg, f } = ctx;
  const { brand } = evidence;
  return html`<section class="brand" id="brand-${brand.id}" data-brand-id="${brand.id}">
  <h2>${msg.brandSection(brand.name)}</h2>
  <p>${msg.sector}: <strong>${brand.sectorName}</strong> · ${msg.rank}: <strong>${evidence.rank ?? '—'}</strong> · ${msg.sectorMean}: <strong>${f.note(shownNote(evidence.sectorScoreMean))}</strong></p>
  ${figuresTable(
    figureLines(msg, f, ctx.norms),
    [
      { title: brand.name, metrics: evidence.figures },
      { title: `${msg.sector} ${brand.sectorName}`, metrics: evidence.sectorFigures },
    ],
    msg.figure,
  )}
  <h3>${msg.probeList}</h3>
  ${evidence.probes.map((probe, index) => probeCard(probe, index + 1, ctx))}
</section>`;
}

function kindLabel(msg: ReportMessages, kind: ReplyEvidence['kind']): string {
  return msg.kinds[kind] ?? kind;
}

function probeCard(probe: ProbeEvidence, n: number, ctx: BrandContext): Html {
  const { msg, f } = ctx;
  const o = probe.outcome;
  const answer = o?.answerReplyId ? probe.replies.find((r) => r.id === o.answerReplyId) : undefined;
  const followUps = probe.replies.filter((r) => r.kind === 'follow_up');
  const answered = Boolean(o?.answeredAt);
  return html`<article class="probe ${answered ? 'answered' : 'unanswered'}" data-probe-id="${probe.id}">
  <h3>${msg.probeHeading(n, probe.subject ?? '—')}</h3>
  <div class="probe-part">
  <dl class="facts">
    <dt>${msg.sentAt}</dt><dd>${probe.sentAt ? f.exactTime(probe.sentAt) : `${msg.scheduledAt} ${f.dateTime(probe.scheduledAt)} (${probe.status})`}</dd>
    ${heldFacts(probe, ctx)}
    <dt>${msg.recipient}</dt><dd>${probe.recipient ?? '—'} (${probe.channel})</dd>
    <dt>${msg.scenario}</dt><dd>${probe.scenarioName ?? '—'}</dd>
    <dt>${msg.persona}</dt><dd>${probe.persona} &lt;${probe.personaAddress ?? probe.mailboxAddress}&gt;</dd>
    <dt>${msg.acknowledgement}</dt><dd>${o?.acknowledgedAt ? `${f.dateTime(o.acknowledgedAt)} (${f.hours(o.ackDelayHours)})` : msg.noAcknowledgement}</dd>
    <dt>${msg.note}</dt><dd><strong>${f.note(probe.score?.note ?? (answered ? null : o?.score ?? null))}</strong></dd>
    <dt class="row">${msg.answer}</dt><dd class="wide">${
      answered && o
        ? html`<span class="badge good">${f.dateTime(o.answeredAt)}</span> ${msg.delayCalendar}: <strong>${f.hours(o.delayHours)}</strong> · ${msg.delayBusiness}: <strong>${f.hours(o.businessDelayHours)}</strong>
           ${ctx.norms.map((norm) => html` · ${msg.normWithin(f.hours(norm))}: ${o.withinNorms[String(norm)] ? msg.yes : msg.no}`)}`
        : html`<span class="badge bad">${msg.unanswered}</span>`
    }</dd>
    <dt>${msg.reminders}</dt><dd>${remindersText(probe, ctx)}</dd>
    <dt>${msg.followUps}</dt><dd>${followUps.length === 0 ? msg.noFollowUps : followUps.map((r) => `${f.dateTime(r.receivedAt)} (${f.hours(r.delayHours)})`).join(' · ')}</dd>
  </dl>
  </div>
  ${answer && answerBlock(answer, ctx)}
  ${probe.score && scoreGrid(probe, ctx)}
  ${probe.replies.map((reply) => proofBlock(probe, reply, ctx))}
</article>`;
}

/** A send held for review: since when and why, or how an auditor settled it (it bears on the delay). */
function heldFacts(probe: ProbeEvidence, ctx: BrandContext): Html {
  const { msg, f } = ctx;
  const settled = probe.heldResolutions.map((r) => {
    const outcome = r.resolution === 'sent' ? msg.heldOutcome.sent(f.exactTime(r.sentAt)) : msg.heldOutcome[r.resolution];
    const text = msg.heldSettled(msg.heldWhat(r.reminderSeq), f.exactTime(r.heldAt), outcome, r.resolvedBy.label, f.dateTime(r.resolvedAt));
    return html`<dt class="row">${msg.heldForReview}</dt><dd class="wide" data-held-resolution="${r.resolution}">${text}${r.note ? ` — « ${r.note} »` : ''}</dd>`;
  });
  const holding = probe.heldAt
    ? html`<dt class="row">${msg.heldForReview}</dt><dd class="wide" data-held>${msg.heldSince(f.exactTime(probe.heldAt), probe.heldReason ?? '—')}</dd>`
    : null;
  return html`${settled}${holding}`;
}

/** Who established the probe's sending time, when an auditor did (no SMTP reply to show then). */
function sentTimeSource(probe: ProbeEvidence, ctx: BrandContext): Html | string {
  const settled = probe.heldResolutions.filter((r) => r.reminderSeq === null && r.resolution === 'sent').at(-1);
  if (settled) return html` <em>(${ctx.msg.establishedBy(settled.resolvedBy.label)})</em>`;
  return probe.smtpResponse ? html` <code>${probe.smtpResponse}</code>` : '';
}

function remindersText(probe: ProbeEvidence, ctx: BrandContext): string {
  const { msg, f } = ctx;
  const sent = probe.reminders.filter((r) => r.sentAt);
  if (sent.length === 0) return msg.noReminders;
  return sent
    .map((r) => `${msg.reminderLine(r.seq, r.status, f.dateTime(r.sentAt))} — ${probe.outcome?.answeredAfterReminder ? msg.broughtAnswer : msg.broughtNothing}`)
    .join(' · ');
}

/** The text with its spelling errors (of one part) marked; an error whose offset does not hold its word is looked up by the word. */
export function markSpelling(text: string, errors: readonly SpellingError[]): Html {
  const spans: Array<{ start: number; end: number; error: SpellingError }> = [];
  for (const error of errors) {
    let start = text.slice(error.offset, error.offset + error.word.length) === error.word ? error.offset : text.indexOf(error.word);
    if (start < 0) continue;
    if (spans.some((s) => start < s.end && start + error.word.length > s.start)) {
      start = text.indexOf(error.word, start + 1);
      if (start < 0 || spans.some((s) => start < s.end && start + error.word.length > s.start)) continue;
    }
    spans.push({ start, end: start + error.word.length, error });
  }
  spans.sort((a, b) => a.start - b.start);
  const parts: Html[] = [];
  let at = 0;
  for (const span of spans) {
    parts.push(html`${text.slice(at, span.start)}`);
    const title = span.error.suggestions.length > 0 ? span.error.suggestions.join(', ') : '';
    parts.push(html`<mark class="spelling" title="${title}">${text.slice(span.start, span.end)}</mark>`);
    at = span.end;
  }
  parts.push(html`${text.slice(at)}`);
  return html`${parts}`;
}

function answerBlock(answer: ReplyEvidence, ctx: BrandContext): Html {
  const { msg } = ctx;
  const analysis = answer.analysis?.result ?? null;
  const errors = analysis?.spelling.errors ?? [];
  const text = answer.replyText ?? '';
  return html`<div class="probe-part answer-part">
  <h4>${msg.replyText}</h4>
  ${text.trim() === '' ? html`<p class="muted">${msg.noReplyText}</p>` : html`<div class="reply-text">${markSpelling(text, errors.filter((e) => e.part === 'reply'))}${
    answer.signature ? html`\n\n${markSpelling(answer.signature, errors.filter((e) => e.part === 'signature'))}` : ''
  }</div>`}
  ${analysis ? spellingList(analysis, ctx) : html`<p class="muted">${msg.notAnalysed}${answer.analysis?.skipped ? ` (${answer.analysis.skipped})` : ''}</p>`}
  ${analysis && formFindings(analysis, ctx)}
  </div>`;
}

function spellingList(analysis: ReplyAnalysis, ctx: BrandContext): Html {
  const { msg } = ctx;
  const { spelling } = analysis;
  if (!spelling.checked) return html`<p class="muted">${msg.spellingUnchecked}</p>`;
  if (spelling.errors.length === 0) return html`<p>${msg.spellingErrors}: ${msg.noSpellingErrors}</p>`;
  return html`<p>${msg.spellingErrors} (${spelling.errors.length}): ${spelling.errors.map(
    (e, i) => html`${i > 0 ? ', ' : ''}<mark class="spelling">${e.word}</mark>${e.suggestions.length > 0 ? ` → ${e.suggestions.slice(0, 3).join(' / ')}` : ''}`,
  )}</p>`;
}

function formFindings(analysis: ReplyAnalysis, ctx: BrandContext): Html {
  const { msg, f } = ctx;
  const form = analysis.form;
  const rows: Array<[string, boolean, string | null]> = [
    [msg.form.greeting, form.greeting.present, form.greeting.evidence],
    [msg.form.closing, form.closing.present, form.closing.evidence],
    [msg.form.thanks, form.thanks.present, form.thanks.evidence],
    [msg.form.signature, form.signature.present, form.signature.evidence ?? form.signature.personName ?? form.signature.team],
    [msg.form.personalised, form.personalised.present, form.personalised.evidence],
    [msg.form.logo, form.logo.present, form.logo.evidence ?? form.logo.src],
    [msg.form.charter, form.charter.present, `${f.percent(form.charter.score)}${form.charter.evidence.length > 0 ? ` — ${form.charter.evidence.join('; ')}` : ''}`],
  ];
  return html`<h4>${msg.formFindings}</h4>
  <table class="form-findings"><tbody>${rows.map(
    ([label, present, evidence]) => html`<tr><td>${label}</td><td>${present ? html`<span class="badge good">${msg.present}</span>` : html`<span class="badge bad">${msg.absent}</span>`}</td><td>${evidence ?? ''}</td></tr>`,
  )}</tbody></table>`;
}

function scoreGrid(probe: ProbeEvidence, ctx: BrandContext): Html {
  const { msg, f } = ctx;
  const score = probe.score!;
  return html`<div class="probe-part score-part">
  <h4>${msg.scoreGrid} — ${msg.note}: ${f.note(score.note)} (${msg.parts.delay} ${f.note(score.parts.delay.value, score.parts.delay.max)}, ${msg.parts.relevance} ${f.note(score.parts.relevance.value, score.parts.relevance.max)}, ${msg.parts.welcome} ${f.note(score.parts.welcome.value, score.parts.welcome.max)})</h4>
  <table class="score-grid">
    <thead><tr><th>${msg.criterion}</th><th class="num">${msg.automatic}</th><th class="num">${msg.override}</th><th class="num">${msg.effective}</th><th>${msg.evidence}</th></tr></thead>
    <tbody>${score.criteria.map(
      (c) => [
        html`<tr data-criterion="${c.id}"${c.override ? html` class="overridden"` : ''}><td>${msg.criteria[c.id] ?? c.label}</td>`,
        html`<td class="num">${c.automatic === null ? '—' : f.number(c.automatic, 2)}</td><td class="num">${c.override ? html`<span class="override">${f.number(c.override.value, 2)}</span>` : ''}</td>`,
        html`<td class="num"><strong>${c.value === null ? '—' : f.number(c.value, 2)}</strong> / ${c.max}<br><span class="source" data-source="${c.source}">${msg.sources[c.source]}</span></td><td>${c.evidence.join(' · ')}${
          c.override ? html`<br><span class="override">${msg.override}: « ${c.override.comment} » ${msg.overriddenBy(c.override.by, f.dateTime(c.override.at))}</span>` : ''
        }</td></tr>`,
      ],
    )}</tbody>
  </table>
  </div>`;
}

function dkimText(reply: ReplyEvidence, msg: ReportMessages): string {
  const d = reply.dkim;
  if (!d) return msg.dkimResult.unverified;
  const result = msg.dkimResult[d.status] ?? d.status;
  const comment = d.signatures.find((s) => s.domain === d.domain)?.comment;
  return `${result}${d.domain ? `, ${msg.dkimSignedBy(d.domain)}` : ''}${comment ? ` (${comment})` : ''}`;
}

function proofBlock(probe: ProbeEvidence, reply: ReplyEvidence, ctx: BrandContext): Html {
  const { msg, f } = ctx;
  const mail = ctx.mails.get(reply.id);
  return html`<div class="probe-part proof" data-reply-id="${reply.id}">
  <h4>${msg.proof} — ${kindLabel(msg, reply.kind)}${reply.late ? ` (${msg.late})` : ''}: ${reply.fromName ? `${reply.fromName} ` : ''}&lt;${reply.fromAddress ?? '—'}&gt; — « ${reply.subject ?? ''} »</h4>
  <dl class="facts">
    <dt class="row">${msg.sha256}</dt><dd class="wide"><span class="hash">${reply.sourceSha256}</span> · <a href="/v1/messages/${reply.id}/raw">${msg.downloadEml}</a></dd>
    <dt>${msg.dkim}</dt><dd>${dkimText(reply, msg)}</dd>
    <dt>${msg.smtpAccepted}</dt><dd>${f.exactTime(probe.sentAt)}${sentTimeSource(probe, ctx)}</dd>
    <dt class="row">${msg.imapArrival}</dt><dd class="wide">${f.exactTime(reply.receivedAt)} (${msg.delayCalendar} ${f.hours(reply.delayHours)}, ${msg.delayBusiness} ${f.hours(reply.businessDelayHours)})</dd>
    <dt>${msg.dateHeader}</dt><dd>${f.exactTime(reply.dateHeader)}</dd>
    <dt class="row">${msg.receivedHeaders}</dt><dd class="wide">${reply.receivedHeaders.length === 0 ? msg.none : html`<ul class="compact">${reply.receivedHeaders.map((h) => html`<li><code>${h}</code></li>`)}</ul>`}</dd>
  </dl>
  ${mail && html`<h4>${msg.messageAsReceived}</h4><div class="mail-view">${trustedHtml(mail.html)}</div>`}
  </div>`;
}
