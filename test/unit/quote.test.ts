import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitReply } from '../../src/audit/quote.ts';
import { cutSignature, isClosingFormula } from '../../src/audit/signature.ts';
import { parseMessage } from '../../src/mail/parse.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/eml/${name}`, import.meta.url));
const lines = (...rows: string[]): string => rows.join('\n');

describe('splitReply: quoted history', () => {
  it('cuts a Gmail attribution wrapped over two lines', () => {
    const split = splitReply(
      lines(
        'Yes, the store opens at 9 on Saturdays.',
        '',
        'On Mon, Jan 1, 2024 at 10:00 AM Marie Dupont <',
        'marie.dupont@boite.example> wrote:',
        '',
        '> Hello, when do you open on Saturdays?',
      ),
    );
    expect(split.replyText).toBe('Yes, the store opens at 9 on Saturdays.');
    expect(split.quoted).toMatch(/^On Mon, Jan 1, 2024 at 10:00 AM Marie Dupont <\nmarie\.dupont@boite\.example> wrote:/);
  });

  it('cuts the French Gmail attribution "Le lun. 1 janv. 2024 à 10:00, X <x@y> a écrit :"', () => {
    const split = splitReply(
      lines(
        'Bonjour, nous ouvrons à 9 h le samedi.',
        '',
        'Le lun. 1 janv. 2024 à 10:00, Marie Dupont <marie.dupont@boite.example> a',
        'écrit :',
        '> Bonjour, à quelle heure ouvrez-vous le samedi ?',
      ),
    );
    expect(split.replyText).toBe('Bonjour, nous ouvrons à 9 h le samedi.');
    expect(split.quoted).toContain('> Bonjour, à quelle heure');
  });

  it('cuts "Le 01/01/2024 à 10:00, X a écrit :" and the Thunderbird "On 01/01/2024 10:00, X wrote:"', () => {
    expect(splitReply('Oui.\n\nLe 01/01/2024 à 10:00, Marie Dupont a écrit :\n> Est-ce possible ?').replyText).toBe('Oui.');
    expect(splitReply('Yes.\n\nOn 01/01/2024 10:00, Marie Dupont wrote:\n> Is it possible?').replyText).toBe('Yes.');
  });

  it('cuts an Apple Mail attribution and keeps "Sent from my iPhone" as the signature', () => {
    const split = splitReply(
      lines('It ships tomorrow.', '', 'Sent from my iPhone', '', 'On 1 Jan 2024, at 10:00, Marie Dupont <m@boite.example> wrote:', '', '> When?'),
    );
    expect(split).toEqual({
      replyText: 'It ships tomorrow.',
      signature: 'Sent from my iPhone',
      quoted: 'On 1 Jan 2024, at 10:00, Marie Dupont <m@boite.example> wrote:\n\n> When?',
    });
  });

  it('cuts an Outlook "From: / Sent: / To: / Subject:" block even without a separator line', () => {
    const split = splitReply(
      lines('Refund done.', '', 'From: Marie Dupont [mailto:m@boite.example]', 'Sent: Monday, January 1, 2024 10:00 AM', 'To: Support', 'Subject: Refund', '', 'Hello, where is my refund?'),
    );
    expect(split.replyText).toBe('Refund done.');
    expect(split.quoted).toMatch(/^From: Marie Dupont/);
    expect(split.quoted).toContain('where is my refund?');
  });

  it('cuts the French Outlook block "De : / Envoyé : / À : / Objet :" from its separator', () => {
    const split = splitReply(
      lines(
        'Le remboursement a été fait ce matin.',
        '',
        '________________________________',
        'De : Marie Dupont <m@boite.example>',
        'Envoyé : lundi 1 janvier 2024 10:00',
        'À : Service client <sc@marque.example>',
        'Objet : Remboursement',
        '',
        'Bonjour, où en est mon remboursement ?',
      ),
    );
    expect(split.replyText).toBe('Le remboursement a été fait ce matin.');
    expect(split.quoted).toMatch(/^_{32}\nDe : Marie Dupont/);
  });

  it('cuts an Outlook block rendered from HTML, its rule a line of dashes', () => {
    const split = splitReply(
      lines('Le remboursement est fait.', '', '-'.repeat(40), '', 'De : Marie Dupont <m@boite.example>', 'Envoyé : lundi 1 janvier 2024 10:00', 'À : Service client', 'Objet : Remboursement'),
    );
    expect(split.replyText).toBe('Le remboursement est fait.');
    expect(split.quoted).toMatch(/^-{40}\n\nDe : Marie Dupont/);
  });

  it.each([
    '-----Original Message-----',
    '----- Original Message -----',
    '-------- Message original --------',
    '-----Message d\'origine-----',
    '-----Message d’origine-----',
    '---------- Forwarded message ---------',
    '-------- Message transféré --------',
    'Début du message réexpédié :',
    'Begin forwarded message:',
  ])('cuts at the separator %j', (separator) => {
    const split = splitReply(lines('Voici la réponse.', '', separator, 'Texte cité', 'sur deux lignes'));
    expect(split.replyText).toBe('Voici la réponse.');
    expect(split.quoted).toBe(lines(separator, 'Texte cité', 'sur deux lignes'));
  });

  it('cuts at the first ">" line when there is no attribution', () => {
    const split = splitReply('Oui, bien sûr.\n> Pouvez-vous ?\n> Merci');
    expect(split).toEqual({ replyText: 'Oui, bien sûr.', signature: null, quoted: '> Pouvez-vous ?\n> Merci' });
  });

  it('reads a bottom-posted reply after the quote', () => {
    const split = splitReply('On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi\nHello');
    expect(split.replyText).toBe('Hello');
    expect(split.quoted).toBe('On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi');
  });

  it('keeps inline answers written between quoted questions', () => {
    const split = splitReply(
      lines('Bonjour,', '', '> Livrez-vous en Corse ?', 'Oui, sous 5 jours.', '', '> Et en Belgique ?', 'Aussi, sous 3 jours.', '', 'Cordialement,', 'Paul'),
    );
    expect(split.replyText).toBe(lines('Bonjour,', '', 'Oui, sous 5 jours.', '', 'Aussi, sous 3 jours.', '', 'Cordialement,'));
    expect(split.signature).toBe('Paul');
    expect(split.quoted).toBe('> Livrez-vous en Corse ?\n> Et en Belgique ?');
  });

  it('gives an empty reply for a forward with no new text', () => {
    const split = splitReply('\n\n-------- Forwarded Message --------\nSubject: Hello\nFrom: A <a@x.example>\n\nBody');
    expect(split.replyText).toBe('');
    expect(split.quoted).toMatch(/^-------- Forwarded Message --------/);
  });

  it('does not cut at a sentence ending in "wrote:" or at an ordinary "Date :" line', () => {
    const text = lines(
      'Voici ce que mon collègue a écrit :',
      'le colis part demain.',
      'Date : 12 mars',
      'Heure : 10 h',
      'Lieu : agence de Lyon',
    );
    expect(splitReply(text)).toEqual({ replyText: text, signature: null, quoted: null });
  });

  it('trims trailing whitespace and leading blank lines', () => {
    expect(splitReply('\n\n  Bonjour   \t\nMerci  \n\n\n').replyText).toBe('Bonjour\nMerci');
  });
});

