/** The original message quoted below a reply, as mail clients write it. */
import { DateTime } from 'luxon';
import { isFrench } from './language.ts';

export interface QuotedMessage {
  text: string;
  sentAt: Date;
  from: { name: string; address: string };
}

/** The original below the new text, introduced the way mail clients do ("Le … a écrit :"). */
export function withQuote(text: string, original: QuotedMessage, language: string, timezone: string): string {
  const french = isFrench(language);
  const when = DateTime.fromJSDate(original.sentAt, { zone: timezone }).setLocale(french ? 'fr' : 'en-GB');
  const who = `${original.from.name} <${original.from.address}>`;
  const intro = french
    ? `Le ${when.toFormat("ccc d LLL yyyy 'à' HH:mm")}, ${who} a écrit :`
    : `On ${when.toFormat("ccc, d LLL yyyy 'at' HH:mm")}, ${who} wrote:`;
  const quoted = original.text.replace(/\r\n/g, '\n').trimEnd().split('\n').map((line) => (line ? `> ${line}` : '>'));
  return `${text.trimEnd()}\n\n${intro}\n${quoted.join('\n')}\n`;
}
