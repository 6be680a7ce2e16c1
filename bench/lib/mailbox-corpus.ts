/**
 * A test mailbox's worth of brand replies for the ingest benchmark, generated from a seed
 * (same seed, same bytes): the probes a persona sent to one brand, then the replies that
 * came back, as raw messages in arrival order.
 *
 * The replies look like what a retailer's customer service sends: branded HTML templates
 * laid out with tables and inline styles (header with logo, content, quoted probe,
 * signature, legal footer, tracking pixel), a third of them with a plain-text alternative,
 * quoted-printable or base64 as mail systems write them, sometimes with the logo embedded
 * (multipart/related), about 8 KB each. The mix:
 * - threaded answers (In-Reply-To/References name the probe), often several per probe;
 * - acknowledgements from a no-reply sender a few minutes after the probe, RFC 3834 headers;
 * - helpdesk answers without threading headers, matched by domain, subject and quoted text;
 * - newsletters and promotions from other senders, which match nothing (the review queue).
 */
import { mulberry32 } from '../../src/audit/random.ts';

export interface BenchBrand {
  name: string;
  domain: string;
  helpdeskDomain: string;
  contactAddress: string;
}

export interface BenchPersona {
  firstName: string;
  lastName: string;
  address: string;
}

export interface BenchProbe {
  subject: string;
  body: string;
  messageId: string;
  sentAt: Date;
}

export type ReplyKind = 'threaded' | 'acknowledgement' | 'unthreaded' | 'unrelated';

export interface GeneratedReply {
  kind: ReplyKind;
  /** Index in the probe list of the probe it answers; null for unrelated mail. */
  probeIndex: number | null;
  /** INTERNALDATE to append it with: when it "arrived". */
  internalDate: Date;
  raw: Buffer;
}

export const BENCH_BRAND: BenchBrand = {
  name: 'Maison Bleue',
  domain: 'maisonbleue.fr',
  helpdeskDomain: 'maisonbleue.zendesk.com',
  contactAddress: 'service.client@maisonbleue.fr',
};

/** Shares of each kind of reply, in this order; what is left is `unrelated`. */
const MIX: ReadonlyArray<readonly [ReplyKind, number]> = [
  ['threaded', 0.68],
  ['acknowledgement', 0.14],
  ['unthreaded', 0.14],
];
const TARGET_BYTES = 8 * 1024;
/**
 * Share of replies with a plain-text alternative. An agent's mail client and most helpdesks
 * send one; many CRM and ticketing templates send HTML alone, which every reader must then
 * turn into text (the costlier parse, and the one the reference figures measured).
 */
export const TEXT_PART_SHARE = 1 / 3;
const HOUR = 3_600_000;
const MINUTE = 60_000;

export { mulberry32 as seededRandom };

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const between = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
const hex = (random: Random, length: number): string =>
  Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');

const SCENARIOS = [
  { subject: 'Retard de livraison de ma commande {order}', ask: "J'ai commandé une {product} (commande {order}) qui devait arriver la semaine dernière et je n'ai toujours rien reçu. Pouvez-vous me dire où en est la livraison et si les frais de port me seront remboursés ?" },
  { subject: 'Article reçu abîmé – commande {order}', ask: "La {product} livrée hier (commande {order}) présente une rayure profonde sur le côté gauche. Comment puis-je obtenir un échange ou un remboursement, et dois-je renvoyer l'article à mes frais ?" },
  { subject: 'Remboursement non reçu pour la commande {order}', ask: "J'ai retourné ma {product} il y a trois semaines (commande {order}) et le remboursement n'apparaît toujours pas sur mon compte. Pourriez-vous vérifier où en est le traitement de mon retour ?" },
  { subject: 'Question sur la garantie de ma {product}', ask: "Ma {product}, achetée en magasin il y a dix-huit mois (commande {order}), ne fonctionne plus correctement. Est-elle encore couverte par la garantie et quelle est la marche à suivre pour la faire réparer ?" },
  { subject: 'Modification de l’adresse de livraison ({order})', ask: "Je viens de passer la commande {order} pour une {product} mais je me suis trompée d'adresse de livraison. Est-il encore possible de la modifier avant l'expédition, et comment dois-je procéder ?" },
  { subject: 'Disponibilité de la {product} en magasin', ask: "Je souhaiterais savoir si la {product} présentée sur votre site est disponible dans votre magasin de Lyon, et s'il est possible de la réserver en ligne avant de passer la récupérer (ma référence client est {order})." },
] as const;

