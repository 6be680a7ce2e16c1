import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyMessage, substantiveWordCount } from '../../src/audit/classify.ts';
import type { ParsedMessage } from '../../src/audit/message.ts';
import { parseMessage } from '../../src/mail/parse.ts';

const fixture = async (name: string): Promise<ParsedMessage> =>
  parseMessage(readFileSync(new URL(`../fixtures/eml/${name}`, import.meta.url)));

/** A plain human-looking message; each test changes what it is about. */
function message(overrides: Partial<ParsedMessage> = {}): ParsedMessage {
  return {
    messageId: 'answer-1@marque.example',
    inReplyTo: ['probe-1@boite.example'],
    references: ['probe-1@boite.example'],
    from: { name: 'Julie Martin', address: 'julie.martin@marque.example' },
    returnPath: 'julie.martin@marque.example',
    to: [{ name: 'Marie Dupont', address: 'marie.dupont@boite.example' }],
    cc: [],
    replyTo: [],
    subject: 'Re: Question',
    date: new Date('2024-03-04T10:00:00Z'),
    headers: {},
    text: 'Bonjour Madame,\n\nVotre colis part demain matin par Colissimo.\n\nCordialement,\nJulie Martin',
    html: null,
    contentType: 'text/plain',
    partTypes: ['text/plain'],
    attachments: [],
    parseError: null,
    ...overrides,
  };
}

describe('classifyMessage on real-looking messages', () => {
  it.each([
    ['gmail-fr-answer.eml'],
    ['apple-mail-en-answer.eml'],
    ['thunderbird-fr-answer.eml'],
    ['iphone-fr-answer.eml'],
    ['gmail-html-only-en-answer.eml'],
    ['outlook-en-original-message.eml'],
    ['brand-html-fr-answer.eml'],
  ])('%s is an answer', async (file) => {
    expect(classifyMessage(await fixture(file))).toEqual({ kind: 'answer', signals: [] });
  });

  it('keeps a human answer that starts with "nous avons bien reçu votre message" an answer', async () => {
    expect(classifyMessage(await fixture('outlook-fr-bien-recu-answer.eml'))).toEqual({
      kind: 'answer',
      signals: ['phrase:fr:nous avons bien reçu votre message', 'text:answers-beyond-receipt'],
    });
  });

  it.each([
    ['ack-auto-submitted-fr.eml', 'header:auto-submitted=auto-replied'],
    ['ack-x-autoreply-fr.eml', 'header:x-autoreply'],
    ['ack-x-autorespond-en.eml', 'header:x-autorespond'],
    ['ack-precedence-bulk-fr.eml', 'header:precedence=bulk'],
    ['ack-exchange-ooo-fr.eml', 'header:x-auto-response-suppress'],
    ['ack-exchange-ooo-fr.eml', 'subject:automatic-reply'],
    ['ack-exchange-ooo-fr.eml', 'sender:null'],
    ['ack-exchange-ooo-fr.eml', 'phrase:fr:absent du bureau'],
    ['ack-noreply-sender-fr.eml', 'sender:no-reply'],
    ['ack-receipt-phrase-fr.eml', 'phrase:fr:nous avons bien reçu votre message'],
    ['ack-receipt-phrase-fr.eml', 'text:receipt-only'],
    ['ack-ticket-en.eml', 'phrase:ticket-opened'],
    ['ack-auto-submitted-fr.eml', 'phrase:fr:nous avons bien reçu votre demande'],
  ])('%s is an acknowledgement, with %s', async (file, signal) => {
    const result = classifyMessage(await fixture(file));
    expect(result.kind).toBe('acknowledgement');
    expect(result.signals).toContain(signal);
  });

  it('calls a delivery status report a bounce', async () => {
    expect(classifyMessage(await fixture('bounce-postfix-dsn.eml'))).toEqual({
      kind: 'bounce',
      signals: ['report:delivery-status', 'part:message/delivery-status'],
    });
  });

  it('calls an automatic failure notice from a gateway a bounce, not an acknowledgement', async () => {
    expect(classifyMessage(await fixture('bounce-gateway-fr.eml'))).toEqual({
      kind: 'bounce',
      signals: ['header:auto-submitted=auto-replied', 'sender:null', 'phrase:fr:non remis'],
    });
  });

  it('leaves read receipts and abuse reports unknown', async () => {
    expect(classifyMessage(await fixture('read-receipt-fr.eml'))).toEqual({
      kind: 'unknown',
      signals: ['report:disposition-notification', 'part:message/disposition-notification'],
    });
    expect(classifyMessage(await fixture('abuse-feedback-report.eml'))).toEqual({
      kind: 'unknown',
      signals: ['report:feedback-report', 'part:message/feedback-report'],
    });
  });
});

