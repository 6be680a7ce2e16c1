/**
 * Quote headers in languages other than French and English (src/audit/quote-headers.ts), in
 * the layouts of the real messages of test/fixtures/eml/real.
 */
import { describe, expect, it } from 'vitest';
import { splitReply } from '../../src/audit/quote.ts';

const lines = (...rows: string[]): string => rows.join('\n');

describe('splitReply: quote headers in other languages', () => {
  it('cuts Gmail\'s German "X <x@y> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:" wrapped over two lines', () => {
    const split = splitReply(
      lines('Danke, das hilft.', '', 'Max Mustermann <max@beispiel.example> schrieb am Fr., 28.', 'Apr. 2017 um 11:53 Uhr:', '', '> Hallo'),
    );
    expect(split.replyText).toBe('Danke, das hilft.');
    expect(split.quoted).toMatch(/^Max Mustermann <max@beispiel\.example> schrieb am Fr\., 28\.\nApr\. 2017 um 11:53 Uhr:/);
  });

  it('keeps a text line written right above a name-first attribution in the reply', () => {
    const split = splitReply(lines('Danke, das hilft.', 'Max Mustermann <max@beispiel.example> schrieb am Fr., 28.', 'Apr. 2017 um 11:53 Uhr:', '> Hallo'));
    expect(split.replyText).toBe('Danke, das hilft.');
  });

  it('keeps a short text line with a number ("Room 12 is free") when an attribution follows it directly', () => {
    const split = splitReply(lines('Room 12 is free.', 'On Mon, Jan 1, 2024 at 10:00 AM Marie Dupont <', 'marie@boite.example> wrote:', '> Which room?'));
    expect(split.replyText).toBe('Room 12 is free.');
  });

  it('cuts the Norwegian "Den 15. jun. 2016 kl. 20.42 skrev X <x@y>:" and the wrapped "tir. 18. apr. 2017 kl. 13:09 skrev X <x@y\\n>:"', () => {
    expect(splitReply(lines('Takk!', '', 'Den 15. jun. 2016 kl. 20.42 skrev Kari Nordmann <kari@eksempel.example>:', '', 'Hei')).replyText).toBe('Takk!');
    expect(splitReply(lines('Takk!', '', 'tir. 18. apr. 2017 kl. 13:09 skrev Kari Nordmann <kari@eksempel.example', '>:', '', '> Hei')).replyText).toBe('Takk!');
  });

  it('cuts a wrapped Finnish "pe 20. lokakuuta 2017 klo 17.50 X\\n<x@y> kirjoitti:" followed by unquoted text', () => {
    const split = splitReply(lines('Kiitos.', '', 'pe 20. lokakuuta 2017 klo 17.50 Matti Meikäläinen', '<matti@esimerkki.example> kirjoitti:', '', 'Hei!'));
    expect(split.replyText).toBe('Kiitos.');
    expect(split.quoted).toContain('kirjoitti:');
  });

  it('cuts the verbless Russian Gmail attribution "ср, 30 апр. 2025 г. в 15:19, X <x@y>:"', () => {
    const split = splitReply(lines('Спасибо.', '', 'ср, 30 апр. 2025 г. в 15:19, Иван Петров <ivan@primer.example>:', '', 'привет'));
    expect(split.replyText).toBe('Спасибо.');
  });

  it('cuts Polish, Portuguese, Italian and Dutch attributions', () => {
    expect(splitReply(lines('Dzięki.', '', 'Dnia 14 lip 2015 o godz. 00:25 Jan Kowalski <jan@przyklad.example> napisał(a):', '', '> Cześć')).replyText).toBe('Dzięki.');
    expect(splitReply(lines('Obrigado.', '', 'Em 2 de fevereiro de 2015 10:58, Maria <', 'maria@exemplo.example> escreveu:', '', '> Olá')).replyText).toBe('Obrigado.');
    expect(splitReply(lines('Grazie.', '', 'In data 11 ottobre 2017 21:11:31 "Mario Rossi" <mario@esempio.example> ha scritto:', '', 'Buongiorno!')).replyText).toBe('Grazie.');
    expect(splitReply(lines('Bedankt.', 'Op 16 aug. 2014 05:13 schreef "Jan" <jan@voorbeeld.example> het', 'volgende geschreven:', '', '> Hallo')).replyText).toBe('Bedankt.');
  });

  it('cuts Swedish, Danish and Russian header blocks and separators', () => {
    const swedish = lines('Tack!', '', 'Från: Anna Svensson [mailto:anna@exempel.example]', 'Skickat: den 5 juni 2017 12:22', 'Till: support@exempel.example', 'Ämne: Bilder', '', 'Hej');
    expect(splitReply(swedish).replyText).toBe('Tack!');
    const danish = lines('Tak.', '', '-------- Oprindelig besked --------', 'Fra: A B <ab@eksempel.example>', 'Emne: Hej', '', 'Hej');
    expect(splitReply(danish).replyText).toBe('Tak.');
    const russian = lines('Спасибо.', '', 'От: Иван Петров', 'Отправлено: 26 июня 2014 г. 15:05', 'Кому: Анна', 'Тема: Тест', '', 'Привет');
    expect(splitReply(russian).replyText).toBe('Спасибо.');
  });

  it('cuts the Vietnamese "Vào …, X <x@y> đã viết:" followed by unquoted text', () => {
    expect(splitReply(lines('Cảm ơn.', '', 'Vào 14:24 8 tháng 6, 2017, Hùng Nguyễn <hung@example.com> đã viết:', '', 'Xin chào')).replyText).toBe('Cảm ơn.');
  });

  it('cuts Chinese and Japanese attributions ending in a full-width colon', () => {
    expect(splitReply(lines('谢谢。', '', '在 2016年12月12日，下午8:45，王伟 <wang@example.com> 写道：', '', '你好')).replyText).toBe('谢谢。');
    expect(splitReply(lines('ありがとう。', '', '2016年12月12日(月) 20:45 山田太郎 <yamada@example.com>:', '', 'こんにちは')).replyText).toBe('ありがとう。');
  });

  it('takes localized mobile footers for the signature ("Sendt fra min iPad", "Gesendet von Outlook")', () => {
    expect(splitReply(lines('Takk!', '', 'Sendt fra min iPad')).signature).toBe('Sendt fra min iPad');
    expect(splitReply(lines('Danke!', '', 'Gesendet von Outlook für Android')).signature).toBe('Gesendet von Outlook für Android');
    expect(splitReply(lines('Dank je!', '', 'Verzonden vanaf mijn iPhone')).replyText).toBe('Dank je!');
    expect(splitReply(lines('Danke!', '', 'Outlook für iOS beziehen <https://aka.ms/o0ukef>')).replyText).toBe('Danke!');
  });

  it('stays linear on a hostile line built to make the attribution patterns backtrack', () => {
    // an unbounded "<…@…>" run once took quadratic time on such a line, blocking the analysis worker
    const hostile = `Bonjour,\n<${'a@'.repeat(200_000)}\nx\nMerci`;
    const started = performance.now();
    const { replyText } = splitReply(hostile);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(replyText).toContain("Bonjour");
  });
});
