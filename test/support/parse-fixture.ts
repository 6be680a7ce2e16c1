/**
 * Reading the analysis fixtures: a raw `.eml` under `test/fixtures/analysis/` parsed by the
 * product's own parser, and the reply cut from it at lines the test names (the analysers take
 * the cut as input; how it is found is `quote.ts`'s business, tested on its own).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ParsedMessage } from '../../src/audit/message.ts';
import { parseMessage } from '../../src/mail/parse.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/analysis/', import.meta.url));

export async function parseFixture(name: string): Promise<ParsedMessage> {
  return parseMessage(await readFile(`${FIXTURES}${name}`));
}

export interface ReplyCut {
  replyText: string;
  signature: string | null;
}

/**
 * The reply text up to and including the line starting with `closing`, and the signature
 * from there to the line starting with `quoteStart` (or the end).
 */
export function cutReply(text: string, closing: string, quoteStart: string | null = null): ReplyCut {
  const normalised = text.replace(/\r\n?/gu, '\n');
  const quoteAt = quoteStart === null ? -1 : normalised.indexOf(quoteStart);
  const body = quoteAt === -1 ? normalised : normalised.slice(0, quoteAt);
  const closingAt = body.indexOf(closing);
  if (closingAt === -1) throw new Error(`closing line "${closing}" not found in fixture text`);
  const lineEnd = body.indexOf('\n', closingAt);
  const end = lineEnd === -1 ? body.length : lineEnd;
  const signature = body.slice(end).trim();
  return { replyText: body.slice(0, end).trim(), signature: signature === '' ? null : signature };
}
