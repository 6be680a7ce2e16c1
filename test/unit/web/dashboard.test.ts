/** The dashboard's pure parts: the session claim, the page CSP and its style hashes, the forms' reading. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { adminKeyTag, decodeSession, deriveSessionKeys, encodeSession, newSessionClaim, sameTag } from '../../../src/web/session.ts';
import { contentSecurityPolicy, styleElementHashes } from '../../../src/web/dashboard/csp.ts';
import { readOverrides } from '../../../src/web/dashboard/reply.pages.ts';
import { parseFilters } from '../../../src/web/dashboard/campaigns.pages.ts';
import { STRINGS } from '../../../src/web/dashboard/strings.ts';

describe('the session claim', () => {
  const now = new Date('2026-03-03T09:00:00Z');

  it('round-trips, and expires', () => {
    const claim = newSessionClaim({ keyId: 'k1', role: 'reader', label: 'Lectrice', adminTag: null }, now, 12);
    expect(decodeSession(encodeSession(claim), now)).toEqual(claim);
    expect(decodeSession(encodeSession(claim), new Date(now.getTime() + 12 * 3600_000))).toBeNull();
    expect(claim.sid).not.toBe(newSessionClaim({ keyId: 'k1', role: 'reader', label: 'L', adminTag: null }, now, 12).sid);
  });

  it('refuses what is not a claim', () => {
    expect(decodeSession('not base64 json', now)).toBeNull();
    const bad = Buffer.from(JSON.stringify({ sid: 's', keyId: 'k', adminTag: null, role: 'owner', label: 'x', exp: now.getTime() + 1000 })).toString('base64url');
    expect(decodeSession(bad, now)).toBeNull();
  });

  it('derives distinct keys from the secret key, and tags the admin key without revealing it', () => {
    const secret = randomBytes(32);
    const keys = deriveSessionKeys(secret);
    expect(new Set([keys.cookieSecret, keys.csrfKey, keys.adminTagKey, secret].map((k) => k.toString('hex'))).size).toBe(4);
    expect(deriveSessionKeys(secret).cookieSecret.equals(keys.cookieSecret)).toBe(true);
    const tag = adminKeyTag(keys, 'the-admin-key-0123456789');
    expect(tag).not.toContain('the-admin-key');
    expect(sameTag(tag, adminKeyTag(keys, 'the-admin-key-0123456789'))).toBe(true);
    expect(sameTag(tag, adminKeyTag(deriveSessionKeys(randomBytes(32)), 'the-admin-key-0123456789'))).toBe(false);
  });
});

describe('the page CSP', () => {
  it('allows no script and no framing, and each style element by its hash as the browser reads it', () => {
    const css = '.zr-c1-cls-0:hover { cursor: pointer; }';
    const page = `<p>x</p><svg><style ><![CDATA[${css}]]></style></svg><style>${css}</style>`;
    const hashes = styleElementHashes(page);
    expect(hashes).toEqual([`sha256-${createHash('sha256').update(css).digest('base64')}`]);
    const csp = contentSecurityPolicy('page', hashes);
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`style-src-elem 'self' '${hashes[0]}'`);
    expect(contentSecurityPolicy('mail')).toMatch(/^default-src 'none'; img-src data:; style-src 'unsafe-inline'/);
  });
});

describe("the override form's reading", () => {
  const t = STRINGS.fr;

  it('keeps the criteria with a value, each with its comment', () => {
    const { criteria, errors } = readOverrides({ 'value.spelling': '12,5', 'comment.spelling': ' deux fautes vénielles ', 'value.logo': '', 'comment.logo': 'rien' }, t);
    expect(errors).toEqual([]);
    expect(criteria).toEqual({ spelling: { value: 12.5, comment: 'deux fautes vénielles' } });
  });

  it('says which criterion lacks a comment or has a value out of range', () => {
    const { criteria, errors } = readOverrides({ 'value.spelling': '12', 'value.logo': '25', 'comment.logo': 'x', 'value.thanks': 'abc', 'comment.thanks': 'x' }, t);
    expect(criteria).toEqual({});
    expect(errors).toHaveLength(3);
    expect(errors.join(' ')).toContain('Orthographe');
  });
});

describe("a campaign page's filters", () => {
  it('reads days and a sector id, and refuses anything else', () => {
    expect(parseFilters({ sectorId: 'a1000000-0000-4000-8000-000000000001', from: '2026-03-02', to: '' })).toEqual({
      sectorId: 'a1000000-0000-4000-8000-000000000001',
      from: '2026-03-02',
      to: undefined,
    });
    expect(() => parseFilters({ sectorId: "1' or 1=1" })).toThrow();
    expect(() => parseFilters({ from: '2026-02-30' })).toThrow();
  });
});
