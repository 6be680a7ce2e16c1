import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHeaderBlock, parseMessage } from '../../src/mail/parse.ts';
import { decodeEncodedWords } from '../../src/mail/mime-structure.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/eml/${name}`, import.meta.url));
const PROBE_ID = '20240304091203.4F2A1C0012@mail.boite.example';

describe('parseMessage', () => {
  it('reads the headers of a Gmail reply: ids without brackets, decoded subject, lower-cased addresses', async () => {
    const msg = await parseMessage(fixture('gmail-fr-answer.eml'));
    expect(msg.messageId).toBe('CAH7xK2vQp3mZ8nE1wR5tY6uI9oP0aS2dF4gH6jK8lZ1xC3vB5n@mail.gmail.com');
    expect(msg.inReplyTo).toEqual([PROBE_ID]);
    expect(msg.references).toEqual([PROBE_ID]);
    expect(msg.from).toEqual({ name: 'Julien Morel', address: 'julien.morel@lumiere-maison.example' });
    expect(msg.to).toEqual([{ name: 'Marie Dupont', address: 'marie.dupont@boite.example' }]);
    expect(msg.subject).toBe('Re: Question sur l’expédition de ma commande');
    expect(msg.date?.toISOString()).toBe('2024-03-04T13:37:09.000Z');
    expect(msg.returnPath).toBe('julien.morel@lumiere-maison.example');
    expect(msg.parseError).toBeNull();
  });

  it('keeps every header, names lower-cased, in order of appearance, values unfolded and decoded', async () => {
    const msg = await parseMessage(fixture('outlook-fr-bien-recu-answer.eml'));
    expect(Object.keys(msg.headers).slice(0, 4)).toEqual(['received', 'from', 'to', 'subject']);
    expect(msg.headers['thread-topic']).toEqual(['Question sur l\'expédition de ma commande']);
    expect(msg.headers['received']?.[0]).toMatch(/^from PR3P191MB1234\S+ \(2603:10a6:102:3a::12\) by AM9P191MB5678/);
    expect(msg.from).toEqual({ name: 'Service Client Maison Lumière', address: 'service.client@lumiere-maison.example' });
  });

  it('takes the text/plain part of an alternative and keeps the HTML beside it', async () => {
    const msg = await parseMessage(fixture('gmail-fr-answer.eml'));
    expect(msg.contentType).toBe('multipart/alternative');
    expect(msg.partTypes).toEqual(['text/plain', 'text/html']);
    expect(msg.text).toContain('Le lun. 4 mars 2024 à 10:12, Marie Dupont <marie.dupont@boite.example> a\nécrit :');
    expect(msg.html).toContain('class="gmail_quote"');
  });

  it('renders an HTML-only message to text, quoted history as "> " lines and links as their text', async () => {
    const msg = await parseMessage(fixture('gmail-html-only-en-answer.eml'));
    expect(msg.partTypes).toEqual(['text/html']);
    expect(msg.text).toMatch(/^Hi Marie,\n\nGood news: the replacement charger was shipped today with DHL\./);
    expect(msg.text).toMatch(/^> The charger that came with my laptop stopped working after a week\./m);
    expect(msg.text).toContain('Marie Dupont <marie.dupont@boite.example> wrote:');
    expect(msg.text).not.toContain('mailto:');
    expect(msg.text).not.toMatch(/\n{3}/);
  });

  it('marks an image referenced by cid as inline and a PDF attachment as not', async () => {
    const msg = await parseMessage(fixture('brand-html-fr-answer.eml'));
    expect(msg.partTypes).toEqual(['text/plain', 'text/html', 'image/png', 'application/pdf']);
    expect(msg.attachments).toEqual([
      { filename: 'logo.png', contentType: 'image/png', contentId: 'logo-maison-lumiere@lumiere-maison.example', size: expect.any(Number), inline: true },
      { filename: 'bon-de-retour-45872.pdf', contentType: 'application/pdf', contentId: null, size: expect.any(Number), inline: false },
    ]);
    expect(msg.html).toContain('cid:logo-maison-lumiere@lumiere-maison.example');
    expect(msg.replyTo).toEqual([{ name: 'Léa Fontaine', address: 'lea.fontaine@lumiere-maison.example' }]);
  });

  it('lists report parts as leaves and does not look inside the returned message', async () => {
    const msg = await parseMessage(fixture('bounce-postfix-dsn.eml'));
    expect(msg.contentType).toBe('multipart/report');
    expect(msg.partTypes).toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    expect(msg.returnPath).toBe('');
    expect(msg.from).toEqual({ name: 'Mail Delivery System', address: 'mailer-daemon@mx1.boite.example' });
    expect(msg.text).toContain('could not\nbe delivered');
    expect(msg.text).not.toContain('Reporting-MTA');
  });

  it('lists disposition-notification and feedback-report parts', async () => {
    expect((await parseMessage(fixture('read-receipt-fr.eml'))).partTypes).toContain('message/disposition-notification');
    expect((await parseMessage(fixture('abuse-feedback-report.eml'))).partTypes).toEqual([
      'text/plain',
      'message/feedback-report',
      'text/rfc822-headers',
    ]);
  });

  it('reads the parts of a multipart whose declared boundary never appears, and says so', async () => {
    const msg = await parseMessage(fixture('broken-missing-boundary.eml'));
    expect(msg.parseError).toMatch(/boundary "----=_Part_8812_1193\.1709563197" never appears/);
    expect(msg.parseError).toContain('"----=_Part_9999_0000.1709563197"');
    expect(msg.partTypes).toEqual(['text/plain']);
    expect(msg.text.trim()).toBe('Bonjour, le canapé Oslo est disponible en gris et en bleu, livraison sous trois semaines.');
  });

  it('reads a truncated message up to where it stops, and says the closing boundary is missing', async () => {
    const msg = await parseMessage(fixture('broken-truncated.eml'));
    expect(msg.parseError).toBe('multipart/alternative: closing boundary missing, the last part may be truncated');
    expect(msg.text).toContain('La révision complète coûte 65 euros');
    expect(msg.subject).toBe('Re\u00a0: Révision d\'un vélo');
    expect(msg.from?.name).toBe('Vélos Rivière');
  });

  it('never throws on a multipart without any boundary: headers read, parts unreadable, reason given', async () => {
    const source = Buffer.from(
      'From: Shop <Shop@Example.com>\r\nSubject: Hello\r\nContent-Type: multipart/mixed\r\n\r\nNo delimiter anywhere.\r\n',
    );
    const msg = await parseMessage(source);
    expect(msg.parseError).toBe('multipart/mixed has no boundary parameter, so none of its parts could be read');
    expect(msg.from?.address).toBe('shop@example.com');
    expect(msg.partTypes).toEqual([]);
  });

  it('reads a boundary parameter followed by a comment as mailparser does, without a defect', async () => {
    const msg = await parseMessage(
      Buffer.from('From: a@b.example\r\nContent-Type: multipart/mixed; boundary=m (comment)\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n--m--\r\n'),
    );
    expect(msg.partTypes).toEqual(['text/plain']);
    expect(msg.text.trim()).toBe('Bonjour');
    expect(msg.parseError).toBeNull();
  });

  it('falls back to the header block when the MIME parser gives up', async () => {
    const hugePartHeader = `X-Filler: ${'a'.repeat(80)}\r\n`.repeat(15_000);
    const source = Buffer.from(
      'From: Support <support@example.com>\r\nSubject: Votre demande\r\nMessage-ID: <big@example.com>\r\n' +
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
        `--b1\r\nContent-Type: text/plain\r\n${hugePartHeader}\r\nbody\r\n--b1--\r\n`,
    );
    const msg = await parseMessage(source);
    expect(msg.parseError).toMatch(/^the MIME body could not be parsed \(.+\); only the header block was read$/);
    expect(msg.subject).toBe('Votre demande');
    expect(msg.messageId).toBe('big@example.com');
    expect(msg.text).toBe('');
  });

  it('skips a byte-order mark, an mbox "From " line and a blank first line before the headers', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const withBom = await parseMessage(Buffer.concat([bom, Buffer.from('From: a@example.com\nSubject: BOM\n\nbody\n')]));
    expect(withBom.from?.address).toBe('a@example.com');
    const mbox = await parseMessage(Buffer.from('From MAILER-DAEMON  Mon Sep 20 19:29:27 2021\nFrom: b@example.com\n\nbody\n'));
    expect(mbox.from?.address).toBe('b@example.com');
    const blank = await parseMessage(Buffer.from('   \nFrom: c@example.com\nSubject: x\n\nbody\n'));
    expect(blank.subject).toBe('x');
  });

  it('decodes raw 8-bit UTF-8 headers, bare message ids and unreadable dates', async () => {
    const source = Buffer.from(
      'From: "Équipe Café" <Equipe@Cafe.example>\nSubject: Réponse à votre question\n' +
        'In-Reply-To: probe-1@boite.example\nReferences: <a@x.example> <b@x.example>\nDate: yesterday-ish\n\nbody\n',
      'utf8',
    );
    const msg = await parseMessage(source);
    expect(msg.from).toEqual({ name: 'Équipe Café', address: 'equipe@cafe.example' });
    expect(msg.subject).toBe('Réponse à votre question');
    expect(msg.inReplyTo).toEqual(['probe-1@boite.example']);
    expect(msg.references).toEqual(['a@x.example', 'b@x.example']);
    expect(msg.date).toBeNull();
    expect(msg.messageId).toBeNull();
  });
});

