/**
 * The whole analysis of one reply: spelling, typography, form (greeting, closing, thanks,
 * signature, personalisation, logo, charter), relevance and a canned-answer fingerprint.
 * Pure: the caller splits the reply from its quote and signature (`quote.ts`), detects its
 * language and hands over the spellers; nothing here reads a file or a clock.
 */
import { assessCharter, type CharterFinding } from './charter.ts';
import { cannedFingerprint } from './canned.ts';
import type { AnalysisContext } from './context.ts';
import { findSignature, type SignatureFinding } from './form-signature.ts';
import { findClosing, findGreeting, findThanks, sentences, type Finding, type GreetingFinding } from './form.ts';
import { scanHtml } from './html-scan.ts';
import { findLogo, type LogoFinding } from './logo.ts';
import type { ParsedMessage } from './message.ts';
import { findPersonalisation, type PersonalisationFinding } from './personalisation.ts';
import { assessRelevance, type RelevanceFindings } from './relevance.ts';
import { checkSpelling, knownWordsOf, uncheckedSpelling, type Speller, type SpellingFindings } from './spelling.ts';
import { countWords } from './tokenize.ts';
import { checkTypography, type TypographyFindings } from './typography.ts';

export type { AnalysisContext } from './context.ts';

/**
 * Recorded with every analysis so that replies can be analysed again when the analysers
 * improve. Bump it whenever a change can alter a finding.
 */
export const ANALYSER_VERSION = '1.1.0';

export interface AnalyseInput {
  message: ParsedMessage;
  /** The reply's own new text, the closing formula line included, without quote or signature. */
  replyText: string;
  /** The lines after the closing formula (name, title, company, legal footer), or null. */
  signature: string | null;
  /** Detected language of `replyText` (`fr`, `en`…, `und` when unknown). */
  language: string;
  context: AnalysisContext;
  /** Dictionary of the reply's language (for `und`, the campaign's). */
  speller: Speller;
  /** Dictionary of a second language whose common words are tolerated (English in French), if loaded. */
  alternateSpeller?: Speller | null;
}

export interface FormFindings {
  greeting: GreetingFinding;
  closing: Finding;
  thanks: Finding;
  signature: SignatureFinding;
  personalised: PersonalisationFinding;
  logo: LogoFinding;
  charter: CharterFinding;
}

export interface ReplyAnalysis {
  version: string;
  /** The language the reply was analysed in: the detected one, or the speller's when undetermined. */
  language: string;
  /** Words of the reply text (signature excluded). */
  wordCount: number;
  sentenceCount: number;
  spelling: SpellingFindings;
  typography: TypographyFindings;
  form: FormFindings;
  relevance: RelevanceFindings;
  cannedFingerprint: string;
}

export function analyseReply(input: AnalyseInput): ReplyAnalysis {
  const { message, replyText, signature, context } = input;
  const language = input.language === 'und' ? input.speller.language : input.language;
  const persona = context.persona ?? null;
  const brand = context.brand ?? null;
  const personaNames = persona === null ? [] : [persona.firstName, persona.lastName];

  const spellers = spellersFor(language, input.speller, input.alternateSpeller ?? null);
  const spelling =
    spellers === null
      ? uncheckedSpelling(replyText, signature)
      : checkSpelling({
          replyText,
          signature,
          speller: spellers.main,
          alternate: spellers.alternate,
          knownWords: knownWordsOf([...personaNames, brand?.name, ...(brand?.vocabulary ?? []), message.from?.name]),
        });

  const closing = findClosing(replyText, signature);
  const scan = message.html === null ? null : scanHtml(message.html);
  const form: FormFindings = {
    greeting: findGreeting(replyText, persona),
    closing,
    thanks: findThanks(replyText),
    signature: findSignature({
      replyText,
      signature,
      closingLine: closing.evidence,
      senderName: message.from?.name || null,
      brandName: brand?.name ?? null,
    }),
    personalised: findPersonalisation({ replyText, language, persona, scenario: context.scenario ?? null, brandName: brand?.name ?? null }),
    logo: findLogo({ scan, attachments: message.attachments, brand }),
    charter: assessCharter(scan, brand?.charter),
  };

  return {
    version: ANALYSER_VERSION,
    language,
    wordCount: countWords(replyText),
    sentenceCount: sentences(replyText).length,
    spelling,
    typography: checkTypography(replyText, language),
    form,
    relevance: assessRelevance(replyText, context.scenario?.expectedPoints ?? [], language),
    cannedFingerprint: cannedFingerprint(replyText, language, personaNames),
  };
}

/**
 * The dictionary to check a reply of `language` with, and the one whose words it tolerates:
 * swapped when the reply is in the alternate's language, none when neither fits (a German
 * reply checked against French would be all errors).
 */
function spellersFor(language: string, speller: Speller, alternate: Speller | null): { main: Speller; alternate: Speller | null } | null {
  if (language === speller.language) return { main: speller, alternate };
  if (alternate !== null && language === alternate.language) return { main: alternate, alternate: speller };
  return null;
}
