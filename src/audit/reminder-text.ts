/** The words of a reminder ("relance"): its subject and the default text a customer writes. */
import { isFrench } from './language.ts';
import type { PersonaName } from './probe-template.ts';

/** `Re: <subject>`, never `Re: Re: <subject>`. */
export function reminderSubject(subject: string): string {
  const trimmed = subject.trim();
  return /^re\s*:/i.test(trimmed) ? trimmed : `Re: ${trimmed}`;
}

/** The "relance" a customer writes when a day has passed without an answer; English outside French. */
export function defaultReminderBody(language: string, persona: PersonaName): string {
  const name = `${persona.firstName} ${persona.lastName}`;
  return isFrench(language)
    ? `Bonjour,\n\nJe me permets de revenir vers vous au sujet de ma demande ci-dessous, restée sans réponse à ce jour.\nPourriez-vous me répondre dès que possible ?\n\nMerci d'avance,\n\n${name}`
    : `Hello,\n\nI am following up on my request below, which has not been answered yet.\nCould you please get back to me as soon as possible?\n\nThank you in advance,\n\n${name}`;
}
