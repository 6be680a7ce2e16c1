/** What the matching cascade reads of a mailbox's matched messages is bounded in time and size. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREAD_KEYS_BOUND, listMatchedThreadKeys } from '../../src/db/messages.repo.ts';
import { insertProbe } from '../../src/db/probes.repo.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let t: TestContext;
let mailboxId: string;
let probeId: string;

beforeAll(async () => {
  t = await createTestContext();
  const post = async (url: string, payload: object) => (await t.app.inject({ method: 'POST', url, payload, headers: t.auth() })).json();
  const sector = await post('/v1/sectors', { name: 'Banque' });
  const brand = await post('/v1/brands', { name: 'Banque Exemple', sectorId: sector.id, senderDomains: ['banque-exemple.fr'] });
  const campaign = await post('/v1/campaigns', { name: 'C' });
  mailboxId = (await post('/v1/mailboxes', {
    label: 'M', address: 'marie.keys@example.test', persona: { firstName: 'Marie', lastName: 'Dupont' },
    imap: { host: 'imap.example.test', port: 993, secure: true, user: 'm', password: 'p' },
  })).id;
  probeId = (await insertProbe(t.db.pool, {
    campaignId: campaign.id, brandId: brand.id, mailboxId, channel: 'email', recipient: 'sav@banque-exemple.fr', personaAddress: 'marie.keys@example.test',
    subject: 'Frais', body: 'Bonjour', messageId: 'probe-keys@example.test', sentAt: new Date('2024-01-01T10:00:00Z'), status: 'sent',
  })).id;
});

afterAll(async () => t?.close());

async function matched(uid: number, receivedAt: Date, replyText: string, messageId: string): Promise<void> {
  await t.db.pool.query(
    `insert into messages (mailbox_id, folder, uid_validity, uid, source_sha256, size, received_at, internet_message_id, subject, reply_text, probe_id)
     values ($1, 'INBOX', 1, $2, sha256($3::bytea), 100, $4, $5, 'Re: Frais', $6, $7)`,
    [mailboxId, uid, Buffer.from(messageId), receivedAt, messageId, replyText, probeId],
  );
}

describe('listMatchedThreadKeys', () => {
  it('reads the recent matched messages only, their reply text cut to its beginning', async () => {
    const now = new Date('2024-09-01T00:00:00Z');
    await matched(1, new Date(now.getTime() - (THREAD_KEYS_BOUND.days + 20) * 86_400_000), 'Dossier n° 111111', 'old@banque-exemple.fr');
    await matched(2, new Date(now.getTime() - 10 * 86_400_000), `Dossier n° 222222\n${'x'.repeat(10_000)}`, 'recent@banque-exemple.fr');
    await matched(3, new Date(now.getTime() - 5 * 86_400_000), 'Suite', 'newer@banque-exemple.fr');
    const keys = await listMatchedThreadKeys(t.db.pool, mailboxId, now);
    expect(keys.map((k) => k.messageId)).toEqual(['recent@banque-exemple.fr', 'newer@banque-exemple.fr']);
    expect(keys[0]!.replyText).toHaveLength(THREAD_KEYS_BOUND.replyChars);
    expect(keys[0]!.replyText).toMatch(/^Dossier n° 222222/u);
  });
});
