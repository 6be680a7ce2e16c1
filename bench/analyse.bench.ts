/**
 * Benchmark of the reply analysis: `npx tsx bench/analyse.bench.ts [--answers 2000] [--seed 7]`.
 *
 * Generates French customer-service answers of about 150 words (a deterministic mix of
 * greetings, explanations and closings, with 0 to 3 typos made by random edits, so that the
 * suggester's cache rarely helps), as plain text, bare client HTML and branded templates.
 * Measures the French speller's load (time and resident memory it adds, taken first, in a
 * process that has loaded nothing else big), raw dictionary throughput, the whole spelling
 * pass, and the whole analysis of one answer. Prints a table, then one JSON line, last.
 */
import { mulberry32 } from '../src/audit/random.ts';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { answers: { type: 'string', default: '2000' }, seed: { type: 'string', default: '7' } } });
const answerCount = Number(values.answers);
const seed = Number(values.seed);
if (!Number.isInteger(answerCount) || answerCount < 1) throw new Error('--answers must be a positive integer');

// 1. The French speller, first: nothing big is loaded yet, so the RSS delta is its own.
const rssBefore = process.memoryUsage().rss;
const loadStart = performance.now();
const { loadSpeller } = await import('../src/spell/hunspell.ts');
const french = await loadSpeller('fr');
const dictLoadMs = performance.now() - loadStart;
const dictAddedMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;

const { analyseReply } = await import('../src/audit/analyse.ts');
const { checkSpelling } = await import('../src/audit/spelling.ts');
const { tokenize } = await import('../src/audit/tokenize.ts');
const english = await loadSpeller('en');

type ParsedMessage = import('../src/audit/message.ts').ParsedMessage;
type AnalysisContext = import('../src/audit/context.ts').AnalysisContext;

const random = mulberry32;
const next = random(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

const PERSONAS = [
  ['Marie', 'Dupont'],
  ['Claire', 'Lefèvre'],
  ['Julien', 'Moreau'],
  ['Sophie', 'Garnier'],
  ['Thomas', 'Roussel'],
] as const;
const AGENTS = ['Sophie Martin', 'Julien Leroy', 'Camille Bernard', 'Nadia Haddad', 'Lucas Petit'];
const PRODUCTS = ['table basse en chêne', 'canapé trois places', 'lampe de chevet', 'aspirateur sans fil', 'machine à café', 'matelas à mémoire de forme'];
const CARRIERS = ['Colissimo', 'Chronopost', 'DPD', 'notre transporteur'];
const DAYS = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi'];

const GREETINGS = ['Bonjour Madame {last},', 'Bonjour Monsieur {last},', 'Bonjour {first},', 'Bonjour,', 'Chère Madame {last},'];
const THANKS = [
  'Nous vous remercions pour votre message et pour la confiance que vous accordez à notre enseigne.',
  'Merci de nous avoir contactés au sujet de votre commande {order}.',
  'Nous avons bien reçu votre demande et nous vous remercions de nous avoir écrit.',
];
const BODY = [
  'Après vérification auprès de notre entrepôt, votre {product} a été expédié hier par {carrier} et devrait vous être livré {day} prochain.',
  "Malheureusement, un incident logistique a retardé la préparation de votre colis, et nous comprenons tout à fait votre déception.",
  'Nous vous prions de bien vouloir nous excuser pour ce désagrément, qui ne reflète pas la qualité de service que nous souhaitons vous offrir.',
  'Les frais de livraison vous seront intégralement remboursés sous cinq jours ouvrés sur le moyen de paiement utilisé lors de votre achat.',
  "Vous pouvez suivre l'acheminement de votre commande depuis votre espace client, rubrique « Mes commandes », ou sur https://www.maisonbleue.fr/suivi.",
  "Si le produit ne vous convient pas, vous disposez d'un délai de trente jours pour nous le retourner gratuitement dans son emballage d'origine.",
  "Notre service après-vente reste joignable du lundi au samedi de 9 h à 19 h au 09 70 80 90 00, ou par e-mail à sav@maisonbleue.fr.",
  'Un geste commercial de quinze euros a été ajouté à votre compte fidélité et sera utilisable dès votre prochaine commande.',
  "Nous avons également transmis votre remarque à l'équipe qualité afin qu'un tel retard ne se reproduise plus.",
  "Le numéro de suivi de votre colis est le {order}-FR ; il sera actif dès ce soir, le temps que le transporteur enregistre l'envoi.",
  "Si vous préférez un retrait en magasin, il suffit de nous l'indiquer en réponse à ce message et nous modifierons la livraison.",
  "Nous restons à votre entière disposition pour toute information complémentaire et n'hésitez pas à revenir vers nous.",
];
const CLOSINGS = ['Cordialement,', 'Bien cordialement,', 'Belle journée,', 'Bien à vous,'];

function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/gu, (_, key: string) => slots[key] ?? key);
}

