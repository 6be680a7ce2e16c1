import { describe, expect, it } from 'vitest';
import type { BrandProfile } from '../../src/audit/context.ts';
import { scanHtml } from '../../src/audit/html-scan.ts';
import { findLogo, isTrackingPixel } from '../../src/audit/logo.ts';
import type { ParsedMessage } from '../../src/audit/message.ts';
import { parseFixture } from '../support/parse-fixture.ts';

const maisonBleue: BrandProfile = {
  name: 'Maison Bleue',
  senderDomains: ['maisonbleue.fr'],
  vocabulary: [],
  charter: { logoHints: ['logo-maisonbleue'], colors: ['#1a4b8c', '#f5a623'] },
};

function logoOf(message: ParsedMessage, brand: BrandProfile | null = maisonBleue) {
  return findLogo({ scan: message.html === null ? null : scanHtml(message.html), attachments: message.attachments, brand });
}

function html(body: string): ReturnType<typeof scanHtml> {
  return scanHtml(`<html><body>${body}</body></html>`);
}

const TEXT = '<p>Bonjour Madame Dupont, votre commande est partie ce matin et arrivera jeudi chez vous sans faute.</p>';

describe('findLogo', () => {
  it('finds an inline cid: logo in the header by its hint, file name and alt text, and skips the tracking pixel', async () => {
    const logo = logoOf(await parseFixture('fr-branded-cid-logo.eml'));
    expect(logo).toMatchObject({
      present: true,
      src: 'cid:logo-maisonbleue@mb.mail',
      alt: 'Maison Bleue',
      region: 'header',
      evidence: 'cid:logo-maisonbleue@mb.mail (alt "Maison Bleue")',
      trackingPixels: 1,
    });
    expect(logo.signals).toEqual(['hint:logo-maisonbleue', 'brand-name', 'named-logo', 'region:header', 'file:logo-maisonbleue.png']);
  });

  it("finds a remote logo in the header served from the brand's domain", async () => {
    const logo = logoOf(await parseFixture('fr-branded-remote-logo.eml'));
    expect(logo).toMatchObject({ present: true, src: 'https://static.maisonbleue.fr/mail/header-logo.png', region: 'header', trackingPixels: 1 });
    expect(logo.signals).toContain('brand-domain:maisonbleue.fr');
  });

  it('finds no logo in a reply whose only image is a tracking pixel, nor in plain text', async () => {
    expect(logoOf(await parseFixture('en-outlook-team-pixel.eml'), null)).toEqual({
      present: false,
      evidence: null,
      src: null,
      alt: null,
      region: null,
      signals: [],
      trackingPixels: 1,
    });
    expect(logoOf(await parseFixture('fr-apple-plain.eml')).present).toBe(false);
  });

  it('says which signature image matched none of the logo hints, and takes it when the brand has none on file', async () => {
    const message = await parseFixture('fr-outlook-team.eml');
    expect(logoOf(message)).toMatchObject({
      present: false,
      evidence: 'no logo hint matches: cid:image001.png@01DB8F2A.5C3E1B20 in footer',
    });
    const unverified = logoOf(message, { ...maisonBleue, charter: null });
    expect(unverified).toMatchObject({ present: true, region: 'footer' });
    expect(unverified.signals).toContain('inline image, no logo hint to match');
  });

  it('takes no image from the quoted history', () => {
    const scan = html(`${TEXT}<blockquote><img src="https://static.maisonbleue.fr/logo.png" alt="Maison Bleue"></blockquote>`);
    expect(findLogo({ scan, attachments: [], brand: maisonBleue }).present).toBe(false);
  });

  it('takes a product photo in the body for a logo only when something identifies it', () => {
    const photo = html(`${TEXT}<img src="https://cdn.shop.example/table-basse.jpg" width="400" height="300">${TEXT}`);
    expect(findLogo({ scan: photo, attachments: [], brand: maisonBleue }).present).toBe(false);
    const named = html(`${TEXT}<img src="https://cdn.shop.example/logo-maisonbleue.png">${TEXT}`);
    expect(findLogo({ scan: named, attachments: [], brand: maisonBleue })).toMatchObject({ present: true, region: 'body' });
  });
});

describe('isTrackingPixel', () => {
  it('knows pixels by size, by hiding and by tracking paths', () => {
    const images = html(
      [
        '<img src="https://t.example/o.gif" width="1" height="1">',
        '<img src="https://t.example/a.png" style="width:0px;height:0px">',
        '<div style="display:none"><img src="https://www.maisonbleue.fr/logo.png" width="120" height="40"></div>',
        '<img src="https://mail.example/track/open?id=9">',
        '<img src="https://www.maisonbleue.fr/logo.png" width="120" height="40">',
      ].join(''),
    ).images;
    expect(images.map(isTrackingPixel)).toEqual([true, true, true, true, false]);
  });
});
