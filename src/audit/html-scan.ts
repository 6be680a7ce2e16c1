/**
 * One pass over a reply's HTML (htmlparser2's streaming parser) collecting what the logo and
 * charter analysers judge: images with their size and place, colours, fonts, tables, styled
 * blocks. The quoted history (Gmail's `gmail_quote`, Outlook's `divRplyFwdMsg`, any
 * `<blockquote>`) and everything after it is left out: it is the probe, not the brand's reply.
 */
import { Parser } from 'htmlparser2';
import { isClosingLine } from './form.ts';

export type Region = 'header' | 'body' | 'footer';

export interface ScannedImage {
  src: string;
  alt: string;
  title: string;
  /** Pixels, from the attributes or the inline style; null when not given. */
  width: number | null;
  height: number | null;
  /** Inside an element hidden by `display:none` or `visibility:hidden`, or hidden itself. */
  hidden: boolean;
  /** Visible characters of text before the image, to tell a header from a signature. */
  textBefore: number;
  /** Filled once the whole document is read. */
  region: Region;
}

export interface ColourUse {
  /** `#rrggbb`. */
  hex: string;
  /** `background`, `color`, `border`… the CSS property or HTML attribute that carries it. */
  property: string;
}

export interface StyledBlock {
  tag: string;
  background: string;
  region: Region;
  textBefore: number;
}

export interface HtmlScan {
  images: ScannedImage[];
  colours: ColourUse[];
  fonts: string[];
  tables: number;
  /** Widest fixed width given to a table or block (`width="600"`, `max-width:640px`), or null. */
  fixedWidth: number | null;
  /** Tables marked `role="presentation"`, as template builders write them. */
  presentationTables: number;
  blocks: StyledBlock[];
  /** A `<style>` element with rules of its own (not only an e-mail client's defaults). */
  stylesheet: boolean;
  /** Which e-mail client wrote the HTML, when it shows. */
  client: 'outlook' | 'gmail' | 'apple' | null;
  /** Visible characters of the reply's own text. */
  textLength: number;
  /** Visible characters before the closing formula ("Cordialement,"), when one stands on its own. */
  closingAt: number | null;
}

/** Text before an image under which it sits in the header, in visible characters. */
const HEADER_TEXT = 40;
/** Share of the text after which an image sits in the footer (signature). */
const FOOTER_SHARE = 0.75;
/** A text node longer than this is prose, not a closing formula. */
const MAX_CLOSING_CHARS = 80;
const INVISIBLE_CONTENT = new Set(['style', 'script', 'head', 'title', 'xml']);
const QUOTE_CLASS = /\b(?:gmail_quote|gmail_extra|yahoo_quoted|moz-cite-prefix|OutlookMessageHeader|protonmail_quote)\b/iu;
const QUOTE_ID = /^(?:divRplyFwdMsg|appendonsend|mail-editor-reference-message-container|reply-intro|isForwardContent)$/iu;
/** Outlook's quoted header ("De : … Envoyé : …") sits in a div with a thin grey top border. */
const OUTLOOK_SEPARATOR = /border-top\s*:\s*solid\s+#(?:e1e1e1|b5c4df)/iu;
const HIDDEN_STYLE = /(?:display\s*:\s*none|visibility\s*:\s*hidden)/iu;
/** Client boilerplate in `<style>`: Word's Mso classes, Apple's and Gmail's resets. */
const CLIENT_STYLESHEET = /\b(?:Mso|WordSection|x-apple|-webkit-nbsp-mode|gmail)\w*/iu;

interface OpenElement {
  name: string;
  hidden: boolean;
  invisible: boolean;
}

