import { describe, expect, it } from 'vitest';
import { checkTypography, type TypographyRule } from '../../src/audit/typography.ts';
import { cutReply, parseFixture } from '../support/parse-fixture.ts';

function rules(text: string, language = 'fr'): TypographyRule[] {
  return checkTypography(text, language).issues.map((issue) => issue.rule);
}

describe('checkTypography, French', () => {
  it('wants a space, normal or narrow no-break, before ; : ! ?', () => {
    expect(rules('Bonjour Madame! Pourquoi? Voici la liste: rien; fin.')).toEqual([
      'space-before-high-punctuation',
      'space-before-high-punctuation',
      'space-before-high-punctuation',
      'space-before-high-punctuation',
    ]);
    expect(rules('Bonjour Madame ! Pourquoi\u202f? Voici la liste\u00a0: rien ; fin.')).toEqual([]);
  });

  it('wants no space before a comma or a period', () => {
    const findings = checkTypography('Les frais de port , soit 19,90 € , sont remboursés .', 'fr');
    expect(findings.issues.map((issue) => issue.rule)).toEqual(Array(3).fill('space-before-comma-or-period'));
    expect(findings.issues[0]).toMatchObject({ offset: 18, excerpt: 'Les frais de port , soit 19,90 € , sont' });
  });

  it('wants spaces inside guillemets', () => {
    expect(rules('Cliquez sur «Suivre ma commande» en haut.')).toEqual(['space-inside-guillemets', 'space-inside-guillemets']);
    expect(rules('Cliquez sur « Suivre ma commande » en haut.')).toEqual([]);
  });

  it('does not flag times, links, ellipses or emoticons', () => {
    expect(
      rules('Livraison entre 8:00 et 13:30. Voir https://www.maisonbleue.fr/aide?x=1 et mailto:sav@maisonbleue.fr. Merci... À bientôt :) ;-)'),
    ).toEqual([]);
  });

  it('finds doubled words and doubled spaces, but not "nous nous"', () => {
    const findings = checkTypography('Elle a été transmise a le le service.  Nous nous excusons.', 'fr');
    expect(findings.issues.map((issue) => issue.rule)).toEqual(['doubled-word', 'doubled-space']);
    expect(findings.issues[0]?.excerpt).toContain('le le service');
  });

  it('finds sentences opening in lower case, but not after an abbreviation or an ellipsis', () => {
    expect(rules('bonjour Madame.\n\nVotre colis est parti. il arrive demain.')).toEqual([
      'sentence-without-capital',
      'sentence-without-capital',
    ]);
    expect(rules('Meubles, lampes, etc. sont livrés. Nous verrons... peut-être demain.')).toEqual([]);
  });

  it('finds a paragraph ending without punctuation, not a short greeting or closing', () => {
    expect(rules('Bonjour Madame Dupont\n\nNous restons à votre écoute pour toute autre question\n\nCordialement')).toEqual([
      'missing-final-punctuation',
    ]);
  });

  it('finds shouting and repeated marks, not acronyms', () => {
    expect(rules('ATTENTION VOTRE COLIS EST BLOQUÉ. Le SAV et la FAQ de la SNCF sont là. Vraiment !!! Pourquoi ??')).toEqual([
      'shouting',
      'repeated-punctuation',
      'repeated-punctuation',
    ]);
  });

  it('reads the issues of an Outlook reply', async () => {
    const message = await parseFixture('fr-outlook-team.eml');
    const { replyText } = cutReply(message.text, 'Cordialement,', 'De : Marie');
    const findings = checkTypography(replyText, 'fr');
    expect(findings.counts).toEqual({
      'space-before-high-punctuation': 2,
      'doubled-space': 1,
      'doubled-word': 1,
      'sentence-without-capital': 1,
      'repeated-punctuation': 1,
      'missing-final-punctuation': 1,
    });
    for (const issue of findings.issues) expect(replyText.slice(issue.offset)).toMatch(/^\S|^ /u);
  });

  it('finds nothing to say about a clean reply', async () => {
    const message = await parseFixture('fr-gmail-agent.eml');
    const { replyText } = cutReply(message.text, 'Bien cordialement,', 'Le lun. 10 mars');
    expect(checkTypography(replyText, 'fr').issues).toEqual([]);
  });
});

describe('checkTypography, English', () => {
  it('wants no space before ; : ! ? and accepts none', () => {
    expect(rules('Hello ! Please note : the refund is done; thanks!', 'en')).toEqual(['space-before-punctuation', 'space-before-punctuation']);
    expect(rules('Great news :) see you soon.', 'en')).toEqual([]);
  });

  it('reads the issues of a Gmail reply', async () => {
    const message = await parseFixture('en-gmail-agent.eml');
    const { replyText } = cutReply(message.text, 'Kind regards,', 'On Mon, 10');
    expect(checkTypography(replyText, 'en').issues.map((issue) => [issue.rule, issue.excerpt])).toEqual([
      ['space-before-comma-or-period', 'recieved is the wrong size . We will definately'],
      ['space-before-punctuation', '24 hours. Please note : there is no need to'],
    ]);
  });
});
