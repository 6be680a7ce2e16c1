/**
 * `sonde analyse FILE...`: one JSON line per raw message, in the order given, with no
 * database. A file that cannot be read gets its line with an `error`; the others go on.
 */
import { readFile } from 'node:fs/promises';
import type { AnalysisContext } from './audit/analyse.ts';
import { readMessage } from './flow/analyse-message.ts';
import { parseMessage } from './mail/parse.ts';
import type { SpellerLanguage } from './spell/hunspell.ts';

export interface AnalyseOptions {
  persona?: string;
  brandDomain?: string[];
  brandName?: string;
  lang?: SpellerLanguage;
}

export function contextFromOptions(options: AnalyseOptions): AnalysisContext {
  const [firstName = '', ...rest] = (options.persona ?? '').trim().split(/\s+/);
  const domains = (options.brandDomain ?? []).map((d) => d.toLowerCase());
  return {
    persona: options.persona ? { firstName, lastName: rest.join(' ') } : null,
    brand:
      domains.length > 0 || options.brandName
        ? { name: options.brandName ?? domains[0]?.split('.')[0] ?? '', senderDomains: domains, vocabulary: [], charter: { logoHints: [], colors: [] } }
        : null,
  };
}

export async function analyseFile(file: string, options: AnalyseOptions): Promise<Record<string, unknown>> {
  let source: Buffer;
  try {
    source = await readFile(file);
  } catch (err) {
    return { file, error: `cannot read the file: ${(err as Error).message}` };
  }
  try {
    const parsed = await parseMessage(source);
    const reading = await readMessage(parsed, {
      context: contextFromOptions(options),
      ...(options.lang && { fallbackLanguage: options.lang }),
    });
    const a = reading.analysis;
    return {
      file,
      kind: reading.classification.kind,
      signals: reading.classification.signals,
      language: reading.language,
      from: parsed.from?.address ?? null,
      subject: parsed.subject,
      date: parsed.date,
      replyText: reading.replyText,
      signature: reading.signature,
      wordCount: a?.wordCount ?? 0,
      spelling: a?.spelling ?? null,
      typography: a?.typography ?? null,
      form: a?.form ?? null,
      relevance: a?.relevance ?? null,
      analyserVersion: a?.version ?? null,
      parseError: parsed.parseError,
    };
  } catch (err) {
    return { file, error: `cannot analyse the message: ${(err as Error).message}` };
  }
}
