/**
 * Mail domains anyone can get an address at. As a brand's sender domain, one would pair
 * every stranger's mail with that brand: a brand answering from such an address is
 * known by its full address (in `contactAddresses`), matched exactly.
 */

/** Exact public domains (French providers first, then the international ones). */
const PUBLIC_DOMAINS = new Set([
  'orange.fr', 'wanadoo.fr', 'free.fr', 'sfr.fr', 'neuf.fr', 'laposte.net', 'bbox.fr', 'numericable.fr', 'aliceadsl.fr',
  'club-internet.fr', 'cegetel.net', 'noos.fr', 'voila.fr', 'bouyguestelecom.fr', 'lapost.net',
  'gmail.com', 'googlemail.com', 'icloud.com', 'me.com', 'mac.com', 'aol.com', 'aol.fr', 'msn.com', 'protonmail.com',
  'proton.me', 'pm.me', 'tutanota.com', 'zoho.com', 'mail.com', 'yandex.com', 'yandex.ru', 'gmx.com', 'gmx.net',
  'web.de', 'libero.it', 'mailo.com', 'netcourrier.com', 'caramail.com', 'fastmail.com', 'hey.com',
]);

/** Providers with a domain per country: hotmail.fr, yahoo.co.uk, outlook.be, gmx.fr… */
const PUBLIC_FAMILIES = /^(?:hotmail|outlook|live|yahoo|ymail|gmx|windowslive)\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})$/u;

export function isPublicMailDomain(domain: string): boolean {
  const d = domain.trim().toLowerCase().replace(/^@/u, '').replace(/\.$/u, '');
  return PUBLIC_DOMAINS.has(d) || PUBLIC_FAMILIES.test(d);
}
