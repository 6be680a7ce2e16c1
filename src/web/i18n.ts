/**
 * Languages of the web pages and reports, and the report's strings. French first: a
 * request without a preference, or with one for neither language, gets the fallback
 * (French unless said otherwise). The dashboard keeps its own strings in a catalogue of its
 * own, with the same `Lang`.
 */
import { CRITERIA, type CriterionId } from '../audit/score.ts';

export const LANGS = ['fr', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export const isLang = (value: unknown): value is Lang => value === 'fr' || value === 'en';

/**
 * The preferred language of an `Accept-Language` header among French and English: the
 * highest `q` wins, French before English at equal weight, the fallback when neither is asked
 * for (`*` accepts the fallback).
 */
export function pickLang(acceptLanguage: string | undefined, fallback: Lang = 'fr'): Lang {
  if (!acceptLanguage) return fallback;
  let best: { lang: Lang; q: number } | null = null;
  for (const item of acceptLanguage.split(',')) {
    const [range = '', ...params] = item.trim().split(';');
    const tag = range.trim().toLowerCase();
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const primary = tag.split('-')[0];
    const lang: Lang | null = tag === '*' ? fallback : isLang(primary) ? primary : null;
    if (!lang) continue;
    if (!best || q > best.q || (q === best.q && lang === 'fr' && best.lang !== 'fr')) best = { lang, q };
  }
  return best?.lang ?? fallback;
}

type Fn<A extends unknown[]> = (...args: A) => string;

export interface ReportMessages {
  reportTitle: string;
  evidencePackTitle: string;
  generatedAt: Fn<[when: string]>;
  contents: string;
  page: string;
  of: string;
  method: string;
  period: string;
  timezone: string;
  status: string;
  probesPerBrand: string;
  brands: string;
  scenarios: string;
  scenarioLanguage: string;
  mailboxes: string;
  norms: string;
  normWithin: Fn<[norm: string]>;
  businessHours: string;
  reminderPolicy: Fn<[after: string, max: number]>;
  noReminder: string;
  noteFormula: string;
  noteFormulaText: string;
  welcomeWeights: string;
  delayPoints: string;
  analyserVersion: string;
  headline: string;
  probes: string;
  answered: string;
  responseRate: string;
  responseRateAfterReminder: string;
  ackRate: string;
  delayP50: string;
  delayP90: string;
  delayMean: string;
  businessDelayP50: string;
  followUpRate: string;
  spellingErrorRate: string;
  errorsPer100Words: string;
  logoRate: string;
  charterRate: string;
  signatureRate: string;
  personalisedRate: string;
  scoreMean: string;
  ranking: string;
  sector: string;
  sectorMean: string;
  leader: string;
  rank: string;
  brand: string;
  noRanking: string;
  charts: string;
  delayChartTitle: string;
  rateChartTitle: string;
  weeklyChartTitle: string;
  histogram: { within1h: string; from1To4h: string; from4To24h: string; from24To48h: string; over48h: string; noAnswer: string };
  week: string;
  figure: string;
  thisBrand: string;
  brandSection: Fn<[name: string]>;
  probeList: string;
  probeHeading: Fn<[n: number, subject: string]>;
  sentAt: string;
  scheduledAt: string;
  recipient: string;
  scenario: string;
  persona: string;
  channel: string;
  probeStatus: string;
  acknowledgement: string;
  noAcknowledgement: string;
  answer: string;
  unanswered: string;
  delayCalendar: string;
  delayBusiness: string;
  reminders: string;
  reminderLine: Fn<[seq: number, status: string, when: string]>;
  broughtAnswer: string;
  broughtNothing: string;
  noReminders: string;
  followUps: string;
  noFollowUps: string;
  replyText: string;
  noReplyText: string;
  spellingErrors: string;
  noSpellingErrors: string;
  spellingUnchecked: string;
  suggestions: string;
  formFindings: string;
  form: { greeting: string; closing: string; thanks: string; signature: string; personalised: string; logo: string; charter: string };
  present: string;
  absent: string;
  evidence: string;
  scoreGrid: string;
  criterion: string;
  automatic: string;
  override: string;
  effective: string;
  overriddenBy: Fn<[who: string, when: string]>;
  /** Where a criterion's counted value comes from (the double rating's `source`). */
  sources: Record<'arbitration' | 'agreed' | 'mean' | 'rater' | 'automatic', string>;
  note: string;
  parts: { delay: string; relevance: string; welcome: string };
  notAnalysed: string;
  proof: string;
  sha256: string;
  downloadEml: string;
  dkim: string;
  dkimResult: { pass: string; fail: string; none: string; neutral: string; temperror: string; permerror: string; policy: string; unverified: string };
  dkimSignedBy: Fn<[domain: string]>;
  times: string;
  smtpAccepted: string;
  /** A send held for an auditor (interrupted, with no copy in the Sent folder), and how it was settled. */
  heldForReview: string;
  heldSince: Fn<[since: string, reason: string]>;
  heldSettled: Fn<[what: string, since: string, outcome: string, who: string, when: string]>;
  heldOutcome: { sent: Fn<[at: string]>; not_sent: string; failed: string };
  heldWhat: Fn<[seq: number | null]>;
  establishedBy: Fn<[who: string]>;
  imapArrival: string;
  dateHeader: string;
  receivedHeaders: string;
  messageAsReceived: string;
  remoteImageBlocked: Fn<[host: string]>;
  /** Names of the score grid's criteria (see audit/score.ts). */
  criteria: Record<CriterionId, string>;
  kinds: { answer: string; acknowledgement: string; follow_up: string; bounce: string; unknown: string };
  late: string;
  yes: string;
  no: string;
  none: string;
}

const fr: ReportMessages = {
  reportTitle: 'Rapport de campagne',
  evidencePackTitle: 'Dossier de preuves',
  generatedAt: (when) => `Généré le ${when}`,
  contents: 'Sommaire',
  page: 'Page',
  of: 'sur',
  method: 'Méthode',
  period: 'Période',
  timezone: 'Fuseau horaire',
  status: 'Statut',
  probesPerBrand: 'Sollicitations par marque',
  brands: 'Marques',
  scenarios: 'Scénarios',
  scenarioLanguage: 'langue',
  mailboxes: 'Boîtes de test',
  norms: 'Normes de délai',
  normWithin: (norm) => `Dans les ${norm}`,
  businessHours: 'Heures ouvrées',
  reminderPolicy: (after, max) => `Relance après ${after} sans réponse, ${max} au plus`,
  noReminder: 'Aucune relance',
  noteFormula: 'Calcul de la note',
  noteFormulaText: 'note /100 = délai /30 + pertinence /50 + qualité d’accueil /20',
  welcomeWeights: 'Poids des critères de qualité d’accueil',
  delayPoints: 'Points de délai',
  analyserVersion: 'Version de l’analyseur',
  headline: 'Chiffres clés',
  probes: 'Sollicitations',
  answered: 'Réponses',
  responseRate: 'Taux de réponse avant relance',
  responseRateAfterReminder: 'Taux de réponse après relance',
  ackRate: 'Taux d’accusés de réception',
  delayP50: 'Délai médian',
  delayP90: 'Délai 90e centile',
  delayMean: 'Délai moyen',
  businessDelayP50: 'Délai médian en heures ouvrées',
  followUpRate: 'Taux de suivi par la marque',
  spellingErrorRate: 'Réponses avec faute d’orthographe',
  errorsPer100Words: 'Fautes pour 100 mots',
  logoRate: 'Réponses avec logo',
  charterRate: 'Réponses à la charte graphique',
  signatureRate: 'Réponses signées d’un nom',
  personalisedRate: 'Réponses personnalisées',
  scoreMean: 'Note moyenne',
  ranking: 'Classement par secteur',
  sector: 'Secteur',
  sectorMean: 'Moyenne du secteur',
  leader: 'En tête',
  rank: 'Rang',
  brand: 'Marque',
  noRanking: 'Aucune marque notée',
  charts: 'Graphiques',
  delayChartTitle: 'Répartition des délais de première réponse',
  rateChartTitle: 'Taux de réponse par marque',
  weeklyChartTitle: 'Semaine après semaine',
  histogram: { within1h: '≤ 1 h', from1To4h: '1–4 h', from4To24h: '4–24 h', from24To48h: '24–48 h', over48h: '> 48 h', noAnswer: 'Sans réponse' },
  week: 'Semaine',
  figure: 'Indicateur',
  thisBrand: 'Marque',
  brandSection: (name) => `Marque : ${name}`,
  probeList: 'Sollicitations, dans l’ordre',
  probeHeading: (n, subject) => `Sollicitation ${n} — ${subject}`,
  sentAt: 'Envoyée le',
  scheduledAt: 'Prévue le',
  recipient: 'Destinataire',
  scenario: 'Scénario',
  persona: 'Persona',
  channel: 'Canal',
  probeStatus: 'État',
  acknowledgement: 'Accusé de réception',
  noAcknowledgement: 'Aucun accusé de réception',
  answer: 'Réponse',
  unanswered: 'Sans réponse',
  delayCalendar: 'Délai calendaire',
  delayBusiness: 'Délai en heures ouvrées',
  reminders: 'Relances',
  reminderLine: (seq, status, when) => `Relance ${seq} : ${status}, ${when}`,
  broughtAnswer: 'a obtenu la réponse',
  broughtNothing: 'sans effet',
  noReminders: 'Aucune relance envoyée',
  followUps: 'Suites données par la marque',
  noFollowUps: 'Aucune suite',
  replyText: 'Texte de la réponse (historique cité retiré)',
  noReplyText: 'Aucun texte propre',
  spellingErrors: 'Fautes d’orthographe',
  noSpellingErrors: 'Aucune faute relevée',
  spellingUnchecked: 'Orthographe non vérifiée (pas de dictionnaire pour cette langue)',
  suggestions: 'suggestions',
  formFindings: 'Forme',
  form: { greeting: 'Salutation', closing: 'Formule de politesse', thanks: 'Remerciements', signature: 'Signature', personalised: 'Personnalisation', logo: 'Logo', charter: 'Charte graphique' },
  present: 'oui',
  absent: 'non',
  evidence: 'Preuve',
  scoreGrid: 'Grille de notation',
  criterion: 'Critère',
  automatic: 'Automatique',
  override: 'Correction de l’auditeur',
  effective: 'Retenu',
  overriddenBy: (who, when) => `par ${who}, le ${when}`,
  sources: { arbitration: 'arbitrage', agreed: 'accord des deux auditeurs', mean: 'moyenne des deux auditeurs', rater: 'un auditeur', automatic: 'automatique' },
  note: 'Note',
  parts: { delay: 'Délai', relevance: 'Pertinence', welcome: 'Qualité d’accueil' },
  notAnalysed: 'Pas encore analysée',
  proof: 'Preuves',
  sha256: 'SHA-256 du message brut',
  downloadEml: 'Télécharger le .eml',
  dkim: 'Signature DKIM',
  dkimResult: { pass: 'valide', fail: 'invalide', none: 'absente', neutral: 'neutre', temperror: 'non vérifiable (erreur DNS temporaire)', permerror: 'erreur permanente', policy: 'refusée par la politique', unverified: 'pas encore vérifiée' },
  dkimSignedBy: (domain) => `signée par ${domain}`,
  times: 'Horodatages',
  smtpAccepted: 'Acceptation SMTP de la sollicitation',
  heldForReview: 'Envoi en attente de vérification',
  heldSince: (since, reason) => `en attente depuis le ${since} : ${reason}`,
  heldSettled: (what, since, outcome, who, when) => `${what}, en attente depuis le ${since}, réglé par ${who} le ${when} : ${outcome}`,
  heldOutcome: {
    sent: (at) => `envoyé le ${at} (heure établie par l'auditeur ; les délais partent de là)`,
    not_sent: 'non envoyé, renvoyé',
    failed: 'abandonné',
  },
  heldWhat: (seq) => (seq === null ? 'Sollicitation' : `Relance ${seq}`),
  establishedBy: (who) => `heure établie par ${who}, envoi interrompu sans preuve`,
  imapArrival: 'Arrivée dans la boîte (INTERNALDATE)',
  dateHeader: 'En-tête Date',
  receivedHeaders: 'En-têtes Received',
  messageAsReceived: 'Le message tel que reçu (nettoyé, images distantes bloquées)',
  remoteImageBlocked: (host) => `image distante bloquée (${host})`,
  criteria: {
    delay: 'Délai de la première réponse au regard des normes',
    acknowledgement: 'Accusé de réception (ou réponse dans la première norme)',
    greeting: 'Salutation nommant le client',
    personalisation: 'Nom du client et termes de sa question',
    thanks: 'Remerciements',
    relevance: 'La réponse traite la question',
    completeness: 'Part des points attendus traités',
    clarity: 'Clarté, réponse écrite pour ce message (ni type, ni trop courte)',
    spelling: 'Orthographe',
    typography: 'Typographie et ponctuation',
    closing: 'Formule de politesse',
    signature: 'Signature nominative',
    logo: 'Logo de la marque',
    charter: 'Charte graphique de la marque',
  },
  kinds: { answer: 'réponse', acknowledgement: 'accusé de réception', follow_up: 'suite', bounce: 'rejet', unknown: 'inconnu' },
  late: 'arrivée après la clôture',
  yes: 'oui',
  no: 'non',
  none: 'aucun',
};

const en: ReportMessages = {
  reportTitle: 'Campaign report',
  evidencePackTitle: 'Evidence pack',
  generatedAt: (when) => `Generated on ${when}`,
  contents: 'Contents',
  page: 'Page',
  of: 'of',
  method: 'Method',
  period: 'Period',
  timezone: 'Timezone',
  status: 'Status',
  probesPerBrand: 'Probes per brand',
  brands: 'Brands',
  scenarios: 'Scenarios',
  scenarioLanguage: 'language',
  mailboxes: 'Test mailboxes',
  norms: 'Delay norms',
  normWithin: (norm) => `Within ${norm}`,
  businessHours: 'Business hours',
  reminderPolicy: (after, max) => `Reminder after ${after} without an answer, at most ${max}`,
  noReminder: 'No reminder',
  noteFormula: 'How the note is computed',
  noteFormulaText: 'note /100 = delay /30 + relevance /50 + welcome quality /20',
  welcomeWeights: 'Weights of the welcome-quality criteria',
  delayPoints: 'Delay points',
  analyserVersion: 'Analyser version',
  headline: 'Headline figures',
  probes: 'Probes',
  answered: 'Answered',
  responseRate: 'Response rate before reminder',
  responseRateAfterReminder: 'Response rate after reminder',
  ackRate: 'Acknowledgement rate',
  delayP50: 'Median delay',
  delayP90: '90th percentile delay',
  delayMean: 'Mean delay',
  businessDelayP50: 'Median delay in business hours',
  followUpRate: 'Brand follow-up rate',
  spellingErrorRate: 'Answers with a spelling error',
  errorsPer100Words: 'Errors per 100 words',
  logoRate: 'Answers with the logo',
  charterRate: 'Answers in the graphic charter',
  signatureRate: "Answers signed with a person's name",
  personalisedRate: 'Personalised answers',
  scoreMean: 'Mean note',
  ranking: 'Ranking by sector',
  sector: 'Sector',
  sectorMean: "Sector's mean",
  leader: 'Leader',
  rank: 'Rank',
  brand: 'Brand',
  noRanking: 'No brand has a note',
  charts: 'Charts',
  delayChartTitle: 'Delay of the first answer',
  rateChartTitle: 'Response rate by brand',
  weeklyChartTitle: 'Week by week',
  histogram: { within1h: '≤ 1 h', from1To4h: '1–4 h', from4To24h: '4–24 h', from24To48h: '24–48 h', over48h: '> 48 h', noAnswer: 'No answer' },
  week: 'Week',
  figure: 'Figure',
  thisBrand: 'Brand',
  brandSection: (name) => `Brand: ${name}`,
  probeList: 'Probes, in order',
  probeHeading: (n, subject) => `Probe ${n} — ${subject}`,
  sentAt: 'Sent',
  scheduledAt: 'Scheduled',
  recipient: 'Recipient',
  scenario: 'Scenario',
  persona: 'Persona',
  channel: 'Channel',
  probeStatus: 'Status',
  acknowledgement: 'Acknowledgement',
  noAcknowledgement: 'No acknowledgement',
  answer: 'Answer',
  unanswered: 'Unanswered',
  delayCalendar: 'Calendar delay',
  delayBusiness: 'Delay in business hours',
  reminders: 'Reminders',
  reminderLine: (seq, status, when) => `Reminder ${seq}: ${status}, ${when}`,
  broughtAnswer: 'brought the answer',
  broughtNothing: 'brought nothing',
  noReminders: 'No reminder sent',
  followUps: 'Brand follow-ups',
  noFollowUps: 'No follow-up',
  replyText: 'Reply text (quoted history cut)',
  noReplyText: 'No text of its own',
  spellingErrors: 'Spelling errors',
  noSpellingErrors: 'No error found',
  spellingUnchecked: 'Spelling not checked (no dictionary for this language)',
  suggestions: 'suggestions',
  formFindings: 'Form',
  form: { greeting: 'Greeting', closing: 'Closing formula', thanks: 'Thanks', signature: 'Signature', personalised: 'Personalisation', logo: 'Logo', charter: 'Graphic charter' },
  present: 'yes',
  absent: 'no',
  evidence: 'Evidence',
  scoreGrid: 'Score grid',
  criterion: 'Criterion',
  automatic: 'Automatic',
  override: "Auditor's override",
  effective: 'Counted',
  overriddenBy: (who, when) => `by ${who}, on ${when}`,
  sources: { arbitration: 'arbitration', agreed: 'both raters agree', mean: "the two raters' mean", rater: 'one rater', automatic: 'automatic' },
  note: 'Note',
  parts: { delay: 'Delay', relevance: 'Relevance', welcome: 'Welcome quality' },
  notAnalysed: 'Not analysed yet',
  proof: 'Proof',
  sha256: 'SHA-256 of the raw message',
  downloadEml: 'Download the .eml',
  dkim: 'DKIM signature',
  dkimResult: { pass: 'pass', fail: 'fail', none: 'none', neutral: 'neutral', temperror: 'could not be checked (temporary DNS error)', permerror: 'permanent error', policy: 'rejected by policy', unverified: 'not verified yet' },
  dkimSignedBy: (domain) => `signed by ${domain}`,
  times: 'Times',
  smtpAccepted: "Probe's SMTP acceptance",
  heldForReview: 'Send held for review',
  heldSince: (since, reason) => `held since ${since}: ${reason}`,
  heldSettled: (what, since, outcome, who, when) => `${what}, held since ${since}, settled by ${who} on ${when}: ${outcome}`,
  heldOutcome: {
    sent: (at) => `sent at ${at} (time established by the auditor; the delays count from it)`,
    not_sent: 'not sent, sent again',
    failed: 'given up',
  },
  heldWhat: (seq) => (seq === null ? 'Probe' : `Reminder ${seq}`),
  establishedBy: (who) => `time established by ${who}, the send was interrupted without evidence`,
  imapArrival: 'Arrival in the mailbox (INTERNALDATE)',
  dateHeader: 'Date header',
  receivedHeaders: 'Received headers',
  messageAsReceived: 'The message as received (sanitised, remote images blocked)',
  remoteImageBlocked: (host) => `remote image blocked (${host})`,
  criteria: Object.fromEntries(CRITERIA.map((c) => [c.id, c.label])) as Record<CriterionId, string>,
  kinds: { answer: 'answer', acknowledgement: 'acknowledgement', follow_up: 'follow-up', bounce: 'bounce', unknown: 'unknown' },
  late: 'arrived after closing',
  yes: 'yes',
  no: 'no',
  none: 'none',
};

const catalogues: Record<Lang, ReportMessages> = { fr, en };

/** The report's strings in `lang`. */
export function t(lang: Lang): ReportMessages {
  return catalogues[lang];
}
