import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpelling, knownWordsOf, MAX_SUGGESTED_WORDS, MAX_THOROUGH_WORDS, type Speller, type SpellingFindings } from '../../src/audit/spelling.ts';
import { loadSpeller, withoutCaseMaps } from '../../src/spell/hunspell.ts';
import { letterGrams, suggestByEdits, type SuggestOptions } from '../../src/spell/suggest.ts';
import { cutReply, parseFixture } from '../support/parse-fixture.ts';

let french: Speller;
let english: Speller;

beforeAll(async () => {
  [french, english] = await Promise.all([loadSpeller('fr'), loadSpeller('en')]);
});

const known = knownWordsOf(['Marie', 'Dupont', 'Maison Bleue', 'Bleucard', 'Sophie Martin']);

function check(replyText: string, signature: string | null = null, alternate: Speller | null = english): SpellingFindings {
  return checkSpelling({ replyText, signature, speller: french, alternate, knownWords: known });
}

function words(findings: SpellingFindings): string[] {
  return findings.errors.map((error) => error.word);
}

describe('checkSpelling', () => {
  it('flags real typos with good suggestions and offsets into the checked text', () => {
    const text = 'Bonjour Madame Dupont,\n\nMalheuresement, vous devriez recevoire le colis jeudi.';
    const findings = check(text);
    expect(words(findings)).toEqual(['Malheuresement', 'recevoire']);
    for (const error of findings.errors) expect(text.slice(error.offset, error.offset + error.word.length)).toBe(error.word);
    expect(findings.errors[0]?.suggestions[0]).toBe('Malheureusement');
    expect(findings.errors[1]?.suggestions[0]).toBe('recevoir');
    expect(findings.errors.every((error) => error.part === 'reply')).toBe(true);
  });

  it('does not flag names, vocabulary, links, numbers, references or acronyms', () => {
    const findings = check(
      'Bonjour Marie Dupont, votre Bleucard Maison Bleue est active. Consultez https://www.maisonbleue.fr/aide ou écrivez à ' +
        'sav@maisonbleue.fr, ou maisonbleue.fr directement. Commande CMD-2024-88731 du 03/03, ticket A7X92, 19,90 €, ' +
        'le 1er avril à 10:30. Le SAV et la FAQ sont ouverts.',
    );
    expect(findings.errors).toEqual([]);
    expect(findings.skipped).toMatchObject({ link: 3, reference: 3 });
    expect(findings.skipped['known-name']).toBeGreaterThanOrEqual(5);
  });

  it('accepts French elisions and compounds of correct parts, and finds the typo behind an elision', () => {
    expect(check("L'article qu'il a commandé n'est pas arrivé, j'ai vérifié. C'est jusqu'à lundi, s'il le faut, aujourd'hui.").errors).toEqual([]);
    expect(check('Votre carte-Bleucard et le service après-vente.').errors).toEqual([]);
    const elided = check("Nous avons reçu l'articel.");
    expect(elided.errors).toMatchObject([{ word: 'articel', offset: 18, suggestions: ['article'] }]);
  });

  it('flags the wrong part of a hyphenated compound, at its own offset', () => {
    expect(check('Voici votre porte-monaie.').errors).toMatchObject([{ word: 'monaie', offset: 18, suggestions: ['monnaie'] }]);
  });

  it('takes capitalised words in mid-sentence or on a name line for proper nouns, but checks sentence-initial ones', () => {
    const findings = check('Le colis part de Roubaix et arrive chez Zalandro. Malheuresement il pleut.\nKerbrat Logistique');
    expect(words(findings)).toEqual(['Malheuresement']);
    expect(findings.skipped['proper-noun']).toBe(2);
  });

  it('tolerates common English terms in French, but not an English word one key away from a French one', () => {
    const findings = check('Merci pour votre email et votre feedback sur le dashboard. Par example, la newsletter.');
    expect(words(findings)).toEqual(['example']);
    expect(findings.errors[0]?.suggestions).toContain('exemple');
    expect(findings.skipped).toMatchObject({ loanword: 2, 'other-language': 1 });
    expect(words(check('Merci pour votre retour sur le dashboard.', null, null))).toEqual(['dashboard']);
  });

  it('reads a closing single quote as no part of the word', () => {
    expect(checkSpelling({ replyText: "The server said 'not found' twice.", signature: null, speller: english }).errors).toEqual([]);
  });

  it('leaves product names in mixed case alone', () => {
    expect(check('Votre iPhone et votre PayPal sont compatibles.').errors).toEqual([]);
  });

  it('checks the signature apart and never its legal footer', () => {
    const signature =
      'Sophie Martin\nConseilère clientèle\n\nCe message et toutes les pièces jointes sont confidentiells et établis à ' +
      "l'intention exclusive de ses destinataires.";
    const findings = check('Bonjour,\n\nCordialement,', signature);
    expect(findings.errors).toMatchObject([{ part: 'signature', word: 'Conseilère', offset: 14, suggestions: ['Conseillère'] }]);
    expect(findings.signature?.footerChars).toBeGreaterThan(100);
    expect(findings.signature?.wordCount).toBe(4);
  });

  it('counts errors per 100 words over both parts', () => {
    const findings = check('Un deux trois quatre cinq six sept huit neuf erreurr.', 'Sophie Martin');
    expect(findings.wordCount).toBe(12);
    expect(findings.reply).toMatchObject({ wordCount: 10, errorCount: 1, errorsPer100Words: 10 });
    expect(findings.errorsPer100Words).toBe(8.33);
  });

  it('asks for suggestions for a bounded number of distinct misspelt words, few of them thorough', () => {
    const typos = Array.from({ length: MAX_SUGGESTED_WORDS + 3 }, (_, index) => `zqwx${'abcdefghijklmnopqrstuvwxyz'[index]}k`);
    const asked: string[] = [];
    const counting: Speller = { ...french, suggest: (word, effort = 'quick') => (asked.push(effort), french.suggest(word, effort)) };
    const findings = checkSpelling({ replyText: typos.join(' '), signature: null, speller: counting });
    expect(findings.errors).toHaveLength(typos.length);
    expect(asked.filter((effort) => effort === 'quick')).toHaveLength(MAX_SUGGESTED_WORDS);
    expect(asked.filter((effort) => effort === 'thorough')).toHaveLength(MAX_THOROUGH_WORDS);
  });

  it('searches thoroughly for a word two typos away', () => {
    expect(french.suggest('problemme', 'quick')).toEqual([]);
    expect(check('Aucun problemme.').errors[0]?.suggestions).toContain('problème');
  });

  it('finds exactly the typos of a Gmail reply, not the quoted probe', async () => {
    const message = await parseFixture('fr-gmail-agent.eml');
    const { replyText, signature } = cutReply(message.text, 'Bien cordialement,', 'Le lun. 10 mars');
    const findings = check(replyText, signature);
    expect(words(findings)).toEqual(['Malheuresement', 'recevoire']);
    expect(findings.skipped.link).toBe(2);
  });

  it("ignores Outlook's inline-image placeholders and its legal footer", async () => {
    const message = await parseFixture('fr-outlook-team.eml');
    const { replyText, signature } = cutReply(message.text, 'Cordialement,', 'De : Marie');
    expect(signature).toContain('confidentiells');
    expect(check(replyText, signature).errors).toEqual([]);
  });

  it('checks English replies with the English dictionary', async () => {
    const message = await parseFixture('en-gmail-agent.eml');
    const { replyText, signature } = cutReply(message.text, 'Kind regards,', 'On Mon, 10');
    const findings = checkSpelling({ replyText, signature, speller: english, alternate: french, knownWords: knownWordsOf(['Emily Clarke']) });
    expect(findings.errors).toMatchObject([
      { word: 'recieved', suggestions: ['received'] },
      { word: 'definately', suggestions: expect.arrayContaining(['definitely']) },
    ]);
  });
});

