/** The placeholders of a scenario's texts, filled from the persona and the brand. */
import { PlanError } from './plan-error.ts';

export interface PersonaName {
  firstName: string;
  lastName: string;
}

export interface TemplateContext {
  persona: PersonaName;
  brand: { name: string };
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const FIELDS: Record<string, (c: TemplateContext) => string> = {
  'persona.firstName': (c) => c.persona.firstName,
  'persona.lastName': (c) => c.persona.lastName,
  'brand.name': (c) => c.brand.name,
};

/** Placeholders of `text` that `renderTemplate` does not know; a probe must never carry one to a brand. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !(name in FIELDS));
}

/** Fills `{{persona.firstName}}`, `{{persona.lastName}}` and `{{brand.name}}`; any other placeholder is an error. */
export function renderTemplate(text: string, context: TemplateContext): string {
  const unknown = unknownPlaceholders(text);
  if (unknown.length > 0) {
    throw new PlanError(`unknown placeholder {{${unknown[0]}}}; known: ${Object.keys(FIELDS).map((f) => `{{${f}}}`).join(', ')}`);
  }
  return text.replace(PLACEHOLDER, (_, name: string) => FIELDS[name]!(context));
}
