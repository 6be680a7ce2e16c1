import { describe, expect, it } from 'vitest';
import {
  CLOCK_SKEW_MS,
  buildThreadIndex,
  extractTicketRefs,
  matchMessage,
  type MatchCandidate,
  type MatchableMessage,
  type ThreadIndex,
} from '../../src/audit/match.ts';
import { normaliseSubject } from '../../src/audit/subject.ts';

// Marie Dupont's test mailbox, two audited brands, probes sent on Monday 24 March 2025.

const MAILBOX = 'mailbox-marie';
const MAILBOX_ADDRESS = 'marie.dupont@boite-test.fr';

const LUMIERE = {
  brandId: 'brand-lumiere',
  brandSenderDomains: ['maison-lumiere.fr', 'maisonlumiere.zendesk.com'],
  brandContactAddresses: ['service.client@maison-lumiere.fr'],
};
const VELOCITE = {
  brandId: 'brand-velocite',
  brandSenderDomains: ['velocite.com'],
  brandContactAddresses: ['contact@velocite-shop.com'],
};

/** The opening every scenario of the campaign shares: quoting it proves nothing. */
const STOCK_OPENING = "Bonjour, je me permets de vous contacter car j'ai une question importante.";
const WARRANTY = {
  subject: 'Question sur la garantie de mon lave-linge',
  body: [
    STOCK_OPENING,
    '',
    "J'ai acheté un lave-linge Hublot 8 kg dans votre magasin de Lyon en janvier dernier. Depuis une",
    "semaine, il fait un bruit de claquement pendant l'essorage. Est-il toujours sous garantie, et",
    'comment dois-je procéder pour le faire réparer ?',
    '',
    "Merci d'avance,",
    'Marie Dupont',
  ].join('\n'),
};
const DELIVERY = {
  subject: 'Où en est ma livraison ?',
  body: [
    STOCK_OPENING,
    '',
    "J'ai commandé une cafetière à piston sur votre site il y a dix jours et je n'ai toujours reçu",
    'aucune nouvelle de la livraison. Pouvez-vous me dire où en est mon colis ?',
    '',
    "Merci d'avance,",
    'Marie Dupont',
  ].join('\n'),
};

const MONDAY_10H = new Date('2025-03-24T10:00:00+01:00');
const MONDAY_14H = new Date('2025-03-24T14:00:00+01:00');

function probe(id: string, overrides: Partial<MatchCandidate> = {}): MatchCandidate {
  return {
    id,
    mailboxId: MAILBOX,
    channel: 'email',
    messageId: `${id}.7f3a9c2e@sonde.example`,
    reminderMessageIds: [],
    personaAddress: MAILBOX_ADDRESS,
    ...WARRANTY,
    sentAt: MONDAY_10H,
    ...LUMIERE,
    ...overrides,
  };
}

function message(overrides: Partial<MatchableMessage> = {}): MatchableMessage {
  const replyText = 'Bonjour Madame Dupont, nous revenons vers vous au sujet de votre demande.';
  return {
    messageId: 'CAF3x9@mail.maison-lumiere.fr',
    inReplyTo: [],
    references: [],
    from: { name: 'Service client Maison Lumière', address: 'service.client@maison-lumiere.fr' },
    to: [{ name: 'Marie Dupont', address: MAILBOX_ADDRESS }],
    cc: [],
    subject: 'Votre message',
    headers: {},
    text: replyText,
    mailboxId: MAILBOX,
    mailboxAddress: MAILBOX_ADDRESS,
    receivedAt: MONDAY_14H,
    replyText,
    ...overrides,
  };
}

/** A reply that quotes the probe below its own text, the way mail clients do. */
function quoting(body: string): string {
  const quoted = body
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
  const answer = 'Bonjour Madame Dupont,\nVotre appareil est bien couvert.\nCordialement,\nJulie';
  return `${answer}\n\nLe lun. 24 mars 2025, Marie Dupont a écrit :\n${quoted}`;
}

const NO_HISTORY: ThreadIndex = { messageIds: new Map(), ticketRefs: new Map() };

const to = (address: string) => [{ name: '', address }];
const from = (address: string) => ({ name: '', address });