describe('suggestByEdits', () => {
  const lexicon = new Set(['délai', 'relai', 'commande', 'remboursement', 'remboursent', 'nous', 'avons', "l'expédition", 'expédition', 'bonjour']);
  const options: SuggestOptions = {
    alphabet: 'esaitnrulodcmpévqfbghjàxèyêzçkôîâûù',
    keyboard: 'azertyuiop|qsdfghjklm|wxcvbn',
    replacements: [['^l', "l'"]],
    elisions: ['l'],
    grams: letterGrams([...lexicon].flatMap((word) => word.split("'"))),
    max: 5,
  };
  const correct = (word: string): boolean => lexicon.has(word);

  it('ranks an accent before a letter change, and an omitted letter before an extra one', () => {
    expect(suggestByEdits('delai', correct, options)).toEqual(['délai']);
    expect(suggestByEdits('remboursemnt', correct, options)[0]).toBe('remboursement');
  });

  it("keeps the word's case and restores a missing space or apostrophe", () => {
    expect(suggestByEdits('Comande', correct, options)).toEqual(['Commande']);
    expect(suggestByEdits('BONJOR', correct, options)).toEqual(['BONJOUR']);
    expect(suggestByEdits('nousavons', correct, options)).toEqual(['nous avons']);
    expect(suggestByEdits('lexpédition', correct, options)).toContain("l'expédition");
  });

  it('finds nothing when no single edit gives a word', () => {
    expect(suggestByEdits('xqzt', correct, options)).toEqual([]);
  });
});

describe('withoutCaseMaps', () => {
  it("drops MAP lines that only pair a letter with its capital and keeps accent classes", () => {
    const aff = 'SET UTF-8\nMAP 3\nMAP aàâäAÀÂÄ\nMAP bB\nMAP cçCÇ\nREP 1\nREP f ph\n';
    expect(withoutCaseMaps(aff)).toBe('SET UTF-8\nREP 1\nREP f ph\n\nMAP 2\nMAP aàâä\nMAP cç\n');
  });
});
