/**
 * The whole reading of one raw message, as `sonde analyse` prints it and as the
 * analysis job stores it: classification with its signals, the new text cut from
 * quoted history and signature, its language, and the quality analysis.
 */
import { analyseReply, type AnalysisContext, type ReplyAnalysis } from '../audit/analyse.ts';
import { classifyMessage, type Classification } from '../audit/classify.ts';
import { detectLanguage } from '../audit/language.ts';
import type { ParsedMessage } from '../audit/message.ts';
import { splitReply } from '../audit/quote.ts';
import { hasSpeller, loadSpeller, type SpellerLanguage } from '../spell/hunspell.ts';

export interface MessageReading {
  parsed: ParsedMessage;
  classification: Classification;
  replyText: string;
  signature: string | null;
  language: string;
  analysis: ReplyAnalysis | null;
}

/**
 * Reads a parsed message and analyses its reply text. `fallbackLanguage` is the
 * campaign's (or the CLI's `--lang`): used when the reply's own language is
 * undetermined, and for the speller of a language without a dictionary here.
 */
export async function readMessage(
  parsed: ParsedMessage,
  options: { context: AnalysisContext; fallbackLanguage?: SpellerLanguage; brandDomains?: string[]; analyse?: boolean },
): Promise<MessageReading> {
  const classification = classifyMessage(parsed, { brandDomains: options.brandDomains ?? options.context.brand?.senderDomains ?? [] });
  const split = splitReply(parsed.text);
  const detected = split.replyText ? detectLanguage(split.replyText) : 'und';
  const language = detected === 'und' && options.fallbackLanguage ? options.fallbackLanguage : detected;
  let analysis: ReplyAnalysis | null = null;
  if (options.analyse !== false && split.replyText) {
    const main: SpellerLanguage = hasSpeller(language) ? language : (options.fallbackLanguage ?? 'fr');
    const alternate: SpellerLanguage = main === 'fr' ? 'en' : 'fr';
    const [speller, alternateSpeller] = await Promise.all([loadSpeller(main), loadSpeller(alternate)]);
    analysis = analyseReply({
      message: parsed,
      replyText: split.replyText,
      signature: split.signature,
      language,
      context: options.context,
      speller,
      alternateSpeller,
    });
  }
  return { parsed, classification, replyText: split.replyText, signature: split.signature, language, analysis };
}
