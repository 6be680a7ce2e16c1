/**
 * What a simulated brand writes, in French, as real customer services do: an agent's
 * answer from a mail client (quoting the message it answers), the brand's HTML template
 * with its logo inline, a helpdesk platform's notification that loses the thread, an
 * automatic receipt, a satisfaction survey, a bounce. Raw RFC 5322 bytes, ready for
 * IMAP APPEND.
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { AnswerStyle, PlannedReply } from './brand-behaviours.ts';
import { deliveryStatusNotification, solidPng } from './brand-mime.ts';

export interface Correspondent {
  name: string;
  address: string;
}

export interface SimulatedPersona {
  address: string;
  firstName: string;
  lastName: string;
  gender: 'female' | 'male' | null;
}

export interface BrandIdentity {
  name: string;
  /** The brand's mail domain: its agents and robots write from it. */
  domain: string;
  /** Where probes reach it. */
  contactAddress: string;
  /** Who signs its answers. */
  agent: { firstName: string; lastName: string };
  /** Its template's colours, `#rrggbb`: header and footer. */
  colors: readonly [string, string];
  /** The domain of its helpdesk platform, when it answers through one. */
  helpdeskDomain?: string;
}

/** A probe or a reminder, as the brand received it. */
export interface ReceivedMessage {
  /** Without angle brackets. */
  messageId: string;
  subject: string;
  text: string;
  receivedAt: Date;
  from: Correspondent;
  raw: Buffer;
}

export interface ReplyContext {
  brand: BrandIdentity;
  persona: SimulatedPersona;
  probe: ReceivedMessage;
  /** The message this reply reacts to: the probe, or a reminder. */
  trigger: ReceivedMessage;
  /** The reply's Date header and INTERNALDATE. */
  date: Date;
  /** What the brand has to say to this question, paragraph by paragraph; null when it does not know. */
  substance: readonly string[] | null;
  /** The brand's ticket number for this thread. */
  ticket: number;
}

export interface ComposedReply {
  raw: Buffer;
  /** Without angle brackets. */
  messageId: string;
}

const ZONE = 'Europe/Paris';

/** The name of the logo the brand's template shows (`logo-azur-beaute`): a logo hint for its charter. */
export function logoHint(brandName: string): string {
  return `logo-${slug(brandName)}`;
}

export async function composeReply(plan: PlannedReply, ctx: ReplyContext): Promise<ComposedReply> {
  switch (plan.kind) {
    case 'answer':
      return composeAnswer(plan.style, ctx);
    case 'acknowledgement':
      return composeAcknowledgement(ctx);
    case 'survey':
      return composeSurvey(ctx);
    case 'delivery-failure': {
      const messageId = newMessageId(`mx1.${ctx.brand.domain}`);
      const raw = deliveryStatusNotification({
        reportingHost: `mx1.${ctx.brand.domain}`,
        to: ctx.persona.address,
        recipient: ctx.brand.contactAddress,
        original: ctx.trigger.raw,
        messageId,
        date: ctx.date,
      });
      return { raw, messageId };
    }
  }
}

async function composeAnswer(style: AnswerStyle, ctx: ReplyContext): Promise<ComposedReply> {
  const { brand, persona } = ctx;
  const agent = `${brand.agent.firstName} ${brand.agent.lastName}`;
  const body = answerBody(style, ctx);
  const signature = style.namesPersona ? [agent, `Service client ${brand.name}`] : [`Le service client ${brand.name}`];
  const text = [...body, signature.join('\n')].join('\n\n');
  const to = { name: `${persona.firstName} ${persona.lastName}`, address: persona.address };

  if (style.format === 'helpdesk') {
    const helpdesk = brand.helpdeskDomain ?? `support.${brand.domain}`;
    const messageId = newMessageId(helpdesk);
    // No In-Reply-To, no References, a subject of its own: what many helpdesk platforms send.
    return compose({
      from: { name: `${agent} (${brand.name})`, address: `support@${helpdesk}` },
      to,
      subject: `[Ticket #${ctx.ticket}] ${ctx.probe.subject}`,
      text: `${text}\nDemande n° ${ctx.ticket}\n\n${outlookQuote(ctx.probe, brand.contactAddress)}`,
      messageId,
      date: ctx.date,
      headers: { 'X-Helpdesk-Ticket': String(ctx.ticket) },
    });
  }

  const from = { name: style.namesPersona ? agent : `Service client ${brand.name}`, address: `service.client@${brand.domain}` };
  const threading = threadingOf(ctx);
  if (style.format === 'branded-html') {
    const logo = `${logoHint(brand.name)}.png`;
    const cid = `${logoHint(brand.name)}@${brand.domain}`;
    return compose({
      from,
      to,
      ...threading,
      text,
      html: brandedHtml(brand, body, signature, cid, logo),
      attachments: [{ filename: logo, content: solidPng(brand.colors[0]), cid, contentType: 'image/png' }],
      messageId: newMessageId(brand.domain),
      date: ctx.date,
    });
  }
  return compose({
    from,
    to,
    ...threading,
    text: `${text}\n\n${gmailQuote(ctx.trigger)}`,
    messageId: newMessageId(brand.domain),
    date: ctx.date,
  });
}

