/**
 * The wording of automatic messages, French and English first: receipts, autoresponders,
 * out-of-office notices, ticket notices, delivery failures.
 *
 * Patterns match text normalised by `normaliseForMatching` (lower case, accents removed,
 * typographic apostrophes straightened, whitespace collapsed), so that "Nous avons bien recu"
 * typed without its cedilla matches as well. Each phrase carries the signal it produces,
 * e.g. `phrase:fr:nous avons bien reçu votre demande`.
 *
 * Two strengths:
 * - `declared`: the text says it is automatic ("réponse automatique", "merci de ne pas
 *   répondre", "out of office", "ticket #123 has been created"): enough on its own.
 * - `receipt`: what a receipt says ("nous avons bien reçu votre message", "we will get back
 *   to you"), and what a person answering also says before answering. It makes an
 *   acknowledgement only when the text says little else (see `classify.ts`).
 * The lists are kept specific on purpose: a phrase that people write in real answers
 * belongs in `receipt`, never in `declared`.
 */
export type PhraseStrength = 'declared' | 'receipt';

export interface Phrase {
  signal: string;
  strength: PhraseStrength;
  pattern: RegExp;
}

export function normaliseForMatching(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .toLowerCase()
    .replace(/\s+/g, ' ');
}

/** The phrases found in already normalised text, each once, in table order. */
export function findPhrases(normalised: string, phrases: readonly Phrase[] = AUTO_REPLY_PHRASES): Phrase[] {
  return phrases.filter((phrase) => phrase.pattern.test(normalised));
}

const phrase = (signal: string, strength: PhraseStrength, pattern: RegExp): Phrase => ({ signal, strength, pattern });

