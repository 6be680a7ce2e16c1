import { describe, expect, it } from 'vitest';
import type { PersonaProfile } from '../../src/audit/context.ts';
import { findSignature, type SignatureInput } from '../../src/audit/form-signature.ts';
import { findClosing, findGreeting, findPersonaName, findThanks } from '../../src/audit/form.ts';
import { findPersonalisation } from '../../src/audit/personalisation.ts';
import { cutReply, parseFixture } from '../support/parse-fixture.ts';

const marie: PersonaProfile = { firstName: 'Marie', lastName: 'Dupont', gender: 'female' };
const probe = {
  subject: 'Retard de livraison commande 45821',
  body: "Bonjour,\nJ'ai passé commande le 3 mars d'une table basse en chêne, livraison prévue le 10 mars. Pouvez-vous me rembourser les frais de port ?\n{{persona.firstName}} {{persona.lastName}}",
};

describe('findGreeting', () => {
  it('finds a greeting that names the persona, with its words as evidence', () => {
    expect(findGreeting('Bonjour Madame Dupont,\n\nVotre colis est parti.', marie)).toEqual({
      present: true,
      evidence: 'Bonjour Madame Dupont',
      namesPersona: true,
      wrongTitle: false,
    });
    expect(findGreeting('Chère Marie, votre colis est parti.', marie)).toMatchObject({ evidence: 'Chère Marie', namesPersona: true });
    expect(findGreeting('Dear Ms Clarke,', { firstName: 'Emily', lastName: 'Clarke' })).toMatchObject({ namesPersona: true });
  });

  it('tells a generic greeting, a wrong title and no greeting at all', () => {
    expect(findGreeting('Bonjour,\nVotre colis est parti.', marie)).toMatchObject({ present: true, evidence: 'Bonjour', namesPersona: false });
    expect(findGreeting('Bonjour Monsieur Dupont,', marie)).toMatchObject({ namesPersona: true, wrongTitle: true });
    expect(findGreeting('Hello,', null)).toMatchObject({ present: true, namesPersona: false, wrongTitle: false });
    expect(findGreeting('Votre colis est parti hier.', marie)).toEqual({ present: false, evidence: null, namesPersona: false, wrongTitle: false });
  });
});

describe('findPersonaName', () => {
  it('matches names with case and accents folded, as whole words', () => {
    expect(findPersonaName('Merci MADAME DUPONT.', marie)).toBe('DUPONT');
    expect(findPersonaName('Bonjour Hélène', { firstName: 'Helene', lastName: 'Le Gall' })).toBe('Hélène');
    expect(findPersonaName('Merci Madame Le Gall.', { firstName: 'Anne', lastName: 'Le Gall' })).toBe('Le Gall');
    expect(findPersonaName('Les Dupontel vous saluent.', marie)).toBeNull();
  });
});

describe('findClosing', () => {
  it('finds the closing formula among the last lines or atop the signature', () => {
    expect(findClosing('Bonjour,\n\nVotre colis arrive.\n\nBien cordialement,', null)).toEqual({ present: true, evidence: 'Bien cordialement,' });
    expect(findClosing('Votre colis arrive.\nBonne fin de journée à vous', null)).toMatchObject({ present: true });
    expect(findClosing('Votre colis arrive.', 'Cordialement\nSophie')).toEqual({ present: true, evidence: 'Cordialement' });
    expect(findClosing("Veuillez agréer, Madame, l'expression de nos salutations distinguées.", null)).toMatchObject({ present: true });
    expect(findClosing('Thanks for waiting.\n\nKind regards,', null)).toEqual({ present: true, evidence: 'Kind regards,' });
  });

  it('finds none in a reply that just stops', () => {
    expect(findClosing('Bonjour,\n\nVotre colis arrive demain.', 'Sophie Martin')).toEqual({ present: false, evidence: null });
    expect(findClosing('Hello,\nThank you for contacting us.\nBest prices are on our website.', null).present).toBe(false);
  });
});

describe('findThanks', () => {
  it('finds thanks for the message or the contact', () => {
    expect(findThanks('Bonjour,\n\nNous vous remercions de nous avoir contactés. Voici la réponse.')).toEqual({
      present: true,
      evidence: 'Nous vous remercions de nous avoir contactés.',
    });
    expect(findThanks('Merci pour votre\nmessage et votre patience.').present).toBe(true);
    expect(findThanks('Thank you for contacting us about your order.').present).toBe(true);
  });

  it('does not take thanks for patience or a closing "merci" for thanks for the message', () => {
    expect(findThanks('Merci de votre patience.\n\nMerci et bonne journée.')).toEqual({ present: false, evidence: null });
    expect(findThanks('Thanks for your patience.').present).toBe(false);
  });
});