/** Greeting, the answer itself and the closing formula, paragraph by paragraph; the signature apart. */
function answerBody(style: AnswerStyle, ctx: ReplyContext): string[] {
  const greeting = style.namesPersona ? `Bonjour ${civility(ctx.persona)},` : 'Bonjour,';
  const substance = style.substance === 'canned' || ctx.substance === null ? CANNED : ctx.substance;
  const body = [
    greeting,
    ...(style.apologises ? ['Veuillez nous excuser pour ce long délai de réponse, et merci de votre relance.'] : ['Merci pour votre message.']),
    ...substance,
    style.namesPersona ? 'Je reste à votre disposition pour toute autre question.' : 'Nous restons à votre disposition.',
    'Bien cordialement,',
  ];
  return style.typos ? body.map(misspell) : body;
}

/** A stock text that answers no question in particular. */
const CANNED = [
  'Pour toute question, nous vous invitons à consulter la rubrique Aide de notre site : vous y trouverez les réponses aux questions les plus fréquentes.',
  "Si vous ne trouvez pas l'information recherchée, n'hésitez pas à nous recontacter.",
];

/**
 * Misspellings a hurried agent makes: doubled or dropped consonants, wrong accents.
 * Applied to whole words, so the answer keeps its meaning (and its points) for a reader.
 */
const MISSPELLINGS: ReadonlyMap<string, string> = new Map([
  ['message', 'méssage'],
  ['disposition', 'dispositon'],
  ['commande', 'comande'],
  ['livraison', 'livraisson'],
  ['remboursement', 'rembourcement'],
  ['article', 'artcile'],
  ['réception', 'récéption'],
]);

function misspell(text: string): string {
  return text.replace(/\p{L}+/gu, (word) => {
    const wrong = MISSPELLINGS.get(word.toLowerCase());
    if (wrong === undefined) return word;
    return word[0] === word[0]?.toUpperCase() ? wrong[0]!.toUpperCase() + wrong.slice(1) : wrong;
  });
}

function composeAcknowledgement(ctx: ReplyContext): Promise<ComposedReply> {
  const { brand } = ctx;
  return compose({
    from: { name: brand.name, address: `ne-pas-repondre@${brand.domain}` },
    to: { name: `${ctx.persona.firstName} ${ctx.persona.lastName}`, address: ctx.persona.address },
    subject: `Accusé de réception : ${ctx.trigger.subject}`,
    ...threadingOf(ctx, false),
    text: [
      'Bonjour,',
      'Nous avons bien reçu votre message et vous en remercions. Un conseiller vous répondra dans les meilleurs délais.',
      'Ceci est un message automatique : merci de ne pas y répondre.',
      `Le service client ${brand.name}`,
    ].join('\n\n'),
    messageId: newMessageId(brand.domain),
    date: ctx.date,
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
  });
}

function composeSurvey(ctx: ReplyContext): Promise<ComposedReply> {
  const { brand } = ctx;
  return compose({
    from: { name: `${brand.name} - Satisfaction`, address: `satisfaction@${brand.domain}` },
    to: { name: `${ctx.persona.firstName} ${ctx.persona.lastName}`, address: ctx.persona.address },
    subject: 'Votre avis sur notre réponse',
    inReplyTo: ctx.probe.messageId,
    references: [ctx.probe.messageId],
    text: [
      'Bonjour,',
      'Vous avez récemment contacté notre service client. Votre avis nous aide à progresser : en une minute, dites-nous si la réponse apportée vous a été utile.',
      `Donner mon avis : https://avis.${brand.domain}/q/${ctx.ticket}`,
      `Merci de votre confiance,\nLe service client ${brand.name}`,
    ].join('\n\n'),
    messageId: newMessageId(brand.domain),
    date: ctx.date,
    headers: { 'Auto-Submitted': 'auto-generated', Precedence: 'bulk' },
  });
}