export const AUTO_REPLY_PHRASES: readonly Phrase[] = [
  phrase(
    'phrase:fr:réponse automatique',
    'declared',
    /^\W*reponse automatique\b|\b(?:ceci est|il s'agit d'|ce message est) une reponse automatique\b/,
  ),
  phrase(
    'phrase:fr:message automatique',
    'declared',
    /\b(?:ceci est|il s'agit d')un (?:message|e-?mail|courriel|mail) automatique\b|\b(?:message|e-?mail|courriel|mail) (?:genere|envoye) automatiquement\b/,
  ),
  phrase(
    'phrase:fr:merci de ne pas répondre',
    'declared',
    /\b(?:merci|veuillez|nous vous remercions) de ne pas (?:y )?repondre\b|\bne (?:pas )?repondez pas (?:a|directement a) ce\b|\bne pas repondre (?:a|directement a) ce (?:message|mail|e-?mail|courriel)\b/,
  ),
  phrase('phrase:fr:accusé de réception', 'declared', /^\W*accuse de reception\b|\bceci est un accuse de reception\b/),
  phrase(
    'phrase:fr:absent du bureau',
    'declared',
    /\bje (?:suis|serai) (?:actuellement )?(?:absente?|en conges?)\b|\babsente? du bureau (?:jusqu|du|a partir)/,
  ),
  phrase(
    'phrase:en:this is an automated response',
    'declared',
    /\bthis (?:is an?|message is an?|e-?mail is an?) (?:automated|automatic|auto-generated|automatically generated) (?:response|reply|message|e-?mail|notification)\b|\bthis (?:message|e-?mail) (?:was|has been) (?:sent|generated) automatically\b/,
  ),
  phrase(
    'phrase:en:do not reply',
    'declared',
    /\b(?:please )?do not reply (?:to|directly to) this (?:message|e-?mail|address)\b|\bthis (?:mailbox|inbox|address|e-?mail address) is not monitored\b/,
  ),
  phrase(
    'phrase:en:out of office',
    'declared',
    /\bi(?: am|'m| will be)(?: currently)? (?:out of (?:the )?office|away|on (?:vacation|leave|holiday))\b|\bout of (?:the )?office (?:until|from|through|till)\b/,
  ),
  phrase(
    'phrase:en:no longer in use',
    'declared',
    /\b(?:inbox|mailbox|e-?mail address|address)\b.{0,80}\bis no longer (?:in use|monitored|active)\b/,
  ),
  phrase(
    'phrase:ticket-opened',
    'declared',
    /\b(?:ticket|case|request|demande|dossier|incident)\s*\(?\s*(?:n°|no\.?|nr\.?|numero|number|#)?\s*:?\s*#?\s*[a-z-]*\d[\w-]*\)?\s+(?:a (?:bien )?ete|has been|was|is)\s+(?:creee?|ouverte?|enregistree?|recue?|created|opened|logged|submitted|received)\b/,
  ),
  phrase(
    'phrase:fr:nous avons bien reçu votre demande',
    'receipt',
    /\bnous avons bien recu votre (?:demande|requete|reclamation|question|commande)\b/,
  ),
  phrase(
    'phrase:fr:nous avons bien reçu votre message',
    'receipt',
    /\bnous avons bien recu votre (?:message|mail|e-?mail|courriel)\b/,
  ),
  phrase(
    'phrase:fr:votre demande a bien été enregistrée',
    'receipt',
    /\bvotre (?:demande|message|requete|reclamation) a (?:bien )?ete (?:enregistree?|recue?|prise? en (?:compte|charge)|transmise?)\b/,
  ),
  phrase(
    'phrase:fr:nous reviendrons vers vous',
    'receipt',
    /\bnous (?:reviendrons|revenons) (?:tres )?(?:rapidement |au plus vite |prochainement |dans les meilleurs delais )?vers vous\b|\bun (?:conseiller|agent|membre de notre equipe) (?:vous repondra|reviendra vers vous|va vous repondre|prendra contact)\b|\bnous vous repondrons\b/,
  ),
  phrase(
    'phrase:fr:votre message nous est parvenu',
    'receipt',
    /\bvotre (?:demande|message|courriel|e-?mail|mail|requete) nous (?:est|a) (?:bien )?(?:parvenue?|ete transmise?)\b|\bnos (?:conseillers|conseilleres|equipes|experts|opticiens|agents|services) (?:vous )?(?:contacteront|recontacteront|repondront)\b/,
  ),
  phrase('phrase:fr:nous accusons réception', 'receipt', /\bnous accusons (?:bonne )?reception\b/),
  phrase(
    'phrase:fr:numéro de dossier',
    'receipt',
    /\bnumero de (?:dossier|ticket|demande)\b|\breference de (?:votre )?(?:dossier|demande)\b/,
  ),
  phrase(
    'phrase:en:we have received your request',
    'receipt',
    /\bwe(?: have|'ve)? received your (?:request|message|e-?mail|inquiry|enquiry|query)\b|\byour (?:request|message|inquiry|enquiry) has been received\b/,
  ),
  phrase(
    'phrase:en:we will get back to you',
    'receipt',
    /\bwe(?: will|'ll) (?:get back to you|respond to you|reply to you|be in touch)\b|\ba member of our (?:team|staff) will\b/,
  ),
  phrase(
    'phrase:en:thank you for contacting us',
    'receipt',
    /\bthank(?:s| you) for (?:contacting|reaching out to|writing to) us\b/,
  ),
  phrase('phrase:en:case number', 'receipt', /\byour (?:case|ticket|reference|request) (?:number|id)\b/),
];

/**
 * Challenge-response anti-spam notices (Mailinblack, Spam Arrest, Boxbe…): the probe is held
 * until a person proves they are not a robot. Neither an answer, nor a receipt by the brand,
 * nor a failed delivery: a message for an auditor to look at (`unknown`).
 */
export const CHALLENGE_PHRASES: readonly Phrase[] = [
  phrase(
    'notice:challenge-response',
    'declared',
    /\b(?:prouver|confirmer|verifier) que vous (?:n'etes pas un robot|etes (?:bien )?(?:un humain|une personne))\b|\bpour que votre (?:message|e-?mail|courriel) soit (?:delivre|distribue|remis)\b.{0,80}\b(?:cliqu|valid)|\ben attente de (?:validation|verification)\b.{0,200}\b(?:anti-?spam|mailinblack)\b|\bmailinblack\b/,
  ),
  phrase(
    'notice:challenge-response',
    'declared',
    /\bchallenge[- ]response\b|\bprotect(?:ing|ed) (?:myself |me )?(?:from|against) spam\b.{0,300}\bverif|\bplease verify (?:your (?:e-?mail|address|identity)|that you are (?:a (?:real )?(?:person|human)|not a robot))\b|\bsender verification\b|\bboxbe\b|\bspam ?arrest\b/,
  ),
];

/** Subjects that autoresponders write ("Automatic reply: …", "Réponse automatique : …"). */
export const AUTO_REPLY_SUBJECT =
  /^(?:(?:re|tr|fw|aw) ?: ?)?(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autorespons\w*|reponse automatique|out of (?:the )?office|absente? du bureau|message d'absence|accuse de reception|abwesenheitsnotiz|automatische antwort|respuesta automatica|risposta automatica)\b/;

/**
 * How mail servers word a delivery failure, in subjects and bodies. Every phrase names the
 * message or the mail: "your parcel could not be delivered" is a carrier's notice, not a bounce.
 */
export const DELIVERY_FAILURE_PHRASES: readonly Phrase[] = [
  phrase(
    'phrase:en:delivery failed',
    'declared',
    /\bundeliverable\b|\bundelivered mail\b|\bdelivery status notification\b|\bdelivery (?:has failed|to the following recipients? (?:has )?failed)\b|\b(?:message|mail|e-?mail) (?:could not|couldn't|cannot|can't|was not|wasn't) (?:be )?delivered\b|\bmail delivery (?:failed|failure)\b|\breturned mail\b|\bfailure notice\b|\bmessage not delivered\b|\bunable to deliver (?:your|the|this) (?:message|mail|e-?mail)\b/,
  ),
  phrase(
    'phrase:fr:non remis',
    'declared',
    /^non remis\b|\bmessage (?:n'a pas pu etre (?:remis|distribue|delivre)|non (?:remis|distribue|delivre))\b|\bechec de (?:la )?remise\b|\bnon distribuable\b/,
  ),
];
