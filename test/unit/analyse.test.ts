import { beforeAll, describe, expect, it } from 'vitest';
import { analyseReply, ANALYSER_VERSION, type AnalyseInput, type AnalysisContext } from '../../src/audit/analyse.ts';
import { CANNED_THRESHOLD, cannedFingerprint, fingerprintSimilarity } from '../../src/audit/canned.ts';
import type { Speller } from '../../src/audit/spelling.ts';
import { loadSpeller } from '../../src/spell/hunspell.ts';
import { cutReply, parseFixture } from '../support/parse-fixture.ts';

let french: Speller;
let english: Speller;

beforeAll(async () => {
  [french, english] = await Promise.all([loadSpeller('fr'), loadSpeller('en')]);
});

const maisonBleue: AnalysisContext = {
  persona: { firstName: 'Marie', lastName: 'Dupont', gender: 'female' },
  brand: {
    name: 'Maison Bleue',
    senderDomains: ['maisonbleue.fr'],
    vocabulary: ['Bleucard'],
    charter: { logoHints: ['logo-maisonbleue'], colors: ['#1a4b8c', '#f5a623'] },
  },
  scenario: {
    subject: 'Retard de livraison commande 45821',
    body: "Bonjour,\nJ'ai passé commande le 3 mars d'une table basse en chêne, livraison prévue le 10 mars. Pouvez-vous me rembourser les frais de port ?\n{{persona.firstName}} {{persona.lastName}}",
    expectedPoints: [
      { label: 'Apology', keywords: ['excuse', 'désolé'] },
      { label: 'New delivery date', keywords: ['sera livrée', 'expédiée'] },
      { label: 'Shipping costs refunded', keywords: ['frais de port', 'frais de livraison'] },
    ],
  },
};

async function input(file: string, closing: string, quoteStart: string | null, language: string, context = maisonBleue): Promise<AnalyseInput> {
  const message = await parseFixture(file);
  return { message, ...cutReply(message.text, closing, quoteStart), language, context, speller: french, alternateSpeller: english };
}

