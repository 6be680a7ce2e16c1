/**
 * The form of a reply, as an auditor reads it: a greeting (naming the persona or not), thanks
 * for the message, a closing formula. Each finding is a boolean with the words behind it.
 * The signature and personalisation live in `form-signature.ts` and `personalisation.ts`.
 */
import { genderOf, type Gender, type PersonaProfile } from './context.ts';
import { isClosingFormula } from './signature.ts';
import { foldWord, tokenize } from './tokenize.ts';

/** A boolean finding and the text that made it true (null when absent). */
export interface Finding {
  present: boolean;
  evidence: string | null;
}

export interface GreetingFinding extends Finding {
  /** The greeting names the persona ("Bonjour Madame Dupont", "Dear Ms Smith", "Bonjour Marie"). */
  namesPersona: boolean;
  /** "Monsieur" to a woman or "Madame" to a man. */
  wrongTitle: boolean;
}

export interface Line {
  text: string;
  offset: number;
}

/** Non-empty lines of `text`, trimmed, with the offset of their first character. */
export function nonEmptyLines(text: string): Line[] {
  const lines: Line[] = [];
  for (const match of text.matchAll(/[^\n]+/gu)) {
    const trimmed = match[0].trim();
    if (trimmed !== '') lines.push({ text: trimmed, offset: match.index + match[0].indexOf(trimmed) });
  }
  return lines;
}

const GREETING =
  /^(?:bonjour|bonsoir|bonne journee|salut|hello|hi|hey|coucou|madame|monsieur|mademoiselle|mesdames|messieurs|cher|chere|chers|cheres|dear|good (?:morning|afternoon|evening)|greetings)\b/u;
/** Where a greeting phrase ends: its punctuation, or the start of the first sentence after it. */
const GREETING_END = /[,;:!.?]|\s[-–—]\s/u;
const MAX_GREETING_CHARS = 80;
const TITLES: Record<Gender, RegExp> = {
  female: /\b(?:madame|mme|mademoiselle|mlle|mrs|ms|miss|madam|chere)\b/u,
  male: /\b(?:monsieur|mr|sir|cher)\b|\bm\.(?=\s)/u,
};

/** The greeting on the first line of the reply (or the second, under a heading). */
export function findGreeting(replyText: string, persona: PersonaProfile | null | undefined): GreetingFinding {
  for (const line of nonEmptyLines(replyText).slice(0, 2)) {
    if (!GREETING.test(foldWord(line.text))) continue;
    const end = GREETING_END.exec(line.text);
    const evidence = line.text.slice(0, Math.min(end?.index ?? line.text.length, MAX_GREETING_CHARS)).trim();
    const folded = foldWord(evidence);
    const gender = genderOf(persona);
    const other: Gender | null = gender === 'female' ? 'male' : gender === 'male' ? 'female' : null;
    return {
      present: true,
      evidence,
      namesPersona: findPersonaName(evidence, persona) !== null,
      wrongTitle: other !== null && TITLES[other].test(folded) && !TITLES[gender as Gender].test(folded),
    };
  }
  return { present: false, evidence: null, namesPersona: false, wrongTitle: false };
}

/**
 * The persona's first or last name as written in `text` ("Madame Dupont" → "Dupont"),
 * compared word by word with case and accents folded; null when absent.
 */
export function findPersonaName(text: string, persona: PersonaProfile | null | undefined): string | null {
  if (!persona) return null;
  const words = tokenize(text).filter((token) => token.kind === 'word');
  const folded = words.map((token) => foldWord(token.text));
  for (const name of [persona.lastName, persona.firstName]) {
    const parts = tokenize(name).map((token) => foldWord(token.text));
    if (parts.length === 0) continue;
    for (let start = 0; start + parts.length <= folded.length; start++) {
      if (parts.every((part, index) => folded[start + index] === part)) {
        const first = words[start];
        const last = words[start + parts.length - 1];
        if (first !== undefined && last !== undefined) return text.slice(first.offset, last.offset + last.text.length);
      }
    }
  }
  return null;
}

/**
 * Closing formulas beyond those the signature cutter knows (`isClosingFormula`), matched at
 * the start of a line (folded), so that "Cordialement, Sophie" or "Bonne journée à vous" count
 * too; "Thank you for…" is thanks, not a closing. Formal ones ("Veuillez agréer…, nos
 * salutations distinguées") are matched anywhere in the line.
 */
