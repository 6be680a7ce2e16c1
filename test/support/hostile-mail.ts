/**
 * A brand reply written to do harm: a script, event handlers, a form, an iframe, CSS `url()`
 * in a style attribute and in a style element, `@import`, a `<link>`, `srcset`, a
 * `background` attribute and a remote image (a tracking pixel) at `pixelBase`, plus an inline
 * `cid:` logo that must still show. Every remote reference points under `pixelBase`, so a
 * server there that counts its hits tells whether anything was fetched.
 */
import { randomBytes } from 'node:crypto';

/** A 1×1 transparent PNG. */
export const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

export interface HostileMailOptions {
  pixelBase: string;
  from: string;
  to: string;
  subject: string;
  date?: Date;
  messageId?: string;
  inReplyTo?: string;
  /** Words of the reply, before the hostile markup. */
  text?: string;
}

export function hostileReplyHtml(pixelBase: string, text = 'Bonjour Madame, votre commande est partie ce matin.'): string {
  return `<!doctype html><html><head>
<link rel="stylesheet" href="${pixelBase}/link.css">
<style>@import url("${pixelBase}/import.css"); body { background: url('${pixelBase}/style-element.png'); }</style>
<script>fetch("${pixelBase}/script"); document.title = "pwned";</script>
</head>
<body onload="fetch('${pixelBase}/onload')" background="${pixelBase}/background.png">
<p style="color:#1a4b8c;background-image:url(${pixelBase}/style-attr.png)">${text}</p>
<p>Cordialement,<br>Julie Martin</p>
<img src="cid:logo@brand.test" alt="Logo de la marque">
<img src="${pixelBase}/pixel.gif" width="1" height="1" alt="">
<img src="x" onerror="fetch('${pixelBase}/onerror')">
<img srcset="${pixelBase}/srcset.png 2x" src="data:image/png;base64,${PNG_1X1.toString('base64')}">
<iframe src="${pixelBase}/iframe"></iframe>
<object data="${pixelBase}/object"></object>
<form action="${pixelBase}/form"><input name="q" value="x"><button>Envoyer</button></form>
<a href="${pixelBase}/link" onclick="fetch('${pixelBase}/click')">Suivre ma commande</a>
<svg><image href="${pixelBase}/svg.png"/></svg>
</body></html>`;
}

/** The whole raw message, multipart/related with the cid logo, CRLF line ends. */
export function hostileReplySource(o: HostileMailOptions): Buffer {
  const related = `rel_${randomBytes(6).toString('hex')}`;
  const alternative = `alt_${randomBytes(6).toString('hex')}`;
  const text = o.text ?? 'Bonjour Madame, votre commande est partie ce matin.';
  const lines = [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${(o.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${o.messageId ?? `${randomBytes(8).toString('hex')}@brand.test`}>`,
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`, `References: <${o.inReplyTo}>`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/related; boundary="${related}"`,
    '',
    `--${related}`,
    `Content-Type: multipart/alternative; boundary="${alternative}"`,
    '',
    `--${alternative}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `${text}\r\n\r\nCordialement,\r\nJulie Martin`,
    `--${alternative}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    hostileReplyHtml(o.pixelBase, text),
    `--${alternative}--`,
    `--${related}`,
    'Content-Type: image/png; name="logo.png"',
    'Content-Transfer-Encoding: base64',
    'Content-ID: <logo@brand.test>',
    'Content-Disposition: inline; filename="logo.png"',
    '',
    PNG_1X1.toString('base64'),
    `--${related}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}