const PRODUCTS = ['table basse en chêne', 'commode trois tiroirs', 'lampe de chevet en laiton', 'bibliothèque murale', 'chaise de bureau ergonomique', 'armoire à portes coulissantes', 'desserte roulante', 'tête de lit en rotin'];
const AGENTS = ['Sophie Martin', 'Julien Leroy', 'Camille Bernard', 'Nadia Haddad', 'Lucas Petit', 'Élodie Fournier', 'Karim Benali'];
const GREETINGS = ['Bonjour Madame {last},', 'Bonjour {first},', 'Chère Madame {last},', 'Bonjour,'];
const OPENINGS = [
  'Nous vous remercions pour votre message et pour la confiance que vous accordez à {brand}.',
  'Merci de nous avoir contactés au sujet de votre commande {order}.',
  'Je fais suite à votre demande du {day} concernant votre {product}.',
];
const SENTENCES = [
  'Après vérification auprès de notre entrepôt, votre {product} a été expédiée hier par Colissimo et devrait vous être livrée {day} prochain.',
  "Malheureusement, un incident logistique a retardé la préparation de votre colis, et nous comprenons tout à fait votre déception.",
  'Nous vous prions de bien vouloir nous excuser pour ce désagrément, qui ne reflète pas la qualité de service que nous souhaitons vous offrir.',
  'Les frais de livraison vous seront intégralement remboursés sous cinq jours ouvrés sur le moyen de paiement utilisé lors de votre achat.',
  "Vous pouvez suivre l'acheminement de votre commande depuis votre espace client, rubrique « Mes commandes ».",
  "Si l'article ne vous convient pas, vous disposez d'un délai de trente jours pour nous le retourner gratuitement dans son emballage d'origine.",
  'Un geste commercial de quinze euros a été ajouté à votre compte fidélité et sera utilisable dès votre prochaine commande.',
  "Nous avons transmis vos photos à notre service qualité, qui a validé l'échange de votre {product} sans frais.",
  "Un transporteur prendra contact avec vous sous 48 heures pour convenir d'un créneau d'enlèvement à votre domicile.",
  'Votre {product} est bien couverte par notre garantie de deux ans : la réparation sera prise en charge par notre atelier partenaire.',
  "Il suffit de vous présenter en magasin avec votre facture ; nos conseillers s'occuperont de l'enregistrement du dossier.",
  "Nous restons à votre entière disposition pour toute information complémentaire et n'hésitez pas à revenir vers nous.",
];
const CLOSINGS = ['Cordialement,', 'Bien cordialement,', 'Belle journée,', 'Bien à vous,'];
const DAYS = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi'];
const LEGAL = [
  "Maison Bleue SAS au capital de 2 500 000 euros – RCS Lyon 512 345 678 – 12 quai Saint-Vincent, 69001 Lyon. Conformément au règlement général sur la protection des données, vous disposez d'un droit d'accès, de rectification et de suppression des données vous concernant.",
  "Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de ses destinataires. Toute utilisation ou diffusion non autorisée est interdite. Si vous avez reçu ce message par erreur, merci de le détruire et d'en avertir immédiatement l'expéditeur.",
  "Livraison offerte dès 500 euros d'achat en France métropolitaine. Retours gratuits sous 30 jours. Paiement en 3 ou 4 fois sans frais par carte bancaire, sous réserve d'acceptation.",
  'Retrouvez nos nouvelles collections, nos idées de décoration et nos ateliers en magasin sur www.maisonbleue.fr et sur nos réseaux sociaux.',
];
const NEWSLETTERS = [
  { from: 'Déco & Jardin <newsletter@deco-et-jardin.com>', subject: 'Les soldes commencent : jusqu’à -50 % sur le mobilier de jardin' },
  { from: 'La Poste <ne-pas-repondre@notif-laposte.fr>', subject: 'Votre colis 6A12345678901 est en cours d’acheminement' },
  { from: 'Banque Exemple <info@banque-exemple.fr>', subject: 'Votre relevé de compte mensuel est disponible' },
];

