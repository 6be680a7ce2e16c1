import { describe, expect, it } from 'vitest';
import type { ExpectedPoint } from '../../src/audit/context.ts';
import { assessRelevance } from '../../src/audit/relevance.ts';
import { cutReply, parseFixture } from '../support/parse-fixture.ts';

const points: ExpectedPoint[] = [
  { label: 'Apology', keywords: ['excuse', 'désolé', 'regrette'] },
  { label: 'New delivery date', keywords: ['nouvelle date', 'sera livrée'] },
  { label: 'Shipping costs refunded', keywords: ['frais de port', 'frais de livraison'] },
  { label: 'Tracking', keywords: ['numéro de suivi', 'suivre'] },
];

describe('assessRelevance', () => {
  it('covers points by stem, with case and accents folded', () => {
    const text = 'Nous sommes DESOLES : votre table sera LIVREE jeudi.';
    const findings = assessRelevance(text, points, 'fr');
    expect(findings).toMatchObject({ share: 0.5, covered: 2, expected: 4 });
    expect(findings.points[0]).toEqual({ label: 'Apology', covered: true, matched: [{ keyword: 'désolé', text: 'DESOLES', offset: 12 }] });
    expect(findings.points[1]?.matched).toEqual([{ keyword: 'sera livrée', text: 'LIVREE', offset: 39 }]);
    expect(findings.points[3]).toEqual({ label: 'Tracking', covered: false, matched: [] });
  });

  it('matches a phrase as its content words side by side, grammatical words between them not counting', () => {
    expect(assessRelevance('Les frais de la livraison vous seront rendus.', points, 'fr').points[2]?.matched).toEqual([
      { keyword: 'frais de livraison', text: 'frais de la livraison', offset: 4 },
    ]);
    expect(assessRelevance('Des frais seront facturés pour la livraison.', points, 'fr').points[2]?.covered).toBe(false);
  });

  it('lists every keyword that matched, and gives a null share when nothing is expected', () => {
    const findings = assessRelevance("Nous nous excusons et regrettons ce retard.", points, 'fr');
    expect(findings.points[0]?.matched.map((match) => match.keyword)).toEqual(['excuse', 'regrette']);
    expect(assessRelevance('Bonjour.', [], 'fr')).toEqual({ share: null, covered: 0, expected: 0, points: [] });
  });

  it('stems English replies in English', () => {
    const findings = assessRelevance('Your refund has been processed and the parcel was delivered.', [
      { label: 'Refund', keywords: ['refunded'] },
      { label: 'Delivery', keywords: ['delivery'] },
    ], 'en');
    expect(findings.share).toBe(1);
  });

  it('measures real replies: full coverage against a partial one', async () => {
    const branded = await parseFixture('fr-branded-cid-logo.eml');
    const apple = await parseFixture('fr-apple-plain.eml');
    const full = assessRelevance(cutReply(branded.text, 'À très bientôt,').replyText, points, 'fr');
    const partial = assessRelevance(cutReply(apple.text, 'Bonne journée,').replyText, points, 'fr');
    expect(full.share).toBe(1);
    expect(partial.points.filter((point) => point.covered).map((point) => point.label)).toEqual(['Shipping costs refunded']);
  });
});
