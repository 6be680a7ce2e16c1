/**
 * Content-Security-Policy of the dashboard. No page runs a script: there is none, and
 * `script-src 'none'` says so. Pages take styles from the service's stylesheet, and the
 * `<style>` elements the charting library writes into its SVG are allowed one by one by
 * their hash; images only from the service or `data:`; no page may be framed. The safe mail
 * view, framed by the reply page in a sandbox, allows nothing but inline styles and
 * `data:` images (the inline `cid:` parts): a remote resource is never fetched. The report,
 * a self-contained printable page, has the report route's policy.
 */
import { createHash } from 'node:crypto';

export type PolicyKind = 'page' | 'mail' | 'report';

export function contentSecurityPolicy(kind: PolicyKind, styleHashes: readonly string[] = []): string {
  if (kind === 'mail') {
    return [
      "default-src 'none'",
      'img-src data:',
      "style-src 'unsafe-inline'",
      "font-src 'none'",
      "form-action 'none'",
      "frame-ancestors 'self'",
      "base-uri 'none'",
      'sandbox',
    ].join('; ');
  }
  if (kind === 'report') {
    // the printable report: self-contained, styles inline, images as data: URIs, nothing fetched
    return ["default-src 'none'", 'img-src data:', "style-src 'unsafe-inline'", "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'"].join('; ');
  }
  const styles = ["'self'", ...styleHashes.map((h) => `'${h}'`)].join(' ');
  return [
    "default-src 'none'",
    "script-src 'none'",
    `style-src ${styles}`,
    `style-src-elem ${styles}`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "frame-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * The `sha256-…` sources of the `<style>` elements of a page, hashed as the browser reads
 * them: in SVG a `<![CDATA[…]]>` section is text, its markers are not.
 */
export function styleElementHashes(page: string): string[] {
  const hashes = new Set<string>();
  for (const match of page.matchAll(/<style(?:\s[^>]*)?>([\s\S]*?)<\/style>/gi)) {
    const text = (match[1] ?? '').replace(/<!\[CDATA\[|\]\]>/g, '');
    hashes.add(`sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`);
  }
  return [...hashes];
}
