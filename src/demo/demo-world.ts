/**
 * The demo's cast: online shops whose customer services behave each in its own way, two
 * personas, and two everyday questions with the points a good answer covers and what a
 * shop that knows its business answers to them. Plain data.
 */
import { BEHAVIOUR_NAMES, BEHAVIOURS, type BehaviourName } from '../devtools/brand-behaviours.ts';
import type { SimulatedBrand, SimulatedPersona } from '../devtools/brand-simulator.ts';

/** One shop per behaviour, in the order of `BEHAVIOUR_NAMES`: a demo with fewer brands takes the first ones. */
const SHOPS: Record<BehaviourName, { name: string; domain: string; agent: [string, string]; colors: [string, string] }> = {
  fast: { name: 'Éclair Boutique', domain: 'eclair-boutique', agent: ['Julie', 'Martin'], colors: ['#e4572e', '#29335c'] },
  'acknowledge-then-answer': { name: 'Demain Déco', domain: 'demain-deco', agent: ['Karim', 'Benali'], colors: ['#3d5a80', '#98c1d9'] },
  'after-reminder': { name: 'Escargot Électro', domain: 'escargot-electro', agent: ['Sophie', 'Laurent'], colors: ['#2a9d8f', '#264653'] },
  silent: { name: 'Maison Muette', domain: 'maison-muette', agent: ['Nicolas', 'Petit'], colors: ['#6d597a', '#355070'] },
  bounce: { name: 'Rebond Voyages', domain: 'rebond-voyages', agent: ['Camille', 'Roux'], colors: ['#f4a261', '#e76f51'] },
  typos: { name: 'Coquille Jardin', domain: 'coquille-jardin', agent: ['Thomas', 'Girard'], colors: ['#606c38', '#283618'] },
  'branded-html': { name: 'Azur Beauté', domain: 'azur-beaute', agent: ['Léa', 'Fontaine'], colors: ['#0077b6', '#023e8a'] },
  'plain-text': { name: 'Papier Libre', domain: 'papier-libre', agent: ['Hugo', 'Mercier'], colors: ['#8d99ae', '#2b2d42'] },
  helpdesk: { name: 'Cycles Guichet', domain: 'cycles-guichet', agent: ['Inès', 'Bernard'], colors: ['#d62828', '#003049'] },
  'acknowledge-only': { name: 'Écho Informatique', domain: 'echo-informatique', agent: ['Lucas', 'Moreau'], colors: ['#4361ee', '#3a0ca3'] },
  canned: { name: 'Conforme Jouets', domain: 'conforme-jouets', agent: ['Chloé', 'Garnier'], colors: ['#ffb703', '#fb8500'] },
  survey: { name: 'Avis Animalerie', domain: 'avis-animalerie', agent: ['Antoine', 'Faure'], colors: ['#52b788', '#1b4332'] },
};

export const MAX_DEMO_BRANDS = 48;

export interface DemoBrand extends SimulatedBrand {
  behaviour: BehaviourName;
  /** What the behaviour is, in a few words. */
  summary: string;
}

/**
 * `count` brands, one behaviour each in turn; past a dozen, the behaviours come round
 * again under numbered names ("Éclair Boutique 2").
 */
export function demoBrands(count: number): DemoBrand[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEMO_BRANDS) {
    throw new RangeError(`the demo runs with 1 to ${MAX_DEMO_BRANDS} brands, not ${count}`);
  }
  return Array.from({ length: count }, (_, index) => {
    const behaviour = BEHAVIOUR_NAMES[index % BEHAVIOUR_NAMES.length]!;
    const round = Math.floor(index / BEHAVIOUR_NAMES.length) + 1;
    const shop = SHOPS[behaviour];
    const name = round === 1 ? shop.name : `${shop.name} ${round}`;
    const label = round === 1 ? shop.domain : `${shop.domain}-${round}`;
    const domain = `${label}.example`;
    return {
      name,
      domain,
      contactAddress: `service.client@${domain}`,
      agent: { firstName: shop.agent[0], lastName: shop.agent[1] },
      colors: shop.colors,
      ...(behaviour === 'helpdesk' && { helpdeskDomain: `${label.replaceAll('-', '')}.helpdesk.example` }),
      behaviour,
      summary: BEHAVIOURS[behaviour].summary,
    };
  });
}

/** The mystery shoppers; each gets a test mailbox of her or his own. */
export const DEMO_PERSONAS: ReadonlyArray<Omit<SimulatedPersona, 'address'>> = [
  { firstName: 'Marie', lastName: 'Dupont', gender: 'female' },
  { firstName: 'Thomas', lastName: 'Lefèvre', gender: 'male' },
];

export interface DemoScenario {
  name: string;
  subject: string;
  body: string;
  expectedPoints: { label: string; keywords: string[] }[];
  /** What a shop that knows its business answers: the simulated brands' substance. */
  answer: string[];
}

export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  {
    name: 'Commande non reçue',
    subject: 'Commande non reçue',
    body:
      "Bonjour,\n\nJ'ai passé une commande sur votre site il y a dix jours (commande n° 4521) et je ne l'ai toujours pas reçue. " +
      "Pouvez-vous me dire où en est mon colis ? S'il est perdu, comment se passera le remboursement ?\n\n" +
      "Merci d'avance,\n{{persona.firstName}} {{persona.lastName}}",
    expectedPoints: [
      { label: 'où en est le colis', keywords: ['suivi', 'transporteur'] },
      { label: 'le délai pour le retrouver', keywords: ['délai', 'heures', 'jours'] },
      { label: 'le remboursement s’il est perdu', keywords: ['remboursement', 'rembourser'] },
    ],
    answer: [
      "Votre commande n° 4521 a été confiée au transporteur il y a huit jours ; d'après le suivi, le colis est bloqué sur la plateforme de tri de votre région. " +
        'Nous avons ouvert une enquête auprès du transporteur, qui dispose de 48 heures pour le retrouver.',
      "Si le colis n'est pas retrouvé dans ce délai, nous vous rembourserons intégralement, frais de livraison compris, sans démarche de votre part. " +
        'Vous recevrez un courriel dès que le remboursement sera effectué.',
    ],
  },
  {
    name: "Retour d'un article",
    subject: "Retour d'un article",
    body:
      "Bonjour,\n\nJ'ai reçu hier ma commande n° 7318, mais l'article ne me convient pas. " +
      'Comment puis-je vous le retourner, le retour est-il payant, et sous quel délai le remboursement interviendra-t-il ?\n\n' +
      'Bien cordialement,\n{{persona.firstName}} {{persona.lastName}}',
    expectedPoints: [
      { label: 'la démarche de retour', keywords: ['espace client', 'étiquette', 'bon de retour'] },
      { label: 'les frais de retour', keywords: ['gratuit', 'frais'] },
      { label: 'le délai de remboursement', keywords: ['jours ouvrés', 'jours'] },
    ],
    answer: [
      "Pour nous retourner l'article, connectez-vous à votre espace client, rubrique « Mes commandes », puis choisissez « Retourner un article » : " +
        'une étiquette de retour prépayée vous sera envoyée par courriel.',
      "Le retour est gratuit depuis un point relais. Dès réception de l'article dans notre entrepôt, le remboursement est effectué sous 5 jours ouvrés " +
        'sur le moyen de paiement utilisé lors de la commande.',
    ],
  },
];
