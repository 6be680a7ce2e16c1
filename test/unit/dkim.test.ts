import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { verifyDkim, type DkimResolver } from '../../src/mail/dkim.ts';
import { rawMail } from '../support/mail-factory.ts';

/** A key pair for brand.test, its public key served as DNS would serve it. */
function testKey() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const lookups: string[] = [];
  const resolver: DkimResolver = async (name, rrtype) => {
    lookups.push(`${rrtype} ${name}`);
    if (name === 'sel1._domainkey.brand.test' && rrtype === 'TXT') return [[`v=DKIM1; k=rsa; p=${p}`]];
    throw Object.assign(new Error(`no record ${name}`), { code: 'ENOTFOUND' });
  };
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), resolver, lookups };
}

async function signed(privateKey: string): Promise<Buffer> {
  const message = rawMail({ from: 'Service client <sav@brand.test>', to: 'marie@test.example', subject: 'Re: ma commande', text: 'Bonjour Marie,\r\nvotre colis part demain.\r\n' });
  // mailauth 4 takes its keys as signatureData
  const signature = await dkimSign(message, { canonicalization: 'relaxed/relaxed', signatureData: [{ signingDomain: 'brand.test', selector: 'sel1', privateKey }] } as never);
  expect(signature.errors).toEqual([]);
  return Buffer.from(signature.signatures + message);
}

describe('verifyDkim', () => {
  it('passes a message signed by the brand, naming the signing domain', async () => {
    const key = testKey();
    const verdict = await verifyDkim(await signed(key.privateKey), { resolver: key.resolver });
    expect(verdict).toMatchObject({ status: 'pass', domain: 'brand.test', headerFrom: ['sav@brand.test'] });
    expect(verdict.signatures).toEqual([{ domain: 'brand.test', selector: 'sel1', status: 'pass', aligned: true, comment: null }]);
    expect(key.lookups).toEqual(['TXT sel1._domainkey.brand.test']);
  });

  it('fails a signed message whose header or body was altered afterwards', async () => {
    const key = testKey();
    const source = (await signed(key.privateKey)).toString();
    const headerTampered = await verifyDkim(Buffer.from(source.replace('Subject: Re: ma commande', 'Subject: Re: ma commande annulée')), { resolver: key.resolver });
    expect(headerTampered).toMatchObject({ status: 'fail', domain: 'brand.test' });
    const bodyTampered = await verifyDkim(Buffer.from(source.replace('votre colis part demain', 'votre colis part jamais')), { resolver: key.resolver });
    expect(bodyTampered).toMatchObject({ status: 'fail', domain: 'brand.test' });
  });

  it('says none for an unsigned message, and temperror when DNS does not answer in time', async () => {
    const unsigned = Buffer.from(rawMail({ from: 'sav@brand.test', to: 'marie@test.example', subject: 'Re', text: 'ok' }));
    expect(await verifyDkim(unsigned, { resolver: async () => [] })).toMatchObject({ status: 'none', domain: null, signatures: [] });

    const key = testKey();
    const hanging: DkimResolver = () => new Promise(() => {});
    const started = Date.now();
    const verdict = await verifyDkim(await signed(key.privateKey), { resolver: hanging, timeoutMs: 200 });
    expect(verdict).toMatchObject({ status: 'temperror', domain: 'brand.test' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