describe('matchMessage: thread', () => {
  it("matches the probe's Message-ID in In-Reply-To, whatever the brackets and case", () => {
    const reply = message({ inReplyTo: ['<P1.7F3A9C2E@sonde.example>'] });
    const result = matchMessage(reply, [probe('p1'), probe('p2')], NO_HISTORY);
    expect(result).toEqual({
      probeId: 'p1',
      rule: 'thread',
      confidence: 1,
      evidence: { messageId: 'p1.7f3a9c2e@sonde.example', header: 'in-reply-to' },
    });
  });

  it("matches a reminder's Message-ID in References", () => {
    const reminded = probe('p1', { reminderMessageIds: ['relance-1.p1@sonde.example'] });
    const result = matchMessage(
      message({ references: ['unrelated@elsewhere.example', 'relance-1.p1@sonde.example'] }),
      [reminded, probe('p2')],
      NO_HISTORY,
    );
    expect(result).toMatchObject({ probeId: 'p1', rule: 'thread', evidence: { header: 'references' } });
  });

  it('matches a reply to an earlier message of the thread, known from the index', () => {
    const index = buildThreadIndex([
      { probeId: 'p2', messageId: '<first-answer@mail.maison-lumiere.fr>', subject: 'RE: question', replyText: '' },
    ]);
    const result = matchMessage(message({ inReplyTo: ['first-answer@mail.maison-lumiere.fr'] }), [probe('p1')], index);
    expect(result).toMatchObject({ probeId: 'p2', rule: 'thread', confidence: 1 });
  });

  it('matches a bounce that quotes the probe headers in its body', () => {
    const bounce = message({
      from: from('mailer-daemon@mx.hebergeur.example'),
      subject: 'Undelivered Mail Returned to Sender',
      text: [
        'This is the mail system.',
        '--- original headers ---',
        'Message-ID: <p2.7f3a9c2e@sonde.example>',
        'Subject: Où en est ma livraison ?',
      ].join('\n'),
    });
    const result = matchMessage(bounce, [probe('p1'), probe('p2', DELIVERY)], NO_HISTORY);
    expect(result).toMatchObject({ probeId: 'p2', rule: 'thread', evidence: { header: 'body' } });
  });

  it('wins over every weaker rule', () => {
    const other = probe('p2', { ...DELIVERY, sentAt: new Date('2025-03-24T11:00:00+01:00') });
    const result = matchMessage(
      message({ inReplyTo: ['p1.7f3a9c2e@sonde.example'], subject: `RE: ${DELIVERY.subject}` }),
      [probe('p1'), other],
      NO_HISTORY,
    );
    expect(result).toMatchObject({ probeId: 'p1', rule: 'thread' });
  });
});

describe('matchMessage: persona_address', () => {
  const perProbe = [
    probe('p1', { personaAddress: 'marie.dupont.k7@boite-test.fr' }),
    probe('p2', { personaAddress: 'm.dupont.q2@boite-test.fr' }),
  ];

  it("matches the probe's own address in To", () => {
    const result = matchMessage(message({ to: to('m.dupont.q2@boite-test.fr') }), perProbe, NO_HISTORY);
    expect(result).toEqual({
      probeId: 'p2',
      rule: 'persona_address',
      confidence: 0.95,
      evidence: { address: 'm.dupont.q2@boite-test.fr' },
    });
  });

  it('finds the address in Delivered-To when the brand wrote to an undisclosed list', () => {
    const reply = message({
      to: to('undisclosed-recipients@maison-lumiere.fr'),
      headers: { 'delivered-to': ['<Marie.Dupont.K7@boite-test.fr>'] },
    });
    const result = matchMessage(reply, perProbe, NO_HISTORY);
    expect(result).toMatchObject({ probeId: 'p1', rule: 'persona_address' });
  });

  it('proves nothing when the address belongs to several probes', () => {
    const personaAddress = 'marie.k7@boite-test.fr';
    const shared = [probe('p1', { personaAddress }), probe('p2', { ...DELIVERY, personaAddress })];
    const result = matchMessage(message({ to: to(personaAddress) }), shared, NO_HISTORY);
    expect(result).toBeNull();
  });

  it("never counts the mailbox's own address, even with a single probe", () => {
    expect(matchMessage(message(), [probe('p1')], NO_HISTORY)).toBeNull();
  });

  it('ignores a probe sent after the message arrived', () => {
    const personaAddress = 'marie.dupont.k7@boite-test.fr';
    const later = [probe('p1', { personaAddress, sentAt: new Date('2025-03-24T15:00:00+01:00') })];
    const result = matchMessage(message({ to: to(personaAddress) }), later, NO_HISTORY);
    expect(result).toBeNull();
  });
});

