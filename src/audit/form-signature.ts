/**
 * Who signs a reply: a person ("Sophie Martin, conseillère clientèle", "John C.") or an
 * anonymous team ("Le service client", "L'équipe Maison Bleue", "Customer Care Team").
 */
import { nonEmptyLines, type Finding, type Line } from './form.ts';
import { foldWord, withoutLegalFooter } from './tokenize.ts';

export interface SignatureFinding extends Finding {
  /** `present`: a person's name signs the reply. `signed`: anything does, a name or a team. */
  signed: boolean;
  personName: string | null;
  team: string | null;
}

export interface SignatureInput {
  replyText: string;
  signature: string | null;
  /** The closing formula's line, when found: the name often follows it, or shares its line. */
  closingLine: string | null;
  /** Display name of the sender ("Sophie - Service client"). */
  senderName: string | null;
  brandName: string | null;
}

const TEAM =
  /^(?:l'equipe|equipe|le service|service|la relation|relation|le support|support|le pole|pole|la direction|direction|votre (?:service|conseiller|equipe)|team|the .{1,40} team|customer (?:service|care|support|relations|experience)|client (?:services?|care)|.{1,40} (?:team|service client|customer care|customer service|support))\b/u;
/** Words that make a capitalised line a role, a team or a formula rather than a name. */
const NOT_NAME = new Set(
  (
    'service services client clients clientele consommateurs relation relations equipe team support care customer conseiller ' +
    'conseillere charge chargee responsable manager agent advisor adviser specialist representative assistant assistante ' +
    'gestionnaire superviseur technicien hotesse expert experte directeur directrice department departement pole cordialement ' +
    'bonjour merci madame monsieur salutations regards sincerely thanks best kind tel telephone fax mobile email web site ' +
    'france sas groupe group'
  ).split(' '),
);
const ROLE = /^(?:votre |your |le |la )?(?:conseill|charge|responsable|manager|agent|advisor|adviser|specialist|representative|assistant|gestionnaire|superviseur|technicien|hotesse|expert|coordinat|direct|service|relation|support|customer|equipe|team)/u;
/** A name's word: "Sophie", "Jean-Marc", "MARTIN", "D.", "O'Brien", "de", "van". */
const NAME_WORD = /^(?:\p{Lu}[\p{Ll}\p{M}'’]+(?:-\p{Lu}[\p{Ll}\p{M}'’]+)?|\p{Lu}{2,}(?:-\p{Lu}{2,})?|\p{Lu}\.)$/u;
const PARTICLE = new Set(['de', 'du', 'des', 'le', 'la', 'van', 'von', 'di', 'da', 'del']);
const CIVILITY = /^(?:m\.|mme|mlle|mr|mrs|ms|dr|me)\s+/iu;
/** What separates a name from its role on one line. */
const NAME_SEPARATOR = /\s*(?:,|\||\s[-–—]\s|\(|\/)\s*/u;
const SIGNATURE_LINES = 5;

/** Who signs the reply, looking at the closing line, the lines after it and the signature block. */
export function findSignature(input: SignatureInput): SignatureFinding {
  const brand = new Set(foldWord(input.brandName ?? '').split(/\s+/u).filter(Boolean));
  const lines = signatureLines(input);
  let team: string | null = null;
  // A team's line ends the search: what follows it is the company's name and address.
  for (const [index, line] of lines.entries()) {
    const person = personOnLine(line.text, { nextLine: lines[index + 1]?.text ?? null, first: index === 0, senderName: input.senderName }, brand);
    if (person !== null) return { present: true, evidence: line.text, signed: true, personName: person, team: null };
    if (TEAM.test(foldWord(line.text))) {
      team = line.text;
      break;
    }
  }
  const signed = team !== null || (input.signature ?? '').trim() !== '';
  return { present: false, evidence: team, signed, personName: null, team };
}

/**
 * Lines where a signer's name may stand: the rest of the closing line ("Cordialement, Sophie"),
 * the reply's lines after the closing formula, then the top of the signature block.
 */
function signatureLines(input: SignatureInput): Line[] {
  const lines: Line[] = [];
  const replyLines = nonEmptyLines(input.replyText);
  const closingIndex = input.closingLine === null ? -1 : replyLines.findIndex((line) => line.text === input.closingLine);
  if (closingIndex !== -1) {
    const closing = replyLines[closingIndex] as Line;
    const rest = closing.text.replace(/^[^,]*,\s*/u, '');
    if (rest !== closing.text && rest !== '') lines.push({ text: rest, offset: closing.offset + closing.text.length - rest.length });
    lines.push(...replyLines.slice(closingIndex + 1));
  }
  lines.push(...nonEmptyLines(withoutLegalFooter(input.signature ?? '')).slice(0, SIGNATURE_LINES));
  return lines.map((line) => ({ ...line, text: line.text.replace(/^--\s*$|^[-–—_]+\s*/u, '').trim() })).filter((line) => line.text !== '');
}

/**
 * The person's name on `line`, or null. A line of two or three name words is a name
 * ("Sophie Martin", "Jean-Marc D."); a single one is when it comes first under the closing
 * formula, when a role follows it on the line or on the next one ("Sophie, conseillère
 * clientèle"), or when it opens the sender's display name.
 */
function personOnLine(
  line: string,
  around: { nextLine: string | null; first: boolean; senderName: string | null },
  brand: ReadonlySet<string>,
): string | null {
  const [head = '', ...rest] = line.split(NAME_SEPARATOR);
  const candidate = head.replace(CIVILITY, '').trim();
  const words = candidate.split(/\s+/u).filter(Boolean);
  const names = words.filter((word) => !PARTICLE.has(word));
  if (names.length === 0 || names.length > 3 || !names.every((word) => NAME_WORD.test(word))) return null;
  if (words.some((word) => NOT_NAME.has(foldWord(word)) || brand.has(foldWord(word)))) return null;
  if (names.length >= 2 && names.some((word) => word.length > 2)) return candidate;
  const { nextLine, first, senderName } = around;
  const roleFollows = rest.some((part) => ROLE.test(foldWord(part))) || (nextLine !== null && ROLE.test(foldWord(nextLine)));
  const opensSenderName = senderName !== null && foldWord(senderName).split(/\s+/u)[0] === foldWord(candidate);
  return first || roleFollows || opensSenderName ? candidate : null;
}