describe('findSignature', () => {
  const base: SignatureInput = { replyText: 'Bonjour,\n\nCordialement,', signature: null, closingLine: 'Cordialement,', senderName: null, brandName: 'Maison Bleue' };

  it("finds a person's name under the closing formula", () => {
    expect(findSignature({ ...base, signature: 'Sophie Martin\nConseillère clientèle – Maison Bleue' })).toEqual({
      present: true,
      evidence: 'Sophie Martin',
      signed: true,
      personName: 'Sophie Martin',
      team: null,
    });
    expect(findSignature({ ...base, signature: 'Julien\nService après-vente Maison Bleue' })).toMatchObject({ personName: 'Julien' });
    expect(findSignature({ ...base, replyText: 'Bonjour,\n\nCordialement, Sophie', closingLine: 'Cordialement, Sophie' })).toMatchObject({ present: true, personName: 'Sophie' });
    expect(findSignature({ ...base, signature: 'Camille Bernard, conseillère Maison Bleue' })).toMatchObject({ personName: 'Camille Bernard' });
  });

  it('tells an anonymous team from a person', () => {
    expect(findSignature({ ...base, signature: 'Le Service Client\nMaison Bleue' })).toEqual({
      present: false,
      evidence: 'Le Service Client',
      signed: true,
      personName: null,
      team: 'Le Service Client',
    });
    expect(findSignature({ ...base, signature: "L'équipe Maison Bleue" })).toMatchObject({ present: false, team: "L'équipe Maison Bleue" });
    expect(findSignature({ ...base, signature: 'Customer Care Team\nNorthwind Outfitters' })).toMatchObject({ present: false, team: 'Customer Care Team' });
    expect(findSignature({ ...base, signature: 'Maison Bleue' })).toMatchObject({ present: false, signed: true, team: null });
    expect(findSignature({ ...base, closingLine: null })).toMatchObject({ present: false, signed: false });
  });
});

describe('findPersonalisation', () => {
  it("finds the persona's name and the probe's own terms", () => {
    const finding = findPersonalisation({
      replyText: 'Bonjour Madame Dupont,\n\nVotre table basse sera livrée jeudi et les frais de port vous seront remboursés.',
      language: 'fr',
      persona: marie,
      scenario: probe,
      brandName: 'Maison Bleue',
    });
    expect(finding).toMatchObject({ present: true, usesPersonaName: true, personaName: 'Dupont' });
    expect(finding.sharedTerms).toEqual(['livrée', 'table', 'basse', 'remboursés', 'frais', 'port']);
    expect(finding.evidence).toBe('Dupont; echoes the probe: livrée, table, basse, remboursés, frais, port');
  });

  it('leaves names and commonplaces out of the shared terms', () => {
    const finding = findPersonalisation({
      replyText: 'Bonjour Marie, merci pour votre demande. Nous revenons vers vous en mars.',
      language: 'fr',
      persona: marie,
      scenario: probe,
    });
    expect(finding.sharedTerms).toEqual(['mars']);
    expect(finding.present).toBe(true);
    expect(findPersonalisation({ replyText: 'Bonjour, merci pour votre demande.', language: 'fr', persona: marie, scenario: probe }).present).toBe(false);
  });
});

describe('form of real replies', () => {
  it('reads an Apple Mail reply: wrong title, a first name over a role, no thanks', async () => {
    const message = await parseFixture('fr-apple-plain.eml');
    const { replyText, signature } = cutReply(message.text, 'Bonne journée,', '> Le 10 mars');
    expect(findGreeting(replyText, marie)).toMatchObject({ evidence: 'Bonjour Monsieur Dupont', wrongTitle: true });
    expect(findThanks(replyText).present).toBe(false);
    const closing = findClosing(replyText, signature);
    expect(closing.evidence).toBe('Bonne journée,');
    const signed = findSignature({ replyText, signature, closingLine: closing.evidence, senderName: message.from?.name ?? null, brandName: 'Maison Bleue' });
    expect(signed).toMatchObject({ present: true, personName: 'Julien' });
  });

  it('reads an English Outlook reply signed by a team', async () => {
    const message = await parseFixture('en-outlook-team-pixel.eml');
    const { replyText, signature } = cutReply(message.text, 'Best regards,');
    expect(findGreeting(replyText, null)).toMatchObject({ present: true, evidence: 'Hello' });
    expect(findThanks(replyText).present).toBe(false);
    expect(findSignature({ replyText, signature, closingLine: 'Best regards,', senderName: message.from?.name ?? null, brandName: 'Northwind Outfitters' })).toMatchObject({
      present: false,
      team: 'Customer Care Team',
    });
  });
});