function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/gu, (_, key: string) => slots[key] ?? key);
}

/** `count` probes the persona sent to the brand, one every few hours from `start`, at whole seconds. */
export function planProbes(count: number, seed: number, start: Date, persona: BenchPersona): BenchProbe[] {
  const random = mulberry32(seed);
  const spacing = (60 * 24 * HOUR) / Math.max(count, 1);
  return Array.from({ length: count }, (_, index) => {
    const scenario = pick(random, SCENARIOS);
    const slots = { order: String(400_000 + index * 7 + between(random, 0, 6)), product: pick(random, PRODUCTS) };
    const sentAt = new Date(Math.floor((start.getTime() + index * spacing + random() * spacing * 0.5) / 1000) * 1000);
    return {
      subject: fill(scenario.subject, slots),
      body: `Bonjour,\n\n${fill(scenario.ask, slots)}\n\nMerci d'avance pour votre réponse.\n\n${persona.firstName} ${persona.lastName}`,
      messageId: `${hex(random, 16)}.probe${index}@sonde.test`,
      sentAt,
    };
  });
}

/** The replies, sorted by arrival (so UIDs follow INTERNALDATE, as in a real mailbox). */
export function generateReplies(options: {
  count: number;
  seed: number;
  brand: BenchBrand;
  persona: BenchPersona;
  probes: readonly BenchProbe[];
  /** Share of messages with a plain-text alternative beside their HTML (default `TEXT_PART_SHARE`). */
  textShare?: number;
}): GeneratedReply[] {
  const random = mulberry32(options.seed ^ 0x5eed);
  const { brand, persona, probes } = options;
  const textShare = options.textShare ?? TEXT_PART_SHARE;
  const first = probes[0]?.sentAt.getTime() ?? Date.UTC(2026, 0, 5, 8);
  const last = probes[probes.length - 1]?.sentAt.getTime() ?? first;
  const replies: GeneratedReply[] = [];
  for (let index = 0; index < options.count; index++) {
    const kind = kindOf(random());
    if (kind === 'unrelated' || probes.length === 0) {
      const letter = pick(random, NEWSLETTERS);
      const internalDate = new Date(Math.floor((first + random() * (last - first + 72 * HOUR)) / 1000) * 1000);
      replies.push({ kind: 'unrelated', probeIndex: null, internalDate, raw: newsletter(random, letter, persona, internalDate, index, random() < textShare) });
      continue;
    }
    const probeIndex = Math.floor(random() * probes.length);
    const probe = probes[probeIndex]!;
    const delay = kind === 'acknowledgement' ? between(random, 1, 10) * MINUTE : Math.floor((0.25 + random() ** 2 * 96) * HOUR);
    const internalDate = new Date(probe.sentAt.getTime() + Math.floor(delay / 1000) * 1000);
    replies.push({ kind, probeIndex, internalDate, raw: brandReply(random, { kind, brand, persona, probe, internalDate, index, textPart: random() < textShare }) });
  }
  return replies.sort((a, b) => a.internalDate.getTime() - b.internalDate.getTime());
}

function kindOf(draw: number): ReplyKind {
  let total = 0;
  for (const [kind, share] of MIX) {
    total += share;
    if (draw < total) return kind;
  }
  return 'unrelated';
}

interface ReplyInput {
  kind: Exclude<ReplyKind, 'unrelated'>;
  brand: BenchBrand;
  persona: BenchPersona;
  probe: BenchProbe;
  internalDate: Date;
  index: number;
  textPart: boolean;
}

