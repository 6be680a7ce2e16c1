/**
 * Cuts the signature off the end of a reply's lines.
 *
 * CONVENTION (the form analysers rely on it): the closing formula ("Cordialement,", "Best
 * regards,") stays as the last line of the body; the signature is what follows it (name,
 * title, company, phone, legal footer). Without a closing formula, the signature is what
 * follows the "-- " delimiter, or a mobile footer ("Sent from my iPhone") and what follows it.
 */
export function cutSignature(lines: string[]): { body: string[]; signature: string[] } {
  const delimiter = lines.findIndex((line) => /^--\s*$/.test(line));
  const footer = lines.findIndex((line) => MOBILE_FOOTER.test(line));
  const ends = [delimiter, footer].filter((index) => index !== -1);
  const end = ends.length > 0 ? Math.min(...ends) : lines.length;

  const closing = findClosingLine(lines, end);
  if (closing !== -1) return { body: lines.slice(0, closing + 1), signature: lines.slice(closing + 1) };
  if (end === lines.length) return { body: lines, signature: [] };
  return { body: lines.slice(0, end), signature: lines.slice(end === delimiter ? end + 1 : end) };
}

/** Whether a line is a closing formula on its own ("Bien cordialement,", "Kind regards"). */
export function isClosingFormula(line: string): boolean {
  if (line.length > MAX_CLOSING_LENGTH) return false;
  const normalised = normalise(line);
  if (normalised === '') return false;
  if (CLOSINGS.has(normalised) || THANKS.has(normalised) || LONG_CLOSING_END.test(normalised)) return true;
  // "Cordialement, Marie Dupont": the formula with the writer's name on the same line.
  const named = /^([^,]+),\s*(.+)$/.exec(normalised);
  return named !== null && CLOSINGS.has(named[1] ?? '') && (named[2] ?? '').split(' ').length <= 5;
}

/** The last closing formula before `end` that a signature block follows; -1 when none. */
function findClosingLine(lines: string[], end: number): number {
  for (let i = end - 1; i >= 0; i -= 1) {
    const line = lines[i] ?? '';
    if (!isClosingFormula(line)) continue;
    const after = lines.slice(i + 1, end).filter((candidate) => candidate.trim() !== '');
    if (after.length === 0) return i;
    if (after.length > MAX_SIGNATURE_LINES) continue;
    const [first = '', second = ''] = after.map((candidate) => candidate.trim());
    // "Thanks," and "Merci !" also open messages: only a name right after makes them a closing.
    const signatureLike = THANKS.has(normalise(line))
      ? isNameLike(first)
      : first.length <= MAX_NAME_LINE && second.length <= MAX_NAME_LINE && !first.endsWith('?');
    if (signatureLike) return i;
  }
  return -1;
}

/** "Julie Martin", "Le service client", "Tom": a few words, no sentence punctuation. */
function isNameLike(line: string): boolean {
  return line.split(/\s+/).length <= 5 && !/[.?!:;]$/.test(line);
}

const MAX_CLOSING_LENGTH = 300;
/** A signature block longer than this is more likely a message that goes on after a "Thanks,". */
const MAX_SIGNATURE_LINES = 20;
/** The first lines after a closing formula are a name and a title, never a paragraph. */
const MAX_NAME_LINE = 60;

const MOBILE_FOOTER =
  /^\s*(?:sent from my \S+|sent from (?:outlook|yahoo mail|mail for windows|samsung|my mobile)|sent with sparrow|sent via \S+ mobile|get outlook for (?:ios|android)|outlook f[üu]r (?:ios|android) (?:beziehen|herunterladen)|envoy[ée] (?:de|depuis) mon \S+|envoy[ée] depuis (?:outlook|yahoo mail|l'application|courrier pour windows)|obtenir outlook pour (?:ios|android)|t[ée]l[ée]charg(?:ez|er) outlook pour (?:ios|android)|von meinem \S+ gesendet|gesendet von (?:meinem \S+|outlook|yahoo mail)|enviado desde mi \S+|inviato da(?:l mio)? \S+|enviado do meu \S+|verzonden (?:vanaf|met) (?:mijn \S+|outlook)|(?:sendt|skickat) fr[åa]n? min \S+|wys[łl]ane z mojego \S+|отправлено с (?:моего )?\S+)/iu;

/** Closing formulas, lower-cased, accents removed, trailing punctuation dropped (see `normalise`). */
const CLOSINGS = new Set([
  'cordialement',
  'bien cordialement',
  'tres cordialement',
  'cordialement votre',
  'bien a vous',
  'bien a toi',
  'sinceres salutations',
  'sincerement',
  'salutations',
  'salutations distinguees',
  'meilleures salutations',
  'respectueusement',
  'amicalement',
  'bien amicalement',
  'a bientot',
  'bonne journee',
  'bonne fin de journee',
  'belle journee',
  'bonne soiree',
  'excellente journee',
  'best regards',
  'kind regards',
  'warm regards',
  'warmest regards',
  'kindest regards',
  'regards',
  'best',
  'best wishes',
  'all the best',
  'cheers',
  'sincerely',
  'yours sincerely',
  'sincerely yours',
  'yours faithfully',
  'yours truly',
  'respectfully',
  'have a nice day',
  'have a great day',
  'take care',
  'mit freundlichen grussen',
  'freundliche grusse',
  'viele grusse',
  'beste grusse',
  'saludos',
  'saludos cordiales',
  'atentamente',
  'cordiali saluti',
  'distinti saluti',
  'met vriendelijke groet',
]);

/** Thanks that close a message, and open one too ("Merci, voici…"). */
const THANKS = new Set([
  'merci',
  'merci beaucoup',
  "merci d'avance",
  'merci par avance',
  'merci encore',
  'avec nos remerciements',
  'thanks',
  'thank you',
  'many thanks',
  'thanks again',
  'thanks in advance',
  'thank you in advance',
]);

/** The long French letter closings: "… l'expression de nos salutations distinguées." */
const LONG_CLOSING_END =
  /(?:salutations distinguees|sentiments distingues|meilleurs sentiments|meilleures salutations|nos salutations|mes salutations|salutations respectueuses|respectueuses salutations|considerations distinguees)$/;

function normalise(line: string): string {
  return line
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s,.;:!…-]+$/u, '');
}