describe('parseHeaderBlock', () => {
  it('reads the headers of a message above the size cap and says the body was not parsed', () => {
    const msg = parseHeaderBlock(fixture('brand-html-fr-answer.eml'));
    expect(msg.subject).toBe('Votre bon de retour – commande n° 45872');
    expect(msg.from?.address).toBe('service.client@lumiere-maison.example');
    expect(msg.contentType).toBe('multipart/mixed');
    expect(msg.text).toBe('');
    expect(msg.attachments).toEqual([]);
    expect(msg.parseError).toMatch(/size cap/);
  });

  it('accepts the header block alone, as fetched without the body', () => {
    const head = Buffer.from('Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n');
    const msg = parseHeaderBlock(head, 'headers only: body not fetched');
    expect(msg.returnPath).toBe('');
    expect(msg.subject).toBe('Undelivered');
    expect(msg.parseError).toBe('headers only: body not fetched');
  });
});

describe('decodeEncodedWords', () => {
  it('joins adjacent encoded words, even when a character straddles two of them', () => {
    expect(decodeEncodedWords('=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?= plain')).toBe('éé plain');
    expect(decodeEncodedWords('=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=')).toBe('café');
  });

  it('keeps the text between words and survives an unknown charset', () => {
    expect(decodeEncodedWords('Re: =?iso-8859-1?Q?r=E9ponse?= ok')).toBe('Re: réponse ok');
    expect(decodeEncodedWords('=?x-unknown?Q?abc?=')).toBe('abc');
  });
});
