import { describe, expect, it } from 'vitest';
import { renderSafeMail, sanitiseMail } from '../../../src/web/mail-view.ts';
import { PNG_1X1, hostileReplyHtml, hostileReplySource } from '../../support/hostile-mail.ts';

const PIXEL = 'http://tracker.example.test:8123';

describe('renderSafeMail on a hostile reply', () => {
  it('keeps the text and the cid logo, and leaves nothing that runs or fetches', async () => {
    const raw = hostileReplySource({ pixelBase: PIXEL, from: 'Brand <sav@brand.test>', to: 'marie@test.example', subject: 'Re: commande' });
    const safe = await renderSafeMail(raw);

    expect(safe.html).toContain('votre commande est partie ce matin');
    expect(safe.html).toContain('Julie Martin');
    expect(safe.text).toContain('votre commande est partie ce matin');
    // the cid logo is inlined from the message itself
    expect(safe.html).toContain(`src="data:image/png;base64,${PNG_1X1.toString('base64')}"`);
    expect(safe.html).toContain('alt="Logo de la marque"');

    // nothing of the tracker's host survives as a reference a browser would follow
    for (const attr of ['src', 'srcset', 'background', 'action', 'data', 'onload', 'onerror', 'onclick']) {
      expect(safe.html).not.toMatch(new RegExp(`${attr}="[^"]*tracker\\.example\\.test`, 'i'));
    }
    expect(safe.html).not.toMatch(/url\s*\(/i);
    expect(safe.html).not.toMatch(/@import/i);
    expect(safe.html).not.toMatch(/<(script|style|link|iframe|object|form|input|button|svg|image|meta|base)\b/i);
    expect(safe.html).not.toMatch(/\son[a-z]+=/i);
    expect(safe.html).not.toContain('srcset');
    expect(safe.html).not.toContain('pwned');
    // the inline colour stays, its url() is gone
    expect(safe.html).toContain('color:#1a4b8c');

    // the pixel is replaced by a placeholder naming its host; "x" is a relative image, blocked too
    expect(safe.remoteBlocked).toEqual([{ host: 'tracker.example.test:8123' }, { host: 'relative' }]);
    expect(safe.html).toContain('data-remote-host="tracker.example.test:8123"');
    expect(safe.html).toContain('[remote image blocked (tracker.example.test:8123)]');
    // the link stays a link, opening apart
    expect(safe.html).toMatch(/<a href="http:\/\/tracker\.example\.test:8123\/link" target="_blank" rel="noopener noreferrer nofollow">Suivre ma commande<\/a>/);
  });

  it('names the host in the placeholder in the page language, and drops svg data images', () => {
    const safe = sanitiseMail(
      {
        html: `<p>Bonjour</p><img src="https://cdn.brand.test/logo.png"><img src="//pixel.brand.test/p.gif"><img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">`,
        text: 'Bonjour',
        inlineImages: [],
      },
      { remoteImageLabel: (host) => `image distante bloquée (${host})` },
    );
    expect(safe.remoteBlocked).toEqual([{ host: 'cdn.brand.test' }, { host: 'pixel.brand.test' }]);
    expect(safe.html).toContain('[image distante bloquée (cdn.brand.test)]');
    expect(safe.html).not.toContain('svg+xml');
    expect(safe.html).not.toMatch(/<img[^>]*src="(https?:)?\/\//);
  });

  it('shows a text-only message as escaped text', () => {
    const safe = sanitiseMail({ html: null, text: 'Bonjour <b>Marie</b> & merci', inlineImages: [] });
    expect(safe.html).toBe('<pre class="sonde-mail-text">Bonjour &lt;b&gt;Marie&lt;/b&gt; &amp; merci</pre>');
  });

  it('drops a cid image the message does not hold, keeping its alt text', () => {
    const safe = sanitiseMail({ html: hostileReplyHtml(PIXEL), text: '', inlineImages: [] });
    expect(safe.html).toContain('[Logo de la marque]');
    expect(safe.html).not.toContain('cid:');
  });
});