describe('classifyMessage rules', () => {
  it('reads Auto-Submitted values, and "no" as a person', () => {
    const auto = (value: string): ParsedMessage => message({ headers: { 'auto-submitted': [value] } });
    expect(classifyMessage(auto('auto-generated (warning-timeout)')).signals).toEqual(['header:auto-submitted=auto-generated']);
    expect(classifyMessage(auto('no')).kind).toBe('answer');
  });

  it('counts Precedence bulk, junk and auto_reply, not list', () => {
    for (const value of ['bulk', 'junk', 'auto_reply']) {
      expect(classifyMessage(message({ headers: { precedence: [value] } })).signals).toEqual([`header:precedence=${value}`]);
    }
    expect(classifyMessage(message({ headers: { precedence: ['list'] } })).kind).toBe('answer');
  });

  it.each(['noreply', 'no-reply', 'no_reply', 'donotreply', 'do-not-reply', 'ne-pas-repondre', 'nepasrepondre', 'ne_pas_repondre', 'noreply-sav', 'info.noreply'])(
    'treats %s@ as a no-reply sender, which alone does not make an acknowledgement',
    (local) => {
      const from = { name: '', address: `${local}@marque.example` };
      expect(classifyMessage(message({ from }))).toEqual({ kind: 'answer', signals: ['sender:no-reply'] });
      const receipt = message({ from, text: 'Bonjour,\n\nNous avons bien reçu votre demande et nous reviendrons vers vous.\n\nLe service client' });
      expect(classifyMessage(receipt).kind).toBe('acknowledgement');
      expect(classifyMessage(receipt).signals).toContain('sender:no-reply');
    },
  );

  it('does not mistake ordinary addresses for no-reply senders', () => {
    for (const local of ['noreen', 'reply', 'service.client', 'replies-team']) {
      expect(classifyMessage(message({ from: { name: '', address: `${local}@marque.example` } })).kind).toBe('answer');
    }
  });

  it('calls MAILER-DAEMON and postmaster senders bounces', () => {
    expect(classifyMessage(message({ from: { name: '', address: 'mailer-daemon@mx.example' } })).signals).toEqual(['sender:mailer-daemon']);
    expect(classifyMessage(message({ from: { name: '', address: 'postmaster@mx.example' } })).kind).toBe('bounce');
  });

  it('calls an automatic message a bounce only when the failure is about the message', () => {
    const failure = message({ returnPath: '', text: 'Your message could not be delivered to service@marque.example.' });
    expect(classifyMessage(failure)).toEqual({ kind: 'bounce', signals: ['sender:null', 'phrase:en:delivery failed'] });
    const carrier = message({
      from: { name: 'Parcel Express', address: 'noreply@parcel-express.example' },
      subject: 'Delivery attempt',
      text: 'We were unable to deliver your parcel today. It could not be delivered because nobody was home.',
    });
    expect(classifyMessage(carrier)).toEqual({ kind: 'answer', signals: ['sender:no-reply'] });
  });

  it('looks for wording in the new text only, never in the quoted history', () => {
    const text = [
      'Bonjour Madame,',
      '',
      'Votre colis a été remis au transporteur ce matin.',
      '',
      'Le 4 mars 2024 à 10:12, Service client <noreply@marque.example> a écrit :',
      '> Ceci est un message automatique, merci de ne pas répondre.',
      '> Nous avons bien reçu votre demande.',
    ].join('\n');
    expect(classifyMessage(message({ text }))).toEqual({ kind: 'answer', signals: [] });
  });

  it('finds "merci de ne pas répondre" in a footer cut off as the signature', () => {
    const text = 'Bonjour,\n\nVotre commande est confirmée.\n\nCordialement,\nLe service client\nMerci de ne pas répondre à ce message.';
    expect(classifyMessage(message({ text }))).toEqual({ kind: 'acknowledgement', signals: ['phrase:fr:merci de ne pas répondre'] });
  });

  it('calls a receipt with long boilerplate (hours, help centre, link) an acknowledgement', () => {
    const text = [
      'Bonjour,',
      'Nous avons bien reçu votre demande et nous vous remercions de votre confiance.',
      'Notre service client est joignable du lundi au vendredi de 9 h à 18 h au 09 69 32 10 00.',
      'Vous trouverez peut-être déjà une réponse dans notre FAQ : https://www.marque.example/aide',
      'Un conseiller vous répondra dans les meilleurs délais.',
      'Cordialement,',
      'Le service client',
    ].join('\n');
    expect(classifyMessage(message({ text })).kind).toBe('acknowledgement');
  });

  it('keeps an English answer that opens with "thank you for contacting us" an answer', () => {
    const text = [
      'Hello Marie,',
      '',
      'Thank you for contacting us. I have checked your order: the blue jacket is back in stock and we shipped it this morning with tracking number 1Z999AA10123456784.',
      '',
      'Kind regards,',
      'Tom',
    ].join('\n');
    expect(classifyMessage(message({ text }))).toEqual({
      kind: 'answer',
      signals: ['phrase:en:thank you for contacting us', 'text:answers-beyond-receipt'],
    });
  });

  it('declares out-of-office and automated-response wording automatic on its own', () => {
    expect(classifyMessage(message({ text: 'I am currently out of the office with limited access to e-mail.' })).signals).toEqual([
      'phrase:en:out of office',
    ]);
    expect(classifyMessage(message({ text: 'This is an automated response. Your request has been logged.' })).kind).toBe('acknowledgement');
    expect(classifyMessage(message({ text: 'Réponse automatique : votre message a été transmis.' })).signals).toContain(
      'phrase:fr:réponse automatique',
    );
  });

  it.each([
    'Désolée pour le délai : j\'étais absente du bureau la semaine dernière. Votre colis est reparti ce matin.',
    'Sorry, I was out of the office last week. Your refund was issued this morning.',
    'Vous avez reçu une réponse automatique vendredi, veuillez nous en excuser : le remboursement est fait.',
    'Nous avons bien l\'accusé de réception de votre lettre recommandée ; le dossier est clos.',
  ])('does not take a person mentioning automatic messages for one: %j', (sentence) => {
    expect(classifyMessage(message({ text: `Bonjour,\n\n${sentence}\n\nCordialement,\nJulie` })).kind).toBe('answer');
  });

  it('matches French wording typed without accents', () => {
    expect(classifyMessage(message({ text: 'Bonjour, nous avons bien recu votre demande. Cordialement' })).signals).toContain(
      'phrase:fr:nous avons bien reçu votre demande',
    );
  });

  it('calls a message with no new text unknown', () => {
    expect(classifyMessage(message({ text: '\n> only the quote\n' }))).toEqual({ kind: 'unknown', signals: ['text:empty'] });
  });

  it('adds the brand-domain evidence without letting it change the kind', () => {
    const context = { brandDomains: ['marque.example'] };
    expect(classifyMessage(message(), context)).toEqual({ kind: 'answer', signals: ['sender:brand-domain'] });
    expect(classifyMessage(message({ from: { name: '', address: 'julie@sav.marque.example' } }), context).signals).toEqual([
      'sender:brand-domain',
    ]);
    const elsewhere = message({ from: { name: 'Julie', address: 'julie@helpdesk-platform.example' }, inReplyTo: [], references: [] });
    expect(classifyMessage(elsewhere, context)).toEqual({ kind: 'answer', signals: [] });
    expect(classifyMessage(message({ from: { name: '', address: 'noreply@marque.example' }, headers: { 'auto-submitted': ['auto-replied'] } }), context)).toEqual({
      kind: 'acknowledgement',
      signals: ['header:auto-submitted=auto-replied', 'sender:no-reply', 'sender:brand-domain'],
    });
  });
});

