/**
 * The brand's logo in a reply: an inline (`cid:`) or remote image in the header or the
 * signature, identified by the brand's logo hints (file names, alt texts, URL parts), its
 * name or its domains; never a tracking pixel or a hidden image.
 */
import type { BrandProfile } from './context.ts';
import type { Finding } from './form.ts';
import type { HtmlScan, Region, ScannedImage } from './html-scan.ts';
import type { MessagePart } from './message.ts';
import { foldWord } from './tokenize.ts';

export interface LogoFinding extends Finding {
  src: string | null;
  alt: string | null;
  region: Region | 'attachment' | null;
  /** Why the image was taken for the logo (`hint:logo-maisonbleue`, `brand-domain:maisonbleue.fr`, `region:header`…). */
  signals: string[];
  /** Images left out as tracking pixels or hidden. */
  trackingPixels: number;
}

export interface LogoInput {
  scan: HtmlScan | null;
  attachments: readonly MessagePart[];
  brand?: Pick<BrandProfile, 'name' | 'senderDomains' | 'charter'> | null;
}

/** An image this small in either dimension is a pixel or a spacer, never a logo. */
const MAX_PIXEL_SIDE = 3;
const TRACKING_SRC = /(?:pixel|track(?:ing)?|beacon|\/open(?:\b|ed)|\/o\.gif|[?&](?:utm_|open=))/iu;

interface Candidate {
  src: string;
  alt: string;
  region: Region | 'attachment';
  signals: string[];
  identified: boolean;
}

export function findLogo(input: LogoInput): LogoFinding {
  const images = input.scan?.images ?? [];
  const pixels = images.filter(isTrackingPixel);
  const candidates: Candidate[] = images
    .filter((image) => !isTrackingPixel(image))
    .map((image) => describe(image.src, [image.alt, image.title], image.region, input))
    .filter((candidate) => candidate.region !== 'body' || candidate.identified);
  const referenced = new Set(images.map((image) => contentIdOf(image.src)).filter((id) => id !== null));
  for (const part of input.attachments) {
    if (!part.contentType.startsWith('image/') || !part.inline || (part.contentId !== null && referenced.has(part.contentId))) continue;
    candidates.push(describe(`cid:${part.contentId ?? ''}`, [], 'attachment', input, part.filename));
  }

  const hasHints = (input.brand?.charter?.logoHints.length ?? 0) > 0;
  const logo = candidates
    .filter((candidate) => candidate.identified || (!hasHints && candidate.src.startsWith('cid:') && candidate.region !== 'attachment'))
    .sort((a, b) => rank(b) - rank(a))[0];
  if (logo === undefined) {
    // Images that could be a logo but match nothing the brand has on file: said, for an auditor to judge.
    const unmatched = candidates.filter((candidate) => candidate.region !== 'body');
    const evidence =
      unmatched.length === 0 ? null : `no logo hint matches: ${unmatched.map((candidate) => `${candidate.src} in ${candidate.region}`).join(', ')}`;
    return { present: false, evidence, src: null, alt: null, region: null, signals: [], trackingPixels: pixels.length };
  }
  const signals = logo.identified ? logo.signals : [...logo.signals, 'inline image, no logo hint to match'];
  return {
    present: true,
    evidence: logo.alt === '' ? logo.src : `${logo.src} (alt "${logo.alt}")`,
    src: logo.src,
    alt: logo.alt,
    region: logo.region,
    signals,
    trackingPixels: pixels.length,
  };
}

/** Tiny in either dimension, hidden, or served from a tracking path with no size given. */
export function isTrackingPixel(image: ScannedImage): boolean {
  if (image.hidden) return true;
  if ((image.width !== null && image.width <= MAX_PIXEL_SIDE) || (image.height !== null && image.height <= MAX_PIXEL_SIDE)) return true;
  return image.width === null && image.height === null && TRACKING_SRC.test(image.src);
}

function describe(
  src: string,
  texts: string[],
  region: Region | 'attachment',
  input: LogoInput,
  attachmentName: string | null = null,
): Candidate {
  const fileName = attachmentName ?? attachmentNameOf(src, input.attachments);
  const haystacks = [decodeSafely(src), ...texts, fileName ?? ''].map(compact).filter(Boolean);
  const signals: string[] = [];
  for (const hint of input.brand?.charter?.logoHints ?? []) {
    if (compact(hint) !== '' && haystacks.some((text) => text.includes(compact(hint)))) signals.push(`hint:${hint}`);
  }
  const brandName = compact(input.brand?.name ?? '');
  if (brandName !== '' && haystacks.some((text) => text.includes(brandName))) signals.push('brand-name');
  const domain = brandDomainOf(src, input.brand?.senderDomains ?? []);
  if (domain !== null) signals.push(`brand-domain:${domain}`);
  if (haystacks.some((text) => text.includes('logo'))) signals.push('named-logo');
  const identified = signals.length > 0;
  signals.push(`region:${region}`);
  if (fileName !== null) signals.push(`file:${fileName}`);
  return { src, alt: texts[0] ?? '', region, signals, identified };
}

/** Identified first, then by the number of signals, then header before footer before body. */
function rank(candidate: Candidate): number {
  const place = { header: 3, footer: 2, attachment: 1, body: 0 }[candidate.region];
  return (candidate.identified ? 100 : 0) + candidate.signals.length * 10 + place;
}

function contentIdOf(src: string): string | null {
  return /^cid:/iu.test(src) ? src.slice(4).replace(/^<|>$/gu, '') : null;
}

function attachmentNameOf(src: string, attachments: readonly MessagePart[]): string | null {
  const contentId = contentIdOf(src);
  if (contentId === null) return null;
  return attachments.find((part) => part.contentId === contentId)?.filename ?? null;
}

/** The sender domain a remote image is served from (`static.maisonbleue.fr` → `maisonbleue.fr`), or null. */
function brandDomainOf(src: string, senderDomains: readonly string[]): string | null {
  let host: string;
  try {
    host = new URL(src).hostname.toLowerCase();
  } catch {
    return null;
  }
  for (const domain of senderDomains) {
    const site = registrable(domain.toLowerCase());
    if (host === site || host.endsWith(`.${site}`)) return site;
  }
  return null;
}

/** The last two labels of a host name: the part a brand registers. */
function registrable(host: string): string {
  return host.split('.').slice(-2).join('.');
}

/** Folded and without separators, so that "Maison Bleue", "maison-bleue" and "maison_bleue" compare equal. */
function compact(text: string): string {
  return foldWord(text).replace(/[\s_.\-]+/gu, '');
}

function decodeSafely(src: string): string {
  try {
    return decodeURIComponent(src);
  } catch {
    return src;
  }
}