/** Scans `html`; never throws (htmlparser2 is forgiving of any markup). */
export function scanHtml(html: string): HtmlScan {
  const scan: HtmlScan = {
    images: [],
    colours: [],
    fonts: [],
    tables: 0,
    fixedWidth: null,
    presentationTables: 0,
    blocks: [],
    stylesheet: false,
    client: detectClient(html),
    textLength: 0,
    closingAt: null,
  };
  const stack: OpenElement[] = [];
  let quoted = false;
  let styleText = '';

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const parent = stack[stack.length - 1];
        const style = attributes['style'] ?? '';
        const hidden = (parent?.hidden ?? false) || HIDDEN_STYLE.test(style) || 'hidden' in attributes;
        const invisible = (parent?.invisible ?? false) || INVISIBLE_CONTENT.has(name);
        stack.push({ name, hidden, invisible });
        if (quoted) return;
        if (isQuoteStart(name, attributes)) {
          quoted = true;
          return;
        }
        if (invisible) return;
        readElement(scan, name, attributes, hidden);
      },
      ontext(text) {
        const top = stack[stack.length - 1];
        if (quoted) return;
        if (top?.name === 'style') styleText += text;
        else if (!(top?.invisible ?? false) && !(top?.hidden ?? false)) {
          const visible = text.replace(/\s+/gu, '');
          if (scan.closingAt === null && visible.length > 0 && visible.length < MAX_CLOSING_CHARS && isClosingLine(text)) {
            scan.closingAt = scan.textLength;
          }
          scan.textLength += visible.length;
        }
      },
      onclosetag(name) {
        for (let index = stack.length - 1; index >= 0; index--) {
          if ((stack[index] as OpenElement).name === name) {
            stack.length = index;
            break;
          }
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();

  readStylesheet(scan, styleText);
  for (const image of scan.images) image.region = regionOf(image.textBefore, scan);
  for (const block of scan.blocks) block.region = regionOf(block.textBefore, scan);
  return scan;
}

function isQuoteStart(name: string, attributes: Record<string, string>): boolean {
  if (name === 'blockquote') return true;
  if (QUOTE_CLASS.test(attributes['class'] ?? '') || QUOTE_ID.test(attributes['id'] ?? '')) return true;
  return name === 'div' && OUTLOOK_SEPARATOR.test(attributes['style'] ?? '');
}

function readElement(scan: HtmlScan, name: string, attributes: Record<string, string>, hidden: boolean): void {
  const style = attributes['style'] ?? '';
  const declarations = parseStyle(style);
  for (const [property, value] of declarations) {
    for (const hex of coloursIn(value)) scan.colours.push({ hex, property: property.replace(/-color$/u, '') });
    if (property === 'font-family') scan.fonts.push(...fontNames(value));
  }
  for (const attribute of ['bgcolor', 'color', 'background']) {
    const value = attributes[attribute];
    if (value === undefined) continue;
    for (const hex of coloursIn(value)) scan.colours.push({ hex, property: attribute === 'color' ? 'color' : 'background' });
  }
  if (attributes['face'] !== undefined) scan.fonts.push(...fontNames(attributes['face']));

  const width = pixels(attributes['width']) ?? pixels(declarations.get('width')) ?? pixels(declarations.get('max-width'));
  if (name === 'table') {
    scan.tables++;
    if (attributes['role'] === 'presentation') scan.presentationTables++;
  }
  if (['table', 'td', 'div', 'center'].includes(name) && width !== null && width >= 400) {
    scan.fixedWidth = Math.max(scan.fixedWidth ?? 0, width);
  }
  const background = coloursIn(attributes['bgcolor'] ?? declarations.get('background-color') ?? declarations.get('background') ?? '')[0];
  if (background !== undefined && ['table', 'tr', 'td', 'div', 'th', 'body', 'center'].includes(name)) {
    scan.blocks.push({ tag: name, background, region: 'body', textBefore: scan.textLength });
  }
  if (name === 'img') {
    scan.images.push({
      src: (attributes['src'] ?? '').trim(),
      alt: (attributes['alt'] ?? '').trim(),
      title: (attributes['title'] ?? '').trim(),
      width: pixels(attributes['width']) ?? pixels(declarations.get('width')),
      height: pixels(attributes['height']) ?? pixels(declarations.get('height')),
      hidden,
      textBefore: scan.textLength,
      region: 'body',
    });
  }
}

function readStylesheet(scan: HtmlScan, css: string): void {
  // Font declarations (`@font-face`) say which fonts exist, not which the text uses.
  const rules = css.replace(/@font-face\s*\{[^}]*\}/giu, '');
  const withoutClientRules = rules.replace(/[^{}]*\{[^}]*\}/gu, (rule) => (CLIENT_STYLESHEET.test(rule) ? '' : rule));
  scan.stylesheet = /\{[^}]*\S[^}]*\}/u.test(withoutClientRules);
  for (const rule of withoutClientRules.matchAll(/\{([^}]*)\}/gu)) {
    for (const [property, value] of parseStyle(rule[1] as string)) {
      for (const hex of coloursIn(value)) scan.colours.push({ hex, property: property.replace(/-color$/u, '') });
      if (property === 'font-family') scan.fonts.push(...fontNames(value));
    }
  }
}