describe('no-reply senders on real-looking French mails', () => {
  it.each([
    ['answer-ne-pas-repondre-banque-fr.eml'],
    ['answer-noreply-html-energie-fr.eml'],
  ])('%s answers the question from a no-reply address: an answer', async (file) => {
    const result = classifyMessage(await fixture(file));
    expect(result).toEqual({ kind: 'answer', signals: ['sender:no-reply'] });
  });

  it.each([
    ['ack-noreply-sender-fr.eml', 'phrase:fr:votre message nous est parvenu'],
    ['ack-ne-pas-repondre-ticket-fr.eml', 'phrase:ticket-opened'],
  ])('%s, from a no-reply address with receipt or ticket wording, is an acknowledgement', async (file, signal) => {
    const result = classifyMessage(await fixture(file));
    expect(result.kind).toBe('acknowledgement');
    expect(result.signals).toEqual(expect.arrayContaining(['sender:no-reply', signal]));
  });
});

describe('substantiveWordCount', () => {
  it('leaves out greeting, receipt wording, boilerplate and closing formula', () => {
    expect(
      substantiveWordCount(
        'Bonjour Madame,\nNous avons bien reçu votre message.\nConsultez notre FAQ sur https://x.example.\nCordialement,',
      ),
    ).toBe(0);
    expect(substantiveWordCount('Bonjour,\nNous avons bien reçu votre message. Le colis part demain matin.')).toBe(5);
  });
});
