/**
 * The kinds the shared corpus lacks, on the project's own labelled fixtures
 * (test/fixtures/eml/kinds, written in the formats real clients produce): challenge-response
 * anti-spam notices, helpdesk ticket notices and answers, quote headers in German, Spanish,
 * Italian, Dutch and Portuguese, HTML-only replies.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kindsFixturesDir, measureCorpus } from '../../scripts/corpus-report.ts';
import { classifyMessage } from '../../src/audit/classify.ts';
import { splitReply } from '../../src/audit/quote.ts';
import { parseMessage } from '../../src/mail/parse.ts';

const read = async (name: string) => parseMessage(readFileSync(`${kindsFixturesDir()}/${name}`));

describe('fixtures of other kinds', () => {
  it('are all classified and cut as labelled', async () => {
    const { rows, figures } = await measureCorpus(kindsFixturesDir());
    expect(rows.filter((row) => !row.kindOk).map((row) => `${row.file}: ${row.kind}`)).toEqual([]);
    expect(rows.filter((row) => row.quoteCutOk === false).map((row) => `${row.file}: ${row.replyText.slice(0, 60)}`)).toEqual([]);
    expect(figures.files).toBeGreaterThanOrEqual(14);
  });

  it('calls a challenge-response notice unknown, neither an acknowledgement nor a bounce', async () => {
    for (const file of ['challenge-mailinblack-fr.eml', 'challenge-verify-sender-en.eml']) {
      expect(classifyMessage(await read(file))).toMatchObject({ kind: 'unknown', signals: expect.arrayContaining(['notice:challenge-response']) });
    }
  });

  it("cuts a helpdesk notification's marker and the ticket's earlier comments out of the reply", async () => {
    const split = splitReply((await read('answer-zendesk-agent-fr.eml')).text);
    expect(split.replyText).not.toContain('##-');
    expect(split.replyText).toContain('garantie légale de conformité');
    expect(split.replyText).not.toContain('Je souhaiterais savoir');
    expect(split.quoted).toContain('Je souhaiterais savoir');
  });
});