describe('matchMessage: ticket_ref', () => {
  const index = buildThreadIndex([
    {
      probeId: 'p1',
      messageId: 'ack-1@maisonlumiere.zendesk.com',
      subject: '[#48213] Votre demande a bien été reçue',
      replyText: 'Nous avons bien reçu votre demande.',
    },
  ]);
  const candidates = [probe('p1'), probe('p2', DELIVERY)];

  it('matches a reference seen earlier in the thread of one probe', () => {
    const result = matchMessage(message({ subject: 'Ticket #48213 : réponse de notre service' }), candidates, index);
    expect(result).toEqual({ probeId: 'p1', rule: 'ticket_ref', confidence: 0.9, evidence: { ticketRef: '48213' } });
  });

  it('reads the reference in the new text too', () => {
    const reply = message({ replyText: 'Suite à votre demande (Request #48213), voici notre réponse.' });
    const result = matchMessage(reply, candidates, index);
    expect(result).toMatchObject({ probeId: 'p1', rule: 'ticket_ref' });
  });

  it("ignores a reference that is part of our own probe's text", () => {
    const withFileNumber = [probe('p1', { body: `${WARRANTY.body}\nDossier n° 48213` }), probe('p2', DELIVERY)];
    expect(matchMessage(message({ subject: 'Dossier 48213' }), withFileNumber, index)).toBeNull();
  });

  it('ignores a reference carried by a sender known as another brand', () => {
    const withVelocite = [...candidates, probe('p3', { ...VELOCITE, subject: 'Pédalier', body: 'Mon pédalier grince.' })];
    const fromVelocite = message({ from: from('sav@velocite.com'), subject: 'Ticket #48213' });
    expect(matchMessage(fromVelocite, withVelocite, index)).toBeNull();
  });

  it('drops from the index a reference seen in the threads of two probes', () => {
    const twice = buildThreadIndex([
      { probeId: 'p1', messageId: null, subject: 'Case 00123456', replyText: '' },
      { probeId: 'p2', messageId: null, subject: 'Re: Case 00123456', replyText: '' },
      { probeId: 'p2', messageId: null, subject: 'Réf. ABC-12345', replyText: '' },
    ]);
    expect(Object.fromEntries(twice.ticketRefs)).toEqual({ 'ABC-12345': 'p2' });
  });
});