function brandReply(random: Random, r: ReplyInput): Buffer {
  const { brand, persona, probe } = r;
  const ticket = String(between(random, 1_000_000, 9_999_999));
  const agent = pick(random, AGENTS);
  const slots = {
    first: persona.firstName,
    last: persona.lastName,
    brand: brand.name,
    order: /\d{6}/.exec(probe.subject + probe.body)?.[0] ?? '400000',
    product: pick(random, PRODUCTS),
    day: pick(random, DAYS),
  };
  const automatic = r.kind === 'acknowledgement';
  const paragraphs = automatic
    ? [
        'Bonjour,',
        `Nous avons bien reçu votre demande et nous vous en remercions. Elle a été enregistrée sous le numéro de dossier ${ticket}.`,
        'Nos conseillers vous répondront dans les meilleurs délais, en général sous 48 heures ouvrées.',
        'Ceci est un message automatique, merci de ne pas y répondre.',
        "L'équipe Maison Bleue",
      ]
    : [
        fill(pick(random, GREETINGS), slots),
        fill(pick(random, OPENINGS), slots),
        ...shuffled(random, SENTENCES).slice(0, between(random, 3, 5)).map((sentence) => fill(sentence, slots)),
        pick(random, CLOSINGS),
      ];
  const signature = automatic ? [] : [agent, `Conseillère clientèle – ${brand.name}`, 'Tél. 04 78 00 12 34 – du lundi au samedi, de 9 h à 19 h'];
  const attribution = `Le ${formatFrenchDate(probe.sentAt)}, ${persona.firstName} ${persona.lastName} <${persona.address}> a écrit :`;
  const quote = automatic ? null : { attribution, text: probe.body };

  const from =
    r.kind === 'acknowledgement'
      ? `${brand.name} <ne-pas-repondre@${brand.domain}>`
      : r.kind === 'unthreaded'
        ? `${agent} (${brand.name}) <support@${brand.helpdeskDomain}>`
        : `${agent} <${agent.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').replace(/\s+/g, '.')}@${brand.domain}>`;
  const subject =
    r.kind === 'acknowledgement'
      ? `Accusé de réception : ${probe.subject} [#${ticket}]`
      : r.kind === 'unthreaded'
        ? `[#${ticket}] RE: ${probe.subject}`
        : `RE: ${probe.subject}`;
  const headers: string[] = [];
  if (r.kind !== 'unthreaded') headers.push(`In-Reply-To: <${probe.messageId}>`, `References: <${probe.messageId}>`);
  if (automatic) headers.push('Auto-Submitted: auto-replied', 'X-Auto-Response-Suppress: All');
  headers.push(`X-Mailer: ${r.kind === 'unthreaded' ? 'Zendesk Mailer' : 'Microsoft Outlook 16.0'}`);

  const text = [
    paragraphs.join('\n\n'),
    ...(signature.length ? [signature.join('\n')] : []),
    ...(quote ? [[quote.attribution, ...quote.text.split('\n').map((line) => `> ${line}`)].join('\n')] : []),
  ].join('\n\n');
  const html = brandedHtml(random, { brand, paragraphs, signature, quote, trackingId: `${r.index}-${hex(random, 8)}` });
  return assemble(random, {
    from,
    to: `${persona.firstName} ${persona.lastName} <${persona.address}>`,
    subject,
    date: new Date(r.internalDate.getTime() - between(random, 2, 40) * 1000),
    messageId: `${hex(random, 20)}.${r.index}@mail.${brand.domain}`,
    headers,
    text: r.textPart ? text : null,
    html,
    logo: random() < 0.3,
  });
}

function newsletter(random: Random, letter: (typeof NEWSLETTERS)[number], persona: BenchPersona, internalDate: Date, index: number, textPart: boolean): Buffer {
  const brand: BenchBrand = { name: letter.from.split(' <')[0] ?? 'Newsletter', domain: letter.from.split('@')[1]?.replace('>', '') ?? 'example.com', helpdeskDomain: '', contactAddress: '' };
  const paragraphs = [
    'Bonjour,',
    `${letter.subject}. Profitez-en vite : l'offre est valable jusqu'à dimanche minuit, dans la limite des stocks disponibles.`,
    'Découvrez notre sélection et nos idées pour la saison.',
  ];
  const html = brandedHtml(random, { brand, paragraphs, signature: [], quote: null, trackingId: `${index}-${hex(random, 8)}` });
  return assemble(random, {
    from: letter.from,
    to: persona.address,
    subject: letter.subject,
    date: internalDate,
    messageId: `${hex(random, 24)}.${index}@${brand.domain}`,
    headers: ['Precedence: bulk', `List-Unsubscribe: <https://${brand.domain}/desabonnement/${hex(random, 12)}>`],
    text: textPart ? paragraphs.join('\n\n') : null,
    html,
    logo: false,
  });
}