const CLOSING_START =
  /^(?:(?:bien |tres |tres bien )?cordialement|cdlt|salutations|sinceres salutations|meilleures salutations|bien a vous|bien a toi|a (?:tres )?bientot|au plaisir|bonne (?:journee|soiree|fin de journee|continuation|semaine|fin de semaine|week-end)|belle (?:journee|soiree|fin de journee)|excellente (?:journee|soiree)|respectueusement|sincerement|amicalement|en vous souhaitant|dans l'attente|(?:kind |best |warm |warmest )?regards|best(?: wishes)?(?=\s*[,.!]?\s*$|,)|(?:yours )?sincerely|yours (?:faithfully|truly)|(?:many )?thanks(?! for)|thank you(?! for)|cheers|all the best|have a (?:nice|great|good|lovely)|take care|with thanks)\b/u;
const CLOSING_ANYWHERE = /\b(?:salutations|agreer|l'expression de (?:nos|mes)|regards)\b/u;
/** The long French letter formulas ("Veuillez agréer, Madame, l'expression de nos salutations distinguées."). */
const LONG_CLOSING = /\b(?:agreer|salutations distinguees|sentiments distingues|l'expression de (?:nos|mes))\b/u;
/** The formula is looked for in this many last lines of the reply. */
const CLOSING_LINES = 4;

/** The closing formula: in the reply's last lines, where the signature cut leaves it, or atop the signature. */
export function findClosing(replyText: string, signature: string | null): Finding {
  const candidates = [...nonEmptyLines(replyText).slice(-CLOSING_LINES).reverse(), ...nonEmptyLines(signature ?? '').slice(0, 2)];
  for (const line of candidates) if (isClosingLine(line.text)) return { present: true, evidence: line.text };
  return { present: false, evidence: null };
}

/** A closing formula's line, name included, is short; a longer one is a sentence of the reply. */
const MAX_CLOSING_WORDS = 12;

/** Whether one line holds a closing formula. */
export function isClosingLine(line: string): boolean {
  const folded = foldWord(line.trim());
  if (folded.split(/\s+/u).length > MAX_CLOSING_WORDS) return LONG_CLOSING.test(folded);
  return isClosingFormula(line) || CLOSING_START.test(folded) || CLOSING_ANYWHERE.test(folded);
}

const THANKS_WORD = /\b(?:merci|remercie|remercions|remercier|remerciant|remerciements|thank|thanks|grateful|appreciate)\b/u;
/** What the thanks must be for: the message, the contact, the customer's trust — not their patience. */
const THANKS_OBJECT =
  /\b(?:message|mail|e-mail|email|courriel|demande|sollicitation|question|contact|contacte|contactes|contacter|confiance|fidelite|interet|ecrit|ecrire|fait part|retour|reaching out|contacting|getting in touch|writing|inquiry|enquiry|request|letter|choosing)\b/u;

/** Thanks for the message ("Merci pour votre message", "Nous vous remercions de…", "Thank you for contacting us"). */
export function findThanks(replyText: string): Finding {
  for (const sentence of sentences(replyText)) {
    const folded = foldWord(sentence);
    const thanks = THANKS_WORD.exec(folded);
    if (thanks !== null && THANKS_OBJECT.test(folded.slice(thanks.index))) return { present: true, evidence: clip(sentence) };
  }
  return { present: false, evidence: null };
}

const MAX_EVIDENCE_CHARS = 160;

/**
 * Sentences of `text`: paragraphs (split on blank lines) with their wrapped lines joined,
 * cut after `.`, `!`, `?`, `…`.
 */
export function sentences(text: string): string[] {
  return text
    .split(/\n[ \t]*\n/u)
    .flatMap((paragraph) => paragraph.replace(/\s+/gu, ' ').split(/(?<=[.!?…])\s+/u))
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

/** `text` shortened to a readable piece of evidence. */
export function clip(text: string): string {
  return text.length > MAX_EVIDENCE_CHARS ? `${text.slice(0, MAX_EVIDENCE_CHARS - 1)}…` : text;
}