describe('matchMessage: domain_subject', () => {
  it('matches a brand known by an address at a public mail domain by that exact address, never by the domain', () => {
    const artisan = { brandSenderDomains: [], brandContactAddresses: ['atelier.boisdore@gmail.com'] };
    const reply = (address: string) => message({ from: from(address), subject: `RE: ${WARRANTY.subject}` });
    expect(matchMessage(reply('atelier.boisdore@gmail.com'), [probe('p1', artisan)], NO_HISTORY)).toMatchObject({ probeId: 'p1', rule: 'domain_subject' });
    expect(matchMessage(reply('Atelier.BoisDore@gmail.com'), [probe('p1', artisan)], NO_HISTORY)).toMatchObject({ probeId: 'p1' });
    // a stranger at gmail.com, on the same subject, is not the brand
    expect(matchMessage(reply('jean.inconnu@gmail.com'), [probe('p1', artisan)], NO_HISTORY)).toBeNull();
  });

  it('matches a reply that lost its threading headers by domain and subject', () => {
    const reply = message({ subject: `RE: ${WARRANTY.subject}` });
    const result = matchMessage(reply, [probe('p1'), probe('p2', DELIVERY)], NO_HISTORY);
    expect(result).toEqual({
      probeId: 'p1',
      rule: 'domain_subject',
      confidence: 0.6,
      evidence: { senderDomain: 'maison-lumiere.fr', subject: 'same', quotedBody: false },
    });
  });

  it('is surer when the reply also quotes the probe', () => {
    const result = matchMessage(
      message({ subject: `TR: Re: ${WARRANTY.subject}`, text: quoting(WARRANTY.body) }),
      [probe('p1'), probe('p2', DELIVERY)],
      NO_HISTORY,
    );
    expect(result).toMatchObject({ probeId: 'p1', confidence: 0.85, evidence: { subject: 'same', quotedBody: true } });
  });

  it('matches on the quoted body alone when the subject was rewritten', () => {
    const result = matchMessage(
      message({ subject: 'Votre demande', text: quoting(DELIVERY.body) }),
      [probe('p1'), probe('p2', DELIVERY)],
      NO_HISTORY,
    );
    expect(result).toMatchObject({
      probeId: 'p2',
      rule: 'domain_subject',
      confidence: 0.65,
      evidence: { quotedBody: true },
    });
  });

  it('does not count a quoted passage every probe shares', () => {
    const result = matchMessage(
      message({ subject: 'Votre demande', text: `Merci pour votre message.\n> ${STOCK_OPENING}` }),
      [probe('p1'), probe('p2', DELIVERY)],
      NO_HISTORY,
    );
    expect(result).toBeNull();
  });

  it('matches a subject wrapped in a ticket tool’s own words, less surely', () => {
    const result = matchMessage(
      message({ subject: `[Maison Lumière] Demande n° 77812 reçue - ${WARRANTY.subject.toUpperCase()}` }),
      [probe('p1')],
      NO_HISTORY,
    );
    expect(result).toMatchObject({ probeId: 'p1', confidence: 0.5, evidence: { subject: 'contained' } });
  });

  it('accepts a helpdesk domain listed among the sender domains, and subdomains', () => {
    for (const address of ['support@maisonlumiere.zendesk.com', 'noreply@mail.maison-lumiere.fr']) {
      const reply = message({ from: from(address), subject: `Re: ${WARRANTY.subject}` });
      const result = matchMessage(reply, [probe('p1')], NO_HISTORY);
      expect(result, address).toMatchObject({ probeId: 'p1', rule: 'domain_subject' });
    }
  });

  it("accepts the domain of a brand's contact address", () => {
    const reply = message({ from: from('contact@velocite-shop.com'), subject: 'RE: Pédalier qui grince' });
    const pedal = probe('p3', { ...VELOCITE, subject: 'Pédalier qui grince', body: 'Mon pédalier grince.' });
    const result = matchMessage(reply, [probe('p1'), pedal], NO_HISTORY);
    expect(result).toMatchObject({ probeId: 'p3', rule: 'domain_subject' });
  });

  it("refuses a sender outside the brand's domains", () => {
    const lookalike = message({ from: from('promo@maison-lumiere-offres.fr'), subject: `RE: ${WARRANTY.subject}` });
    expect(matchMessage(lookalike, [probe('p1')], NO_HISTORY)).toBeNull();
  });

  it('only considers probes of this mailbox sent before the message (give or take the clock skew)', () => {
    const reply = message({ subject: `RE: ${WARRANTY.subject}` });
    const otherMailbox = probe('p1', { mailboxId: 'mailbox-paul' });
    const sentLater = probe('p2', { sentAt: new Date(MONDAY_14H.getTime() + CLOCK_SKEW_MS + 1000) });
    const sentJustAfter = probe('p3', { sentAt: new Date(MONDAY_14H.getTime() + 60_000) });
    expect(matchMessage(reply, [otherMailbox, sentLater], NO_HISTORY)).toBeNull();
    expect(matchMessage(reply, [otherMailbox, sentLater, sentJustAfter], NO_HISTORY)).toMatchObject({ probeId: 'p3' });
  });

  it('prefers the probe with more evidence and lists the others', () => {
    // two probes with the same subject; only the second one's body is quoted
    const p2 = probe('p2', { body: DELIVERY.body });
    const reply = message({ subject: `RE: ${WARRANTY.subject}`, text: quoting(DELIVERY.body) });
    const result = matchMessage(reply, [probe('p1'), p2], NO_HISTORY);
    expect(result).toEqual({
      probeId: 'p2',
      rule: 'domain_subject',
      confidence: 0.85,
      evidence: {
        senderDomain: 'maison-lumiere.fr',
        subject: 'same',
        quotedBody: true,
        alternatives: [{ probeId: 'p1', confidence: 0.6 }],
      },
    });
  });

  it('picks the most recent of equally good probes, less surely, naming the other', () => {
    // the same scenario sent twice to the brand: the same subject and body
    const first = probe('p1');
    const second = probe('p2', { sentAt: new Date('2025-03-24T12:00:00+01:00') });
    const afterBoth = probe('p3', { sentAt: new Date('2025-03-24T16:00:00+01:00') });
    const result = matchMessage(
      message({ subject: `RE: ${WARRANTY.subject}`, text: quoting(WARRANTY.body) }),
      [first, second, afterBoth],
      NO_HISTORY,
    );
    expect(result).toMatchObject({
      probeId: 'p2',
      rule: 'domain_subject',
      confidence: 0.65,
      evidence: { alternatives: [{ probeId: 'p1', confidence: 0.65 }] },
    });
  });
});

