/**
 * A running campaign of one brand whose probes each got an analysed answer (the French Gmail
 * fixture), for the double rating's tests: what the auditors then rate.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { recomputeOutcome } from '../../src/flow/recompute-outcome.ts';
import { analyseStoredReply } from '../../src/queue/analyse-reply.job.ts';
import type { TestContext } from './context.ts';

const HOUR = 3600_000;
const FIXTURE = readFileSync(new URL('../fixtures/analysis/fr-gmail-agent.eml', import.meta.url));

export interface AnsweredCampaign {
  campaignId: string;
  brandId: string;
  probes: string[];
  replies: string[];
}

export async function seedAnsweredCampaign(t: TestContext, answers: number): Promise<AnsweredCampaign> {
  const db = t.db.pool;
  const { rows: [sector] } = await db.query<{ id: string }>(`insert into sectors (name) values ('Banque') returning id`);
  const { rows: [brand] } = await db.query<{ id: string }>(`insert into brands (sector_id, name) values ($1, 'Banque Alpha') returning id`, [sector!.id]);
  const { rows: [persona] } = await db.query<{ id: string }>(`insert into personas (first_name, last_name) values ('Marie', 'Dupont') returning id`);
  const { rows: [mailbox] } = await db.query<{ id: string }>(
    `insert into mailboxes (label, address, persona_id, imap_host, imap_port, imap_user, imap_password_enc)
     values ('Boîte Marie', 'marie@test.example', $1, 'imap.test.example', 993, 'marie', 'sealed') returning id`,
    [persona!.id],
  );
  const { rows: [campaign] } = await db.query<{ id: string }>(`insert into campaigns (name, status) values ('Double notation', 'running') returning id`);
  const campaignId = campaign!.id;
  await db.query('insert into campaign_brands values ($1, $2)', [campaignId, brand!.id]);
  await db.query('insert into campaign_mailboxes values ($1, $2)', [campaignId, mailbox!.id]);
  const { rows: [scenario] } = await db.query<{ id: string }>(
    `insert into scenarios (name, subject, body, expected_points)
     values ('Retard', 'Retard de livraison', 'Où en est ma commande ?', '[{"label": "date de livraison", "keywords": ["jeudi", "livraison"]}]') returning id`,
  );
  const seeded: AnsweredCampaign = { campaignId, brandId: brand!.id, probes: [], replies: [] };
  for (let i = 0; i < answers; i++) {
    const sentAt = new Date(Date.UTC(2026, 4, 4 + i, 7));
    const { rows: [probe] } = await db.query<{ id: string }>(
      `insert into probes (campaign_id, brand_id, scenario_id, mailbox_id, sent_at, status, subject, body)
       values ($1, $2, $3, $4, $5, 'sent', 'Retard de livraison', 'Où en est ma commande ?') returning id`,
      [campaignId, brand!.id, scenario!.id, mailbox!.id, sentAt],
    );
    const source = Buffer.concat([Buffer.from(`X-Copy: ${i}\r\n`), FIXTURE]);
    const receivedAt = new Date(sentAt.getTime() + 2 * HOUR);
    const { rows: [message] } = await db.query<{ id: string }>(
      `insert into messages (mailbox_id, folder, uid_validity, uid, source_sha256, source_gz, size, received_at, kind, probe_id, from_address)
       values ($1, 'INBOX', 1, $2, $3, $4, $5, $6, 'answer', $7, 'service@brand.example') returning id`,
      [mailbox!.id, i + 1, createHash('sha256').update(source).digest(), gzipSync(source), source.length, receivedAt, probe!.id],
    );
    await db.query(`insert into replies (id, probe_id, kind, received_at) values ($1, $2, 'answer', $3)`, [message!.id, probe!.id, receivedAt]);
    await recomputeOutcome(db, probe!.id);
    if ((await analyseStoredReply(db, message!.id)) !== 'analysed') throw new Error('the fixture was not analysed');
    seeded.probes.push(probe!.id);
    seeded.replies.push(message!.id);
  }
  return seeded;
}
