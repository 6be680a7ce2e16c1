import { describe, expect, it } from 'vitest';
import { isHiddenStyle, withoutHiddenElements } from '../../src/mail/hidden-html.ts';

describe('isHiddenStyle', () => {
  it('knows the ways templates hide a preheader', () => {
    for (const style of ['display:none', 'DISPLAY: NONE !important', 'color:red; mso-hide:all', 'visibility:hidden', 'font-size:0px;line-height:0', 'opacity:0', 'max-height:0; overflow:hidden', 'max-height:0px;max-width:0px;overflow:hidden;']) {
      expect(isHiddenStyle(style), style).toBe(true);
    }
  });

  it('leaves visible styles alone', () => {
    for (const style of ['display:block', 'font-size:0.9em', 'font-size:14px', 'opacity:0.5', 'max-height:0', 'overflow:hidden', 'max-height:300px; overflow:hidden', 'display:none-ish']) {
      expect(isHiddenStyle(style), style).toBe(false);
    }
  });
});

describe('withoutHiddenElements', () => {
  it('removes hidden elements with what they hold, and nothing else', () => {
    const html = '<p>Bonjour</p><div style="display:none">promo <b>-50 %</b></div><p hidden>x</p><p style="opacity:0.8">Réponse</p>';
    expect(withoutHiddenElements(html)).toBe('<p>Bonjour</p><p style="opacity:0.8">Réponse</p>');
    const plain = '<p>Bonjour</p>';
    expect(withoutHiddenElements(plain)).toBe(plain);
  });
});
