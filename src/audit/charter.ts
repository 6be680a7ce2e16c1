/**
 * Whether a reply wears the brand's graphic charter: a designed HTML template (the brand's
 * colours, a fixed-width table layout, coloured header or footer blocks, images, fonts, a
 * stylesheet of its own) rather than plain text or the bare HTML an e-mail client writes
 * (a few `<p>`, `<br>`, `<div>`, the client's default font and link colour).
 *
 * Score = sum of the weights of the signals found, over the weights that could be found
 * (brand colours only count when the brand has colours on file); present from 0.5.
 */
import type { CharterProfile } from './context.ts';
import type { ColourUse, HtmlScan } from './html-scan.ts';
import { normaliseHex } from './html-scan.ts';

export interface CharterFinding {
  present: boolean;
  /** 0..1, two decimals. */
  score: number;
  evidence: string[];
}

export const CHARTER_WEIGHTS = {
  brandColours: 0.35,
  layout: 0.2,
  colouredBlocks: 0.15,
  images: 0.15,
  stylesheet: 0.1,
  fonts: 0.05,
} as const;

export const CHARTER_THRESHOLD = 0.5;

/** Fonts an e-mail client declares by itself. */
const CLIENT_FONTS = new Set(['calibri', 'aptos', 'cambria', 'cambria math', 'times new roman', 'times', 'segoe ui', '-webkit-standard', 'arial', 'helvetica', 'verdana', 'tahoma']);
/**
 * Colours an e-mail client writes by itself (Outlook's link blues and signature navy, Gmail's
 * and browsers' link colours): never taken for a brand's, however close.
 */
const CLIENT_COLOURS = new Set(['#0563c1', '#954f72', '#467886', '#96607d', '#1f497d', '#1155cc', '#0000ee', '#551a8b']);
/** Euclidean RGB distance under which two colours are the same brand colour (rounding in conversions). */
const SAME_COLOUR = 8;
/** Tables in a reply before it reads as a layout rather than a signature box. */
const LAYOUT_TABLES = 3;

export function assessCharter(scan: HtmlScan | null, charter: CharterProfile | null | undefined): CharterFinding {
  if (scan === null) return { present: false, score: 0, evidence: ['plain text: no HTML part'] };
  const evidence: string[] = [];
  const brandColours = (charter?.colors ?? []).map(normaliseHex);
  let found = 0;
  let possible = 0;
  const signal = (weight: number, holds: boolean, note: () => string): void => {
    possible += weight;
    if (!holds) return;
    found += weight;
    evidence.push(note());
  };

  if (brandColours.length > 0) {
    const matched = brandColours.filter((brand) => scan.colours.some((use) => !CLIENT_COLOURS.has(use.hex) && sameColour(use.hex, brand)));
    signal(CHARTER_WEIGHTS.brandColours, matched.length > 0, () => `brand colours: ${matched.map((hex) => `${hex} (${usesOf(scan.colours, hex)})`).join(', ')}`);
  }
  const layout = scan.fixedWidth !== null || scan.presentationTables > 0 || scan.tables >= LAYOUT_TABLES;
  signal(CHARTER_WEIGHTS.layout, layout, () => layoutNote(scan));
  const blocks = scan.blocks.filter((block) => !isNeutral(block.background));
  signal(CHARTER_WEIGHTS.colouredBlocks, blocks.length > 0, () =>
    `coloured blocks: ${blocks.slice(0, 3).map((block) => `${block.region} ${block.tag} ${block.background}`).join(', ')}`,
  );
  const images = scan.images.filter((image) => !image.hidden && (image.width ?? 99) > 3 && (image.height ?? 99) > 3 && image.region !== 'body');
  signal(CHARTER_WEIGHTS.images, images.length > 0, () => `images in ${[...new Set(images.map((image) => image.region))].join(' and ')}: ${images.slice(0, 2).map((image) => image.src).join(', ')}`);
  signal(CHARTER_WEIGHTS.stylesheet, scan.stylesheet, () => 'a stylesheet of its own');
  const fonts = [...new Set(scan.fonts.map((font) => font.toLowerCase()))].filter((font) => !CLIENT_FONTS.has(font));
  signal(CHARTER_WEIGHTS.fonts, fonts.length > 0, () => `fonts: ${fonts.slice(0, 3).join(', ')}`);

  const score = possible === 0 ? 0 : Math.round((found / possible) * 100) / 100;
  if (evidence.length === 0) evidence.push(scan.client === null ? 'bare HTML: no styling' : `bare HTML as ${scan.client} writes it`);
  return { present: score >= CHARTER_THRESHOLD, score, evidence };
}

function layoutNote(scan: HtmlScan): string {
  const parts = [
    scan.fixedWidth !== null ? `fixed width ${scan.fixedWidth}px` : null,
    scan.presentationTables > 0 ? `${scan.presentationTables} presentation table(s)` : null,
    `${scan.tables} table(s)`,
  ];
  return `table layout: ${parts.filter(Boolean).join(', ')}`;
}

function usesOf(uses: readonly ColourUse[], brand: string): string {
  const matching = uses.filter((use) => !CLIENT_COLOURS.has(use.hex) && sameColour(use.hex, brand));
  const properties = [...new Set(matching.map((use) => use.property))];
  return `${properties.join('/')} ×${matching.length}`;
}

/** Black, white and greys: channels within a few steps of one another. */
function isNeutral(hex: string): boolean {
  const [red, green, blue] = channels(hex);
  return Math.max(red, green, blue) - Math.min(red, green, blue) <= 12;
}

function sameColour(a: string, b: string): boolean {
  const [r1, g1, b1] = channels(a);
  const [r2, g2, b2] = channels(b);
  return Math.hypot(r1 - r2, g1 - g2, b1 - b2) <= SAME_COLOUR;
}

function channels(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}
