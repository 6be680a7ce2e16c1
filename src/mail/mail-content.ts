/**
 * What a page needs to show a stored message: its HTML and text bodies and the inline images
 * its HTML refers to by `cid:`. Read from the raw source with mailparser; separate from
 * `parse.ts`, whose `ParsedMessage` (what the analysers read) carries no attachment content.
 */
import { simpleParser } from 'mailparser';

export interface InlineImage {
  /** Content-ID without angle brackets. */
  contentId: string;
  contentType: string;
  content: Buffer;
}

export interface MailContent {
  html: string | null;
  text: string;
  inlineImages: InlineImage[];
}

/** Inline images above this size are not embedded in a page (shown as a placeholder). */
export const MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024;

/** Never throws: an unreadable message gives empty bodies. */
export async function readMailContent(source: Buffer): Promise<MailContent> {
  try {
    const mail = await simpleParser(source, { keepCidLinks: true, skipTextToHtml: true });
    const html = typeof mail.html === 'string' && mail.html.trim() !== '' ? mail.html : null;
    return {
      html,
      text: mail.text ?? '',
      inlineImages: mail.attachments
        .filter((a) => a.cid && a.contentType.toLowerCase().startsWith('image/') && a.size <= MAX_INLINE_IMAGE_BYTES)
        .map((a) => ({ contentId: a.cid as string, contentType: a.contentType.toLowerCase(), content: a.content })),
    };
  } catch {
    return { html: null, text: '', inlineImages: [] };
  }
}