/** `Re:` the message answered, in its thread. */
function threadingOf(ctx: ReplyContext, withSubject = true) {
  const thread = [...new Set([ctx.probe.messageId, ctx.trigger.messageId])];
  const subject = /^re\s*:/i.test(ctx.trigger.subject) ? ctx.trigger.subject : `Re: ${ctx.trigger.subject}`;
  return { ...(withSubject && { subject }), inReplyTo: ctx.trigger.messageId, references: thread };
}

function civility(persona: SimulatedPersona): string {
  if (persona.gender === 'female') return `Madame ${persona.lastName}`;
  if (persona.gender === 'male') return `Monsieur ${persona.lastName}`;
  return `${persona.firstName} ${persona.lastName}`;
}

/** "Le mar. 3 mars 2026 à 10:12, Marie Dupont <…> a écrit :" and the message, `>`-quoted, as Gmail writes it in French. */
function gmailQuote(message: ReceivedMessage): string {
  const when = DateTime.fromJSDate(message.receivedAt, { zone: ZONE }).setLocale('fr').toFormat("ccc d LLL yyyy 'à' HH:mm");
  const quoted = message.text.trimEnd().split('\n').map((line) => (line === '' ? '>' : `> ${line}`));
  return [`Le ${when}, ${message.from.name} <${message.from.address}> a écrit :`, ...quoted].join('\n');
}

/** The probe under an Outlook header block ("De : … Envoyé : … À : … Objet : …"), as helpdesk platforms keep the history. */
function outlookQuote(message: ReceivedMessage, to: string): string {
  const when = DateTime.fromJSDate(message.receivedAt, { zone: ZONE }).setLocale('fr').toFormat("cccc d LLLL yyyy HH:mm");
  return [
    `De : ${message.from.name} <${message.from.address}>`,
    `Envoyé : ${when}`,
    `À : ${to}`,
    `Objet : ${message.subject}`,
    '',
    message.text.trimEnd(),
  ].join('\n');
}

function brandedHtml(brand: BrandIdentity, body: readonly string[], signature: readonly string[], cid: string, logo: string): string {
  const [header, footer] = brand.colors;
  const font = "font-family:'Trebuchet MS',Helvetica,sans-serif";
  const paragraphs = body.map((p) => `<p style="margin:0 0 14px">${escapeHtml(p)}</p>`).join('\n');
  const [name = '', ...rest] = signature;
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>${escapeHtml(brand.name)}</title>
<style>a{color:${header}} .footer a{color:#ffffff}</style></head>
<body style="margin:0;padding:0;background:#f2f2f2">
<table role="presentation" width="600" align="center" cellpadding="0" cellspacing="0" style="border-collapse:collapse;background:#ffffff">
<tr><td style="background:${header};padding:18px 28px"><img src="cid:${cid}" alt="${escapeHtml(brand.name)}" title="${logo}" width="160" height="48" style="display:block;border:0"></td></tr>
<tr><td style="padding:28px;${font};font-size:15px;line-height:1.5;color:#333333">
${paragraphs}
<p style="margin:0"><strong style="color:${header}">${escapeHtml(name)}</strong><br>${rest.map(escapeHtml).join('<br>')}</p>
</td></tr>
<tr><td class="footer" style="background:${footer};padding:14px 28px;${font};font-size:12px;color:#ffffff">${escapeHtml(brand.name)} · Service client · du lundi au samedi, de 9 h à 19 h</td></tr>
</table>
</body></html>`;
}

interface Composable {
  from: Correspondent;
  to: Correspondent;
  subject?: string;
  text: string;
  html?: string;
  attachments?: { filename: string; content: Buffer; cid: string; contentType: string }[];
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  date: Date;
  headers?: Record<string, string>;
}

async function compose(message: Composable): Promise<ComposedReply> {
  const composer = new MailComposer({ ...message, subject: message.subject ?? '', newline: 'win' });
  return { raw: await composer.compile().build(), messageId: message.messageId };
}

function newMessageId(domain: string): string {
  return `${randomBytes(10).toString('hex')}@${domain}`;
}

function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