describe('analyseReply', () => {
  it('analyses a Gmail answer signed by an agent', async () => {
    const analysis = analyseReply(await input('fr-gmail-agent.eml', 'Bien cordialement,', 'Le lun. 10 mars', 'fr'));
    expect(analysis).toMatchObject({ version: ANALYSER_VERSION, language: 'fr', wordCount: 100 });
    expect(analysis.spelling.errors.map((error) => [error.word, error.suggestions[0]])).toEqual([
      ['Malheuresement', 'Malheureusement'],
      ['recevoire', 'recevoir'],
    ]);
    expect(analysis.typography.issues).toEqual([]);
    const { greeting, closing, thanks, signature, personalised, logo, charter } = analysis.form;
    expect([greeting.present, greeting.namesPersona, closing.present, thanks.present, signature.present, personalised.present]).toEqual([true, true, true, true, true, true]);
    expect(signature.personName).toBe('Sophie Martin');
    expect([logo.present, charter.present]).toEqual([false, false]);
    expect(analysis.relevance).toMatchObject({ share: 1, covered: 3 });
    expect(analysis.cannedFingerprint).toMatch(/^mh1:[0-9a-f]{256}$/u);
  });

  it('analyses a branded template: logo, charter, team signature, a word split by markup read whole', async () => {
    const analysis = analyseReply(await input('fr-branded-cid-logo.eml', 'À très bientôt,', null, 'fr'));
    expect(analysis.spelling.errors).toEqual([]);
    expect(analysis.form.logo).toMatchObject({ present: true, region: 'header', trackingPixels: 1 });
    expect(analysis.form.charter).toMatchObject({ present: true, score: 1 });
    expect(analysis.form.signature).toMatchObject({ present: false, team: "L'équipe Maison Bleue" });
    expect(analysis.form.greeting).toMatchObject({ evidence: 'Bonjour Marie', namesPersona: true });
  });

  it('analyses an Outlook answer: typography, anonymous team, unmatched signature image', async () => {
    const analysis = analyseReply(await input('fr-outlook-team.eml', 'Cordialement,', 'De : Marie', 'fr'));
    expect(analysis.spelling.errors).toEqual([]);
    expect(analysis.typography.issues).toHaveLength(7);
    expect(analysis.form.greeting).toMatchObject({ present: true, namesPersona: false });
    expect(analysis.form.signature).toMatchObject({ present: false, signed: true, team: 'Le Service Client' });
    expect(analysis.form.logo.present).toBe(false);
    expect(analysis.relevance.points.map((point) => point.covered)).toEqual([false, true, false]);
  });

  it('checks an English reply with the English dictionary when it comes as the alternate', async () => {
    const context: AnalysisContext = { persona: { firstName: 'Emily', lastName: 'Clarke' }, brand: { name: 'Northwind Outfitters', senderDomains: ['northwind-outfitters.co.uk'], vocabulary: [] } };
    const analysis = analyseReply(await input('en-gmail-agent.eml', 'Kind regards,', 'On Mon, 10', 'en', context));
    expect(analysis.spelling.language).toBe('en');
    expect(analysis.spelling.errors.map((error) => error.word)).toEqual(['recieved', 'definately']);
    expect(analysis.typography.counts).toEqual({ 'space-before-comma-or-period': 1, 'space-before-punctuation': 1 });
    expect(analysis.form.signature.personName).toBe('John Carter');
    expect(analysis.relevance.share).toBeNull();
  });

  it('checks no spelling in a language no dictionary covers, and takes the speller\'s for an undetermined one', async () => {
    const base = await input('fr-apple-plain.eml', 'Bonne journée,', '> Le 10 mars', 'de');
    const german = analyseReply(base);
    expect(german.spelling).toMatchObject({ checked: false, language: null, errors: [] });
    expect(german.spelling.wordCount).toBeGreaterThan(40);
    const undetermined = analyseReply({ ...base, language: 'und' });
    expect(undetermined.language).toBe('fr');
    expect(undetermined.spelling.checked).toBe(true);
  });

  it('works from a bare message with no context at all', async () => {
    const message = await parseFixture('en-outlook-team-pixel.eml');
    const analysis = analyseReply({ message, ...cutReply(message.text, 'Best regards,'), language: 'en', context: {}, speller: english });
    expect(analysis.form.greeting).toMatchObject({ present: true, namesPersona: false });
    expect(analysis.form.personalised.present).toBe(false);
    expect(analysis.form.logo).toMatchObject({ present: false, trackingPixels: 1 });
    expect(analysis.relevance.share).toBeNull();
  });
});

describe('canned fingerprints', () => {
  const template = (name: string, order: string): string =>
    `Bonjour Madame ${name},\n\nNous avons bien reçu votre demande concernant la commande ${order}. Un conseiller reviendra vers vous ` +
    'dans les meilleurs délais afin de vous apporter une réponse adaptée. Nous vous remercions pour votre patience et votre confiance.\n\nCordialement,';

  it('finds the same answer sent to two personas about two orders', () => {
    const first = cannedFingerprint(template('Dupont', '45821'), 'fr', ['Marie', 'Dupont']);
    const second = cannedFingerprint(template('Lefèvre', '77310'), 'fr', ['Claire', 'Lefèvre']);
    expect(fingerprintSimilarity(first, second)).toBeGreaterThanOrEqual(CANNED_THRESHOLD);
  });

  it('tells written answers apart', () => {
    const canned = cannedFingerprint(template('Dupont', '45821'), 'fr');
    const written = cannedFingerprint(
      'Bonjour Madame Dupont,\n\nVotre table basse a quitté notre entrepôt hier soir : elle sera livrée jeudi matin, et les frais de port vous sont remboursés.\n\nCordialement,',
      'fr',
    );
    expect(fingerprintSimilarity(canned, written)).toBeLessThan(0.3);
    expect(fingerprintSimilarity(canned, canned)).toBe(1);
  });

  it('compares nothing with an empty text or another format', () => {
    expect(cannedFingerprint('', 'fr')).toBe('mh1:');
    expect(fingerprintSimilarity('mh1:', 'mh1:')).toBe(0);
    expect(fingerprintSimilarity(cannedFingerprint('Votre colis arrive demain.', 'fr'), 'mh0:abcd')).toBe(0);
  });
});