describe('splitReply: signature', () => {
  it('keeps the closing formula at the end of the reply and puts the lines after it in the signature', () => {
    const split = splitReply(
      lines('Bonjour Madame,', '', 'Votre colis part demain.', '', 'Cordialement,', '', 'Julie Martin', 'Service client', '01 23 45 67 89'),
    );
    expect(split.replyText).toBe('Bonjour Madame,\n\nVotre colis part demain.\n\nCordialement,');
    expect(split.signature).toBe('Julie Martin\nService client\n01 23 45 67 89');
  });

  it('takes the part after the "-- " delimiter when there is no closing formula', () => {
    const split = splitReply('Ok for Tuesday.\n\n-- \nJohn Smith\nAcme Ltd');
    expect(split).toEqual({ replyText: 'Ok for Tuesday.', signature: 'John Smith\nAcme Ltd', quoted: null });
  });

  it('recognises a long French letter closing and a closing followed by a name on the same line', () => {
    expect(
      splitReply('Le dossier est complet.\nVeuillez agréer, Madame, l\'expression de nos salutations distinguées.\nLe service client').signature,
    ).toBe('Le service client');
    expect(splitReply('Le dossier est complet.\n\nCordialement, Marie Dupont\nConseillère').replyText).toBe(
      'Le dossier est complet.\n\nCordialement, Marie Dupont',
    );
  });

  it('does not cut when the text goes on after "Thanks," (a message, not a signature)', () => {
    const text = lines(
      'Thanks,',
      '',
      'I checked with the warehouse and your parcel was left with a neighbour at number 12, who signed for it at 14:02.',
      'Please let us know if it is not there.',
    );
    expect(splitReply(text)).toEqual({ replyText: text, signature: null, quoted: null });
  });

  it('cuts at "Merci !" only when a name follows it', () => {
    const text = 'Bonjour,\nMerci !\nLe colis part demain.\nIl arrivera jeudi.';
    expect(splitReply(text)).toEqual({ replyText: text, signature: null, quoted: null });
    expect(splitReply('Le colis part demain.\n\nMerci !\nJulie').signature).toBe('Julie');
  });

  it('puts a French mobile footer in the signature', () => {
    expect(splitReply('Oui, c\'est noté.\n\nEnvoyé de mon iPhone')).toEqual({
      replyText: 'Oui, c\'est noté.',
      signature: 'Envoyé de mon iPhone',
      quoted: null,
    });
  });

  it('knows the closing formulas, whatever their case, accents and punctuation', () => {
    for (const closing of ['Cordialement,', 'Bien cordialement', 'BIEN À VOUS.', 'Bien a vous', 'Sincères salutations', 'Best regards,', 'Kind regards', 'Regards,', 'Thanks,', 'Merci !']) {
      expect(isClosingFormula(closing), closing).toBe(true);
    }
    for (const line of ['Merci pour votre message, voici la réponse.', 'Regards to your team and see you soon at the fair next week', '']) {
      expect(isClosingFormula(line), line).toBe(false);
    }
  });

  it('returns every line as body when there is no signature', () => {
    expect(cutSignature(['Bonjour', 'Oui.'])).toEqual({ body: ['Bonjour', 'Oui.'], signature: [] });
  });
});

