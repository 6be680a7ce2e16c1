/**
 * A brand's mail, made safe to show inside our own pages. Brand mail is hostile: it may carry
 * scripts, event handlers, forms, frames, stylesheets and tracking pixels, and loading any
 * remote resource of it tells the brand that its mail was opened, when and from where. The
 * HTML goes through sanitize-html with a strict allow-list:
 *
 * - no script, style element, link, meta, base, form or control, iframe, object, embed,
 *   svg, video, audio: the element and (for script and style) its content are dropped;
 * - no event handler, `srcset`, `background`, `class` or `id`, only plain attributes;
 * - inline styles keep a list of harmless properties, and never a value holding `url(`,
 *   `image(`, `image-set(`, `expression(`, `@import`, `javascript:` or a CSS escape;
 * - an image `cid:` from the message itself becomes a `data:` URI of its content; a remote
 *   (or relative) image becomes a visible placeholder naming its host, and is listed in
 *   `remoteBlocked`; a `data:` image of a bitmap type stays;
 * - links keep http(s) and mailto targets and open apart (`rel="noopener noreferrer"`).
 *
 * Pages add their own defence on top: a CSP with `img-src data:` and, on the dashboard, a
 * sandboxed frame.
 */
import sanitizeHtml from 'sanitize-html';
import { readMailContent, type MailContent } from '../mail/mail-content.ts';
import { escapeHtml } from './html.ts';

export type { MailContent } from '../mail/mail-content.ts';

export interface SafeMail {
  /** Sanitised HTML, for a page; the text in a `<pre>` when the message has no HTML body. */
  html: string;
  /** One entry per remote image replaced by a placeholder, in order. */
  remoteBlocked: { host: string }[];
  /** The plain-text body. */
  text: string;
}

export interface SafeMailOptions {
  /** Text of the placeholder of a remote image, naming its host. */
  remoteImageLabel?: (host: string) => string;
}

/** Renders a raw message (or its content, already read) as safe HTML. */
export async function renderSafeMail(input: Buffer | MailContent, options: SafeMailOptions = {}): Promise<SafeMail> {
  const content = Buffer.isBuffer(input) ? await readMailContent(input) : input;
  return sanitiseMail(content, options);
}

const BITMAP_DATA_URI = /^data:image\/(png|jpe?g|gif|webp|bmp);base64,[a-z0-9+/=\s]+$/i;

const SAFE_VALUE = /^(?![\s\S]*(url\s*\(|image\s*\(|image-set|element\s*\(|cross-fade|expression|@import|javascript:|\\))[\s\S]*$/i;

const STYLE_PROPERTIES = [
  'color', 'background-color', 'background', 'font', 'font-family', 'font-size', 'font-style', 'font-weight', 'font-variant',
  'text-align', 'text-decoration', 'text-transform', 'text-indent', 'line-height', 'letter-spacing', 'word-spacing',
  'white-space', 'word-break', 'word-wrap', 'overflow-wrap', 'vertical-align', 'direction',
  'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
  'border', 'border-top', 'border-right', 'border-bottom', 'border-left', 'border-color', 'border-style', 'border-width',
  'border-radius', 'border-collapse', 'border-spacing',
  'width', 'height', 'max-width', 'min-width', 'max-height', 'min-height', 'display', 'table-layout', 'list-style-type',
];

const TAGS = [...sanitizeHtml.defaults.allowedTags.filter((tag) => tag !== 'data' && tag !== 'time'), 'img', 'font', 'center'];

const COMMON_ATTRIBUTES = ['style', 'title', 'align', 'valign', 'width', 'height', 'dir', 'lang', 'bgcolor', 'color'];

/** The host of a remote image's URL, or a word for one that has none. */
function hostOf(src: string): string {
  try {
    const url = new URL(src.startsWith('//') ? `https:${src}` : src);
    return url.host || url.protocol.replace(/:$/, '');
  } catch {
    return src.trim() === '' ? 'empty' : 'relative';
  }
}

export function sanitiseMail(content: MailContent, options: SafeMailOptions = {}): SafeMail {
  const remoteBlocked: { host: string }[] = [];
  const label = options.remoteImageLabel ?? ((host: string) => `remote image blocked (${host})`);
  const inline = new Map(content.inlineImages.map((image) => [image.contentId.toLowerCase(), image]));
  const placeholder = (host: string) => {
    remoteBlocked.push({ host });
    return { tagName: 'span', attribs: { class: 'sonde-remote-image', 'data-remote-host': host }, text: `[${label(host)}]` };
  };
  if (content.html === null) {
    return { html: `<pre class="sonde-mail-text">${escapeHtml(content.text)}</pre>`, remoteBlocked, text: content.text };
  }
  const html = sanitizeHtml(content.html, {
    allowedTags: TAGS,
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template', 'iframe', 'object', 'svg', 'math', 'xmp', 'noembed', 'noframes'],
    allowedAttributes: {
      '*': COMMON_ATTRIBUTES,
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height'],
      td: ['colspan', 'rowspan', 'nowrap'],
      th: ['colspan', 'rowspan', 'nowrap', 'scope'],
      table: ['border', 'cellpadding', 'cellspacing', 'summary'],
      font: ['face', 'size'],
      ol: ['start', 'type'],
      span: ['class', 'data-remote-host'],
    },
    allowedClasses: { span: ['sonde-remote-image'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['data'] },
    allowProtocolRelative: false,
    allowedStyles: { '*': Object.fromEntries(STYLE_PROPERTIES.map((property) => [property, [SAFE_VALUE]])) },
    transformTags: {
      img: (_tag, attribs) => {
        const src = (attribs.src ?? '').trim();
        const alt = attribs.alt ?? '';
        const keep = (uri: string) => ({ tagName: 'img', attribs: { src: uri, alt, ...(attribs.width && { width: attribs.width }), ...(attribs.height && { height: attribs.height }) } });
        if (/^cid:/i.test(src)) {
          const image = inline.get(decodeURIComponent(src.slice(4)).replace(/^<|>$/g, '').toLowerCase());
          return image ? keep(`data:${image.contentType};base64,${image.content.toString('base64')}`) : { tagName: 'span', attribs: {}, text: alt ? `[${alt}]` : '' };
        }
        if (/^data:/i.test(src)) return BITMAP_DATA_URI.test(src) ? keep(src) : { tagName: 'span', attribs: {}, text: '' };
        return placeholder(hostOf(src));
      },
      a: (_tag, attribs) => ({
        tagName: 'a',
        attribs: { ...(attribs.href && { href: attribs.href }), target: '_blank', rel: 'noopener noreferrer nofollow' },
      }),
    },
  });
  return { html, remoteBlocked, text: content.text };
}