/** One random single-letter edit of a word: the commonest typos. */
function typo(word: string): string {
  const at = 1 + Math.floor(next() * (word.length - 2));
  const letter = pick([...'esaitnrulodcmp']);
  switch (Math.floor(next() * 4)) {
    case 0:
      return word.slice(0, at) + word.slice(at + 1);
    case 1:
      return word.slice(0, at) + letter + word.slice(at);
    case 2:
      return word.slice(0, at) + (word[at + 1] ?? '') + (word[at] ?? '') + word.slice(at + 2);
    default:
      return word.slice(0, at) + letter + word.slice(at + 1);
  }
}

interface Answer {
  message: ParsedMessage;
  replyText: string;
  signature: string;
  context: AnalysisContext;
}

function makeAnswer(index: number): Answer {
  const [first, last] = pick(PERSONAS);
  const order = String(40000 + Math.floor(next() * 9999));
  const slots = { first, last, order, product: pick(PRODUCTS), carrier: pick(CARRIERS), day: pick(DAYS) };
  const sentences = [...BODY].sort(() => next() - 0.5).slice(0, 6 + Math.floor(next() * 2));
  let body = sentences.map((sentence) => fill(sentence, slots)).join(' ');
  const typos = Math.floor(next() * 4);
  // One typo per word at most: single edits are by far the commonest misspellings.
  const words = [...body.matchAll(/(?<=\s)[a-zéèàç]{6,}(?=[\s,.])/gu)].sort(() => next() - 0.5).slice(0, typos);
  for (const target of words.sort((a, b) => b.index - a.index)) {
    body = body.slice(0, target.index) + typo(target[0]) + body.slice(target.index + target[0].length);
  }
  const replyText = [fill(pick(GREETINGS), slots), fill(pick(THANKS), slots), body, pick(CLOSINGS)].join('\n\n');
  const agent = pick(AGENTS);
  const signature = `${agent}\nConseiller clientèle – Maison Bleue`;
  const text = `${replyText}\n${signature}`;
  const style = index % 5;
  const html =
    style < 2
      ? null
      : style < 4
        ? `<div dir="ltr">${text.split('\n').map((line) => `<div>${line || '<br>'}</div>`).join('')}</div>`
        : `<table role="presentation" width="600" style="font-family:Montserrat,Arial"><tr><td bgcolor="#1a4b8c"><img src="cid:logo@mb" alt="Maison Bleue" width="180" height="48"></td></tr><tr><td>${text
            .split('\n\n')
            .map((paragraph) => `<p>${paragraph.replace(/\n/gu, '<br>')}</p>`)
            .join('')}</td></tr></table><img src="https://t.maisonbleue.fr/o/${index}.gif" width="1" height="1">`;
  const message: ParsedMessage = {
    messageId: `bench-${index}@maisonbleue.fr`,
    inReplyTo: [],
    references: [],
    from: { name: agent, address: 'service.client@maisonbleue.fr' },
    returnPath: 'service.client@maisonbleue.fr',
    to: [{ name: `${first} ${last}`, address: 'persona@boite-test.fr' }],
    cc: [],
    replyTo: [],
    subject: 'Re: Retard de livraison',
    date: null,
    headers: {},
    text,
    html,
    contentType: html === null ? 'text/plain' : 'multipart/alternative',
    partTypes: [],
    attachments: [],
    parseError: null,
  };
  const context: AnalysisContext = {
    persona: { firstName: first, lastName: last, gender: 'female' },
    brand: {
      name: 'Maison Bleue',
      senderDomains: ['maisonbleue.fr'],
      vocabulary: ['Bleucard'],
      charter: { logoHints: ['logo-maisonbleue'], colors: ['#1a4b8c', '#f5a623'] },
    },
    scenario: {
      subject: `Retard de livraison commande ${order}`,
      body: `Bonjour, j'ai commandé un(e) ${slots.product} (commande ${order}) qui devait arriver la semaine dernière. Où en est la livraison, et les frais de port me seront-ils remboursés ?`,
      expectedPoints: [
        { label: 'Apology', keywords: ['excuser', 'désolé', 'regrettons'] },
        { label: 'Delivery date', keywords: ['livré', 'expédié'] },
        { label: 'Refund', keywords: ['remboursés', 'geste commercial'] },
        { label: 'Tracking', keywords: ['suivre', 'numéro de suivi'] },
      ],
    },
  };
  return { message, replyText, signature, context };
}

