/**
 * HTML built from tagged templates, escaped by default. Every interpolated value
 * is text unless it is already `Html` (the result of `html` or `trustedHtml`), so
 * a brand name, a subject or a reply's text can never become markup. Arrays are
 * joined; `null`, `undefined` and `false` render nothing, so conditionals read
 * `${cond && html`…`}`.
 *
 * `trustedHtml` is the one way to put markup from elsewhere on a page: an SVG chart
 * drawn by the charting library, or mail HTML that went through the sanitiser.
 */

const HTML = Symbol('Html');

export interface Html {
  readonly [HTML]: true;
  readonly value: string;
  toString(): string;
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for element content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] as string);
}

function make(value: string): Html {
  return { [HTML]: true, value, toString: () => value };
}

export function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && (value as { [HTML]?: unknown })[HTML] === true;
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (isHtml(value)) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as HtmlValue) + (strings[i + 1] ?? '');
  return make(out);
}

/** Markup that is already safe: sanitised mail, library-drawn SVG. Never user text. */
export function trustedHtml(markup: string): Html {
  return make(markup);
}

/** A whole document, with its doctype. */
export function documentHtml(body: Html): string {
  return `<!doctype html>\n${body.value}`;
}