describe('matchMessage: webform', () => {
  const webform = (id: string, sentAt: Date, overrides: Partial<MatchCandidate> = {}) =>
    probe(id, { channel: 'webform', messageId: null, subject: null, body: null, sentAt, ...overrides });

  it("matches the brand's answer to the open web-form probe of this persona", () => {
    const otherBrand = probe('p2', { ...VELOCITE, ...DELIVERY });
    const result = matchMessage(message(), [webform('w1', MONDAY_10H), otherBrand], NO_HISTORY);
    expect(result).toEqual({
      probeId: 'w1',
      rule: 'webform',
      confidence: 0.6,
      evidence: { senderDomain: 'maison-lumiere.fr', address: MAILBOX_ADDRESS },
    });
  });

  it('takes the most recent web-form probe sent before the message, less surely, when there are several', () => {
    const probes = [
      webform('w1', MONDAY_10H),
      webform('w2', new Date('2025-03-24T12:00:00+01:00')),
      webform('w3', new Date('2025-03-24T18:00:00+01:00')),
    ];
    expect(matchMessage(message(), probes, NO_HISTORY)).toMatchObject({
      probeId: 'w2',
      confidence: 0.4,
      evidence: { alternatives: [{ probeId: 'w1', confidence: 0.4 }] },
    });
  });

  it('requires the web-form probe’s own address among the recipients when it has one', () => {
    const own = webform('w1', MONDAY_10H, { personaAddress: 'marie.dupont.k7@boite-test.fr' });
    const toOther = message({ to: to('marie.dupont.zz@boite-test.fr') });
    expect(matchMessage(toOther, [own], NO_HISTORY)).toBeNull();
  });

  it('prefers the subject of a web-form probe when it is known', () => {
    const withSubject = webform('w1', MONDAY_10H, { subject: WARRANTY.subject });
    const reply = message({ subject: `RE: ${WARRANTY.subject}` });
    const result = matchMessage(reply, [withSubject, webform('w2', new Date('2025-03-24T12:00:00+01:00'))], NO_HISTORY);
    expect(result).toMatchObject({ probeId: 'w1', rule: 'domain_subject', confidence: 0.6 });
  });

  it("requires the brand's domain", () => {
    const newsletter = message({ from: from('news@promo-partenaires.example') });
    expect(matchMessage(newsletter, [webform('w1', MONDAY_10H)], NO_HISTORY)).toBeNull();
  });
});

describe('matchMessage: nothing fits', () => {
  it('leaves a message from nobody we know for the review queue', () => {
    const spam = message({ from: from('lotto@win.example'), subject: 'Vous avez gagné' });
    expect(matchMessage(spam, [probe('p1'), probe('p2', DELIVERY)], NO_HISTORY)).toBeNull();
  });

  it('leaves a message without sender for the review queue', () => {
    expect(matchMessage(message({ from: null, subject: `RE: ${WARRANTY.subject}` }), [probe('p1')], NO_HISTORY)).toBeNull();
  });
});

describe('extractTicketRefs', () => {
  it.each([
    ['[#12345] Votre demande', ['12345']],
    ['Ticket #12345 - mise à jour', ['12345']],
    ['Dossier n° 12345', ['12345']],
    ['N° de dossier : 98765', ['98765']],
    ['Case 00123456: Update', ['00123456']],
    ['Réf. ABC-12345 – votre question', ['ABC-12345']],
    ['Request #123 has been received', ['123']],
    ['numéro de votre demande : 4567', ['4567']],
    ['[Ticket#7788] RE: Ticket #7788', ['7788']],
  ])('finds the reference in %j', (text, refs) => {
    expect(extractTicketRefs(text)).toEqual(refs);
  });

  it.each([
    'Votre commande n° 123456 est partie',
    'Votre demande du 12/03/2024',
    'Ticket #12 trop court',
    'Dossier complet, merci',
  ])('finds none in %j', (text) => {
    expect(extractTicketRefs(text)).toEqual([]);
  });
});

describe('normaliseSubject', () => {
  it.each([
    ['RE: Question sur la garantie', 'question sur la garantie'],
    ['AW: Re[2]: TR : Fwd: Problème de livraison', 'probleme de livraison'],
    ['RE: [#12345] Question sur la GARANTIE !', 'question sur la garantie'],
    ['Réf. ABC-12345 - Où en est ma livraison ?', 'ou en est ma livraison'],
    ['[EXTERNAL] Re: Rép : Où en est ma livraison ?', 'ou en est ma livraison'],
  ])('%j reads as %j', (subject, expected) => {
    expect(normaliseSubject(subject)).toBe(expected);
  });
});