function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A retailer's template: nested layout tables, inline styles everywhere, padded with footer blocks to about 8 KB. */
function brandedHtml(
  random: Random,
  m: { brand: BenchBrand; paragraphs: string[]; signature: string[]; quote: { attribution: string; text: string } | null; trackingId: string },
): string {
  const font = 'font-family:Montserrat,Helvetica,Arial,sans-serif;font-size:15px;line-height:22px;color:#1f2d3d;';
  const cell = (content: string, style = '') => `<tr><td style="${font}padding:0 32px 14px 32px;${style}">${content}</td></tr>`;
  const body = m.paragraphs.map((p) => cell(escapeHtml(p))).join('\n');
  const signature = m.signature.length
    ? cell(`<strong style="color:#1a4b8c;">${escapeHtml(m.signature[0] ?? '')}</strong><br>${m.signature.slice(1).map(escapeHtml).join('<br>')}`, 'padding-top:8px;')
    : '';
  const quote = m.quote
    ? cell(
        `<div style="border-top:1px solid #d0d7e2;padding-top:12px;color:#5b6b7f;font-size:13px;">${escapeHtml(m.quote.attribution)}</div>` +
          `<blockquote style="margin:8px 0 0 0;padding:0 0 0 12px;border-left:3px solid #d0d7e2;color:#5b6b7f;font-size:13px;">${m.quote.text
            .split('\n')
            .map((line) => escapeHtml(line) || '<br>')
            .join('<br>\n')}</blockquote>`,
      )
    : '';
  const footer: string[] = [];
  const social = ['facebook', 'instagram', 'pinterest', 'youtube']
    .map((name) => `<a href="https://www.${m.brand.domain}/r/${name}?utm_source=email&amp;utm_medium=service" style="text-decoration:none;"><img src="https://static.${m.brand.domain}/email/${name}.png" width="28" height="28" alt="${name}" style="display:inline-block;border:0;margin:0 6px;"></a>`)
    .join('');
  footer.push(`<tr><td align="center" style="padding:18px 32px;background-color:#f3f6fa;">${social}</td></tr>`);
  const head = `<!DOCTYPE html>
<html lang="fr"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(m.brand.name)}</title>
<style type="text/css">body{margin:0;padding:0;background-color:#eef2f7;} table{border-collapse:collapse;} img{border:0;outline:none;} @media only screen and (max-width:620px){.container{width:100% !important;} .mobile-pad{padding-left:16px !important;padding-right:16px !important;}}</style></head>
<body style="margin:0;padding:0;background-color:#eef2f7;">
<div style="display:none;max-height:0;overflow:hidden;">${escapeHtml(m.paragraphs[1] ?? '')}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#eef2f7;"><tr><td align="center" style="padding:24px 8px;">
<table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" style="width:600px;background-color:#ffffff;border-radius:6px;">
<tr><td style="padding:20px 32px;background-color:#1a4b8c;border-radius:6px 6px 0 0;"><a href="https://www.${m.brand.domain}/"><img src="cid:logo@${m.brand.domain}" alt="${escapeHtml(m.brand.name)}" width="180" height="48" style="display:block;border:0;"></a></td></tr>
<tr><td style="height:24px;line-height:24px;font-size:0;">&nbsp;</td></tr>`;
  const tail = `</table>
<img src="https://t.${m.brand.domain}/o/${m.trackingId}.gif" width="1" height="1" alt="" style="display:block;">
</td></tr></table></body></html>`;
  let html = `${head}\n${body}\n${signature}\n${quote}\n${footer.join('\n')}`;
  // Legal blocks, in varying order and number, until the message weighs about 8 KB.
  const target = TARGET_BYTES * (0.55 + random() * 0.2);
  for (const legal of shuffled(random, [...LEGAL, ...LEGAL])) {
    if (html.length >= target) break;
    html += `\n<tr><td style="${font}font-size:11px;line-height:16px;color:#8a97a8;padding:4px 32px 8px 32px;background-color:#f3f6fa;">${escapeHtml(legal)}</td></tr>`;
  }
  return `${html}\n${tail}`;
}

interface Envelope {
  from: string;
  to: string;
  subject: string;
  date: Date;
  messageId: string;
  headers: string[];
  /** The plain-text alternative; null for an HTML-only message. */
  text: string | null;
  html: string;
  logo: boolean;
}

