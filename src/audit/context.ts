/**
 * What the analysers know about a reply besides the message itself: who the persona is,
 * which brand answers and what the probe asked. Every part is optional: the CLI analyses a
 * bare `.eml` with only a persona's name and a brand's domain.
 */

export interface PersonaProfile {
  firstName: string;
  lastName: string;
  /** `female` / `male` (also `f`, `m`, `woman`, `man`…); anything else is treated as unknown. */
  gender?: string | null;
}

export interface CharterProfile {
  /** File names, alt texts or URL parts that identify the brand's logo ("logo-boulanger", "Boulanger"). */
  logoHints: string[];
  /** The brand's colours, hex (`#e30613`). */
  colors: string[];
}

export interface BrandProfile {
  name: string;
  senderDomains: string[];
  /** Words the speller must accept: product names, the brand's own terms. */
  vocabulary: string[];
  charter?: CharterProfile | null;
}

export interface ExpectedPoint {
  label: string;
  /** Words or phrases; the point is covered when any of them appears in the reply. */
  keywords: string[];
}

export interface ScenarioProfile {
  subject: string;
  /** The probe's body as sent (placeholders such as `{{persona.firstName}}` are ignored). */
  body: string;
  expectedPoints: ExpectedPoint[];
}

export interface AnalysisContext {
  persona?: PersonaProfile | null;
  brand?: BrandProfile | null;
  scenario?: ScenarioProfile | null;
}

export type Gender = 'female' | 'male';

/** The persona's gender as one of two values the greeting can be checked against, or null. */
export function genderOf(persona: PersonaProfile | null | undefined): Gender | null {
  const value = persona?.gender?.trim().toLowerCase() ?? '';
  if (['female', 'f', 'woman', 'femme', 'w'].includes(value)) return 'female';
  if (['male', 'm', 'man', 'homme', 'h'].includes(value)) return 'male';
  return null;
}
