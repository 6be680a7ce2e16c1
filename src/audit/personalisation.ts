/**
 * Whether a reply was written for this customer and this question: the persona's name, and
 * the probe's own distinctive words taken up in the answer (a canned reply uses neither).
 */
import type { PersonaProfile, ScenarioProfile } from './context.ts';
import { findPersonaName, type Finding } from './form.ts';
import { contentTerms, sameStem, type Term } from './stem.ts';
import { foldWord } from './tokenize.ts';

export interface PersonalisationFinding extends Finding {
  usesPersonaName: boolean;
  /** The persona's name as the reply writes it. */
  personaName: string | null;
  /** The reply's words that take up the probe's distinctive terms, one per term. */
  sharedTerms: string[];
  /** Distinctive terms of the probe, the denominator of `sharedTerms`. */
  probeTermCount: number;
}

export interface PersonalisationInput {
  replyText: string;
  language: string;
  persona?: PersonaProfile | null;
  scenario?: Pick<ScenarioProfile, 'subject' | 'body'> | null;
  brandName?: string | null;
}

/** Shared distinctive terms that make a reply personalised without the persona's name. */
export const MIN_SHARED_TERMS = 2;

/** Words of any customer-service exchange: echoing them shows nothing about the question. */
const GENERIC = new Set(
  (
    'bonjour bonsoir madame monsieur mademoiselle merci remercie remercions cordialement salutations question questions ' +
    'demande demandes message messages mail email courriel service client clients clientele hello dear thanks thank regards ' +
    'please svp souhaite souhaiterais aimerais voudrais savoir pouvez pourriez possible bonne journee information informations ' +
    'aide help besoin probleme retour reponse attente rapidement'
  ).split(' '),
);
const PLACEHOLDER = /\{\{[^}]*\}\}/gu;

export function findPersonalisation(input: PersonalisationInput): PersonalisationFinding {
  const personaName = findPersonaName(input.replyText, input.persona);
  const names = namesOf(input);
  const probeTerms = distinctiveTerms(input, names);
  // Names are left out on both sides: stems can collide ("Marie" and "mars" both give "mar").
  const replyTerms = contentTerms(input.replyText, input.language).filter((term) => !names.has(foldWord(term.word)));
  const sharedTerms: string[] = [];
  for (const probeTerm of probeTerms) {
    const echo = replyTerms.find((term) => sameStem(term.stem, probeTerm.stem));
    if (echo !== undefined) sharedTerms.push(echo.word);
  }
  const usesPersonaName = personaName !== null;
  const present = usesPersonaName || sharedTerms.length >= MIN_SHARED_TERMS;
  const evidence = [personaName, sharedTerms.length > 0 ? `echoes the probe: ${sharedTerms.join(', ')}` : null]
    .filter((part): part is string => part !== null)
    .join('; ');
  return {
    present,
    evidence: evidence === '' ? null : evidence,
    usesPersonaName,
    personaName,
    sharedTerms,
    probeTermCount: probeTerms.length,
  };
}

/** Every word of the persona's and the brand's names, folded. */
function namesOf(input: PersonalisationInput): Set<string> {
  return new Set(
    [input.persona?.firstName, input.persona?.lastName, input.brandName]
      .flatMap((name) => (name ?? '').split(/[\s'’-]+/u))
      .map(foldWord)
      .filter(Boolean),
  );
}

/** The probe's content terms, one per stem, without names and customer-service commonplaces. */
function distinctiveTerms(input: PersonalisationInput, excluded: ReadonlySet<string>): Term[] {
  if (!input.scenario) return [];
  const probe = `${input.scenario.subject}\n${input.scenario.body}`.replace(PLACEHOLDER, ' ');
  const seen = new Set<string>();
  const terms: Term[] = [];
  for (const term of contentTerms(probe, input.language)) {
    const folded = foldWord(term.word);
    if (GENERIC.has(folded) || excluded.has(folded) || seen.has(term.stem)) continue;
    seen.add(term.stem);
    terms.push(term);
  }
  return terms;
}