/** Header above the first words; footer after the closing formula, or in the last quarter of the text. */
function regionOf(textBefore: number, scan: HtmlScan): Region {
  if (textBefore < HEADER_TEXT) return 'header';
  if (scan.closingAt !== null && textBefore > scan.closingAt) return 'footer';
  return scan.textLength > 0 && textBefore / scan.textLength >= FOOTER_SHARE ? 'footer' : 'body';
}

function detectClient(html: string): HtmlScan['client'] {
  if (/class="?MsoNormal|WordSection1|xmlns:o="urn:schemas-microsoft-com/iu.test(html)) return 'outlook';
  if (/-webkit-nbsp-mode|Apple-interchange-newline|class="?Apple-/iu.test(html)) return 'apple';
  if (/class="?gmail_(?:default|signature|attr)|<div dir="?ltr/iu.test(html)) return 'gmail';
  return null;
}

/** `property: value` pairs of a style attribute or rule body, properties lower-cased. */
export function parseStyle(style: string): Map<string, string> {
  const declarations = new Map<string, string>();
  for (const part of style.split(';')) {
    const colon = part.indexOf(':');
    if (colon > 0) declarations.set(part.slice(0, colon).trim().toLowerCase(), part.slice(colon + 1).trim());
  }
  return declarations;
}

function pixels(value: string | undefined): number | null {
  if (value === undefined) return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*(?:!important)?\s*$/iu.exec(value);
  return match === null ? null : Number(match[1]);
}

function fontNames(value: string): string[] {
  return value
    .split(',')
    .map((font) => font.trim().replace(/^["']|["']$/gu, '').trim())
    .filter((font) => font !== '' && !/^(?:inherit|initial|sans-serif|serif|monospace|-apple-system|system-ui)$/iu.test(font));
}

const NAMED_COLOURS: Readonly<Record<string, string>> = {
  white: '#ffffff',
  black: '#000000',
  red: '#ff0000',
  blue: '#0000ff',
  navy: '#000080',
  green: '#008000',
  gray: '#808080',
  grey: '#808080',
  silver: '#c0c0c0',
  orange: '#ffa500',
  yellow: '#ffff00',
  purple: '#800080',
};

/** Colours written in a CSS value or an HTML attribute, as `#rrggbb`. */
export function coloursIn(value: string): string[] {
  const colours: string[] = [];
  const withoutUrls = value.replace(/url\([^)]*\)/giu, ' ');
  for (const match of withoutUrls.matchAll(/#([0-9a-f]{6}|[0-9a-f]{3})\b|rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})|(?<![\w/.-])([a-z]+)(?![\w/.-])/giu)) {
    if (match[1] !== undefined) colours.push(normaliseHex(match[1]));
    else if (match[2] !== undefined) colours.push(toHex([match[2], match[3], match[4]].map(Number)));
    else {
      const named = NAMED_COLOURS[(match[5] as string).toLowerCase()];
      if (named !== undefined) colours.push(named);
    }
  }
  return colours;
}

/** `#abc` or `abc` or `#AABBCC` → `#aabbcc`. */
export function normaliseHex(hex: string): string {
  const digits = hex.replace(/^#/u, '').toLowerCase();
  return `#${digits.length === 3 ? [...digits].map((digit) => digit + digit).join('') : digits}`;
}

function toHex(rgb: number[]): string {
  return `#${rgb.map((channel) => Math.min(255, channel).toString(16).padStart(2, '0')).join('')}`;
}