describe('splitReply on messages from real clients', () => {
  const cases: Array<[string, string, RegExp, RegExp, RegExp]> = [
    ['gmail-fr-answer.eml', 'Bonjour Madame Dupont,', /Bien à vous,$/, /^Julien Morel\nConseiller clientèle – Maison Lumière\n01 23 45 67 89$/, /^Le lun\. 4 mars 2024 à 10:12/],
    ['outlook-fr-bien-recu-answer.eml', 'Bonjour Madame Dupont,', /Bien cordialement,$/, /^Sophie Lambert\nService Relation Client\nMaison Lumière – 18 rue des Artisans, 69002 Lyon$/, /^_+\nDe : Marie Dupont/],
    ['apple-mail-en-answer.eml', 'Hello Marie,', /Kind regards,$/, /^Tom Becker\nCustomer Care, Northwind Outfitters\n\+44 20 7946 0958$/, /^> On 4 Mar 2024, at 10:12/],
    ['thunderbird-fr-answer.eml', 'Bonjour Madame,', /Cordialement,$/, /^Paul Girard\n\n--\nLibrairie des Quais\n12 quai Saint-Michel, 75005 Paris$/, /^Le 04\/03\/2024 à 10:12, Marie Dupont a écrit :/],
    ['iphone-fr-answer.eml', 'Bonjour Madame, oui nous livrons bien en Corse', /Bonne journée$/, /^Envoyé de mon iPhone$/, /^> Le 4 mars 2024 à 10:12/],
    ['gmail-html-only-en-answer.eml', 'Hi Marie,', /Best regards,$/, /^Priya Shah\nSupport Team, Contoso Electronics$/, /^On Mon, Mar 4, 2024 at 10:12 AM/],
    ['outlook-en-original-message.eml', 'Dear Ms Dupont,', /Best regards,$/, /^David Okafor\nCustomer Service Advisor \| Fabrikam Bank[\s\S]*notify the sender\.$/, /^-----Original Message-----\nFrom: Marie Dupont/],
  ];

  it.each(cases)('%s', async (file, start, end, signature, quoted) => {
    const split = splitReply((await parseMessage(fixture(file))).text);
    expect(split.replyText.startsWith(start)).toBe(true);
    expect(split.replyText).toMatch(end);
    expect(split.signature).toMatch(signature);
    expect(split.quoted).toMatch(quoted);
    expect(split.replyText).not.toMatch(/Marie Dupont <|> /);
  });
});