const answers = Array.from({ length: answerCount }, (_, index) => makeAnswer(index));
const words = answers.flatMap((answer) => tokenize(`${answer.replyText}\n${answer.signature}`).filter((token) => token.kind === 'word').map((token) => token.text));

// 2. Raw dictionary throughput: every word of every answer, checked once.
let accepted = 0;
const checkStart = performance.now();
for (const word of words) if (french.correct(word)) accepted++;
const wordsPerSec = words.length / ((performance.now() - checkStart) / 1000);

// 3. The whole analysis, after a short warm-up on answers of their own.
const analyse = (answer: Answer) =>
  analyseReply({ ...answer, language: 'fr', speller: french, alternateSpeller: english });
for (let index = 0; index < Math.min(50, answerCount); index++) analyse(makeAnswer(answerCount + index));

const durations: number[] = [];
let errors = 0;
const runStart = performance.now();
for (const answer of answers) {
  const start = performance.now();
  errors += analyse(answer).spelling.errors.length;
  durations.push(performance.now() - start);
}
const runMs = performance.now() - runStart;

// 4. The spelling pass alone (tokens, exclusions, suggestions), on fresh spellers' caches being warm now.
const spellStart = performance.now();
for (const answer of answers) checkSpelling({ replyText: answer.replyText, signature: answer.signature, speller: french });
const spellingWordsPerSec = words.length / ((performance.now() - spellStart) / 1000);

durations.sort((a, b) => a - b);
const percentile = (share: number): number => durations[Math.min(durations.length - 1, Math.floor(share * durations.length))] as number;
const round = (value: number, decimals = 2): number => Math.round(value * 10 ** decimals) / 10 ** decimals;

const result = {
  bench: 'analyse',
  answers: answerCount,
  dictLoadMs: round(dictLoadMs, 1),
  dictAddedMb: round(dictAddedMb, 1),
  wordsPerSec: Math.round(wordsPerSec),
  answerMsP50: round(percentile(0.5), 3),
  answerMsP95: round(percentile(0.95), 3),
  answersPerSec: Math.round(answerCount / (runMs / 1000)),
  rssMb: round(process.memoryUsage().rss / 2 ** 20, 1),
  spellingWordsPerSec: Math.round(spellingWordsPerSec),
  answerMsMax: round(durations[durations.length - 1] as number, 3),
  wordsPerAnswer: round(words.length / answerCount, 1),
  spellingErrors: errors,
};

const rows: [string, string, string][] = [
  ['French speller ready', `${result.dictLoadMs} ms`, 'target ≤ 500 ms'],
  ['memory it adds (RSS)', `${result.dictAddedMb} MB`, 'target ≤ 120 MB'],
  ['dictionary checks', `${result.wordsPerSec.toLocaleString('en')} words/s`, 'target ≥ 100,000'],
  ['spelling pass (with suggestions)', `${result.spellingWordsPerSec.toLocaleString('en')} words/s`, ''],
  ['one answer, p50', `${result.answerMsP50} ms`, 'target < 5 ms'],
  ['one answer, p95', `${result.answerMsP95} ms`, 'target < 5 ms'],
  ['one answer, max', `${result.answerMsMax} ms`, ''],
  ['answers per second', `${result.answersPerSec}`, ''],
  ['words per answer', `${result.wordsPerAnswer}`, `${accepted} of ${words.length} words accepted, ${errors} errors flagged`],
  ['process RSS', `${result.rssMb} MB`, ''],
];
console.log(`analyse benchmark: ${answerCount} French answers, seed ${seed}\n`);
for (const [name, value, note] of rows) console.log(`  ${name.padEnd(34)} ${value.padStart(22)}   ${note}`);
console.log('');
console.log(JSON.stringify(result));
