/**
 * Text a mail client never shows: the preheader that marketing templates hide for the
 * inbox preview (`display:none`, `mso-hide:all`, `max-height:0; overflow:hidden`, a zero
 * font size…) and elements with the `hidden` attribute. Left out of the rendered text, it
 * would land in the reply's text and be analysed as if the brand had written it there.
 */
import { DomUtils, parseDocument } from 'htmlparser2';

const ALWAYS_HIDDEN = /(?:^|;)\s*(?:display\s*:\s*none|mso-hide\s*:\s*all|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?|opacity\s*:\s*0(?:\.0+)?|line-height\s*:\s*0(?:px)?\s*;[^;]*font-size\s*:\s*0)\s*(?:!important\s*)?(?:;|$)/iu;
const ZERO_BOX = /(?:^|;)\s*(?:max-)?(?:height|width)\s*:\s*0(?:px)?\s*(?:!important\s*)?(?:;|$)/iu;
const CLIPPED = /(?:^|;)\s*overflow\s*:\s*hidden\s*(?:!important\s*)?(?:;|$)/iu;

export function isHiddenStyle(style: string): boolean {
  return ALWAYS_HIDDEN.test(style) || (ZERO_BOX.test(style) && CLIPPED.test(style));
}

/** `html` without its hidden elements; unchanged (same string) when it has none. */
export function withoutHiddenElements(html: string): string {
  if (!/display|mso-hide|visibility|font-size|opacity|height|width|hidden/iu.test(html)) return html;
  const document = parseDocument(html, { decodeEntities: false });
  const hidden = DomUtils.findAll((element) => {
    if (element.attribs.hidden !== undefined) return true;
    const style = element.attribs.style;
    return style !== undefined && isHiddenStyle(style);
  }, document.children);
  if (hidden.length === 0) return html;
  for (const element of hidden) DomUtils.removeElement(element);
  return DomUtils.getOuterHTML(document, { decodeEntities: false });
}