/**
 * Headers, then the HTML part, beside its plain-text alternative when there is one
 * (multipart/alternative), with the logo embedded when asked (multipart/related).
 */
function assemble(random: Random, e: Envelope): Buffer {
  const encoding = pick(random, ['quoted-printable', 'quoted-printable', 'quoted-printable', 'base64', '8bit'] as const);
  const headers = [
    `Return-Path: <${/<([^>]+)>/.exec(e.from)?.[1] ?? e.from}>`,
    `From: ${encodeHeader(e.from)}`,
    `To: ${encodeHeader(e.to)}`,
    `Subject: ${encodeHeader(e.subject)}`,
    `Date: ${e.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${e.messageId}>`,
    ...e.headers,
    'MIME-Version: 1.0',
  ];
  const html = leaf('text/html; charset="utf-8"', encoding, e.html);
  let body = e.text === null ? html : multipart(random, 'multipart/alternative', [leaf('text/plain; charset="utf-8"', encoding, e.text), html]);
  if (e.logo) {
    const domain = e.messageId.split('@')[1]?.replace(/^mail\./, '') ?? 'example.com';
    const logo = [
      'Content-Type: image/png; name="logo.png"',
      'Content-Transfer-Encoding: base64',
      `Content-ID: <logo@${domain}>`,
      'Content-Disposition: inline; filename="logo.png"',
      '',
      wrap(logoBytes(random).toString('base64')),
    ];
    body = multipart(random, 'multipart/related', [body, logo], `type="${e.text === null ? 'text/html' : 'multipart/alternative'}"; `);
  }
  return Buffer.from([...headers, ...body, ''].join('\r\n'), 'utf8');
}

function leaf(contentType: string, encoding: 'quoted-printable' | 'base64' | '8bit', text: string): string[] {
  return [`Content-Type: ${contentType}`, `Content-Transfer-Encoding: ${encoding}`, '', encodeBody(text, encoding)];
}

function multipart(random: Random, type: string, parts: string[][], parameters = ''): string[] {
  const boundary = `----=_${type.split('/')[1]}_${hex(random, 24)}`;
  return [`Content-Type: ${type}; ${parameters}boundary="${boundary}"`, '', ...parts.flatMap((part) => [`--${boundary}`, ...part]), `--${boundary}--`];
}

/** A PNG-looking blob of about 900 bytes (a small logo). */
function logoBytes(random: Random): Buffer {
  const bytes = Buffer.alloc(900);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
  for (let i = 8; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

function encodeBody(text: string, encoding: 'quoted-printable' | 'base64' | '8bit'): string {
  const crlf = text.replace(/\r?\n/g, '\r\n');
  if (encoding === 'base64') return wrap(Buffer.from(crlf, 'utf8').toString('base64'));
  if (encoding === '8bit') return crlf;
  return crlf.split('\r\n').map(quotedPrintableLine).join('\r\n');
}

/** RFC 2045 quoted-printable of one line, with soft breaks at 76 characters. */
function quotedPrintableLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  const tokens: string[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const last = i === bytes.length - 1;
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
    tokens.push(literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`);
  }
  const out: string[] = [];
  let current = '';
  for (const token of tokens) {
    if (current.length + token.length > 75) {
      out.push(`${current}=`);
      current = '';
    }
    current += token;
  }
  out.push(current);
  return out.join('\r\n');
}

function wrap(base64: string): string {
  return base64.replace(/.{1,76}/g, (chunk) => `${chunk}\r\n`).trimEnd();
}

/** Encoded words for non-ASCII header text (display names and subjects), as clients write them. */
function encodeHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const address = /\s*<[^>]+>$/.exec(value)?.[0] ?? '';
  const phrase = value.slice(0, value.length - address.length);
  return `=?UTF-8?B?${Buffer.from(phrase, 'utf8').toString('base64')}?=${address}`;
}

/** "lun. 5 janv. 2026 à 09:00", as French clients write attribution lines (UTC here). */
function formatFrenchDate(date: Date): string {
  const days = ['dim.', 'lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.'];
  const months = ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'];
  const time = `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  return `${days[date.getUTCDay()]} ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} à ${time}`;
}
