import { describe, expect, it } from 'vitest';
import { assessCharter, CHARTER_THRESHOLD } from '../../src/audit/charter.ts';
import type { CharterProfile } from '../../src/audit/context.ts';
import { coloursIn, scanHtml } from '../../src/audit/html-scan.ts';
import { parseFixture } from '../support/parse-fixture.ts';

const charter: CharterProfile = { logoHints: ['logo-maisonbleue'], colors: ['#1A4B8C', '#f5a623'] };

async function charterOf(name: string, profile: CharterProfile | null = charter) {
  const message = await parseFixture(name);
  return assessCharter(message.html === null ? null : scanHtml(message.html), profile);
}

describe('assessCharter', () => {
  it('recognises a branded template by its colours, layout, blocks, header image, stylesheet and fonts', async () => {
    const finding = await charterOf('fr-branded-cid-logo.eml');
    expect(finding).toMatchObject({ present: true, score: 1 });
    expect(finding.evidence).toEqual([
      'brand colours: #1a4b8c (background/color ×3), #f5a623 (background ×2)',
      'table layout: fixed width 600px, 2 presentation table(s), 2 table(s)',
      'coloured blocks: header td #1a4b8c',
      'images in header: cid:logo-maisonbleue@mb.mail',
      'a stylesheet of its own',
      'fonts: montserrat',
    ]);
  });

  it('scores a lighter template in part, and without brand colours on file judges the rest', async () => {
    expect(await charterOf('fr-branded-remote-logo.eml')).toMatchObject({ present: true, score: 0.75 });
    const unknownColours = await charterOf('fr-branded-remote-logo.eml', null);
    expect(unknownColours.score).toBe(0.62);
    expect(unknownColours.evidence.some((line) => line.startsWith('brand colours'))).toBe(false);
  });

  it("tells bare client HTML and plain text from a template, Outlook's navy and fonts included", async () => {
    expect(await charterOf('fr-outlook-team.eml')).toMatchObject({ present: false, score: 0.15, evidence: ['images in footer: cid:image001.png@01DB8F2A.5C3E1B20'] });
    expect(await charterOf('fr-gmail-agent.eml')).toEqual({ present: false, score: 0, evidence: ['bare HTML as gmail writes it'] });
    expect(await charterOf('en-outlook-team-pixel.eml', null)).toEqual({ present: false, score: 0, evidence: ['bare HTML as outlook writes it'] });
    expect(await charterOf('fr-apple-plain.eml')).toEqual({ present: false, score: 0, evidence: ['plain text: no HTML part'] });
  });

  it('ignores the styles of the quoted history', () => {
    const quoted = scanHtml('<p>Bonjour, votre colis part demain.</p><blockquote><table width="600" bgcolor="#1a4b8c"><tr><td>old</td></tr></table></blockquote>');
    expect(assessCharter(quoted, charter).score).toBe(0);
    expect(CHARTER_THRESHOLD).toBeGreaterThan(0);
  });
});

describe('coloursIn', () => {
  it('reads hex, short hex, rgb() and named colours, not words inside URLs', () => {
    expect(coloursIn('#1A4B8C url(images/red.png) #fa3 rgb(26, 75, 140) white')).toEqual(['#1a4b8c', '#ffaa33', '#1a4b8c', '#ffffff']);
  });
});
