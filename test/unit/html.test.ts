import { describe, expect, it } from 'vitest';
import { documentHtml, escapeHtml, html, trustedHtml } from '../../src/web/html.ts';

describe('html templates', () => {
  it('escapes interpolated text, in content and in attributes', () => {
    const name = '<img src=x onerror="alert(1)"> & \'Co\'';
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;Co&#39;">&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;Co&#39;</p>',
    );
  });

  it('nests templates without escaping them twice, joins arrays and drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}${null}${undefined}${false}${0}</ul>`.value).toBe('<ul><li>a&lt;b</li><li>c</li>0</ul>');
  });

  it('keeps trusted markup as it is, and writes a doctype for a document', () => {
    expect(html`<div>${trustedHtml('<svg><rect/></svg>')}</div>`.value).toBe('<div><svg><rect/></svg></div>');
    expect(documentHtml(html`<html></html>`)).toBe('<!doctype html>\n<html></html>');
    expect(escapeHtml('"&"')).toBe('&quot;&amp;&quot;');
  });
});
