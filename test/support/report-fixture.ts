/**
 * A small campaign for report tests, written as the service writes it: brands, a French
 * scenario, a mailbox, probes sent, and replies stored from raw sources, matched, their
 * outcomes recomputed and analysed by the analysis job (DKIM included).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Pool, Queryable } from '../../src/db/pool.ts';
import { insertMessages, type MessageKind } from '../../src/db/messages.repo.ts';
import { splitReply } from '../../src/audit/quote.ts';
import { recomputeOutcome } from '../../src/flow/recompute-outcome.ts';
import { parseMessage } from '../../src/mail/parse.ts';
import type { DkimOptions } from '../../src/mail/dkim.ts';
import { analyseStoredReply } from '../../src/queue/analyse-reply.job.ts';

let uid = 0;

export async function insertCampaignWorld(
  db: Queryable,
  o: { campaignId: string; sectors: Array<{ id: string; name: string }>; brands: Array<{ id: string; name: string; sectorId: string; domain: string }>; mailboxId: string; scenarioId: string; scenarioLanguage?: string },
): Promise<void> {
  for (const s of o.sectors) await db.query('insert into sectors (id, name) values ($1, $2)', [s.id, s.name]);
  for (const b of o.brands) await db.query('insert into brands (id, sector_id, name, sender_domains) values ($1, $2, $3, $4)', [b.id, b.sectorId, b.name, [b.domain]]);
  const { rows } = await db.query<{ id: string }>(`insert into personas (first_name, last_name, gender) values ('Marie', 'Dupont', 'female') returning id`);
  await db.query(
    `insert into mailboxes (id, label, address, persona_id, imap_host, imap_port, imap_user, imap_password_enc)
     values ($1, 'Boîte Marie', 'marie.dupont@test.example', $2, 'imap.test.example', 993, 'marie', 'sealed')`,
    [o.mailboxId, rows[0]!.id],
  );
  await db.query(
    `insert into scenarios (id, name, language, subject, body, expected_points)
     values ($1, 'Retard de livraison', $2, 'Retard de livraison', 'Bonjour, ma commande n''est pas arrivée.', $3)`,
    [o.scenarioId, o.scenarioLanguage ?? 'fr', JSON.stringify([{ label: 'date de livraison', keywords: ['livraison', 'colis'] }])],
  );
  await db.query(
    `insert into campaigns (id, name, status, starts_at, ends_at, timezone, norms, probes_per_brand)
     values ($1, 'Baromètre printemps 2026', 'running', '2026-03-02T00:00:00Z', '2026-03-31T00:00:00Z', 'Europe/Paris', '{4,24}', 3)`,
    [o.campaignId],
  );
  for (const b of o.brands) await db.query('insert into campaign_brands values ($1, $2)', [o.campaignId, b.id]);
  await db.query('insert into campaign_scenarios values ($1, $2)', [o.campaignId, o.scenarioId]);
  await db.query('insert into campaign_mailboxes values ($1, $2)', [o.campaignId, o.mailboxId]);
}

export async function insertSentProbe(
  db: Queryable,
  o: { id: string; campaignId: string; brandId: string; mailboxId: string; scenarioId: string; subject: string; recipient: string; sentAt: Date; messageId: string },
): Promise<void> {
  await db.query(
    `insert into probes (id, campaign_id, brand_id, scenario_id, mailbox_id, channel, recipient, persona_address, subject, body,
                         internet_message_id, sent_at, status, smtp_response)
     values ($1, $2, $3, $4, $5, 'email', $6, 'marie.dupont@test.example', $7, 'Bonjour, ma commande n''est pas arrivée.', $8, $9, 'sent', '250 2.0.0 Ok: queued')`,
    [o.id, o.campaignId, o.brandId, o.scenarioId, o.mailboxId, o.recipient, o.subject, o.messageId, o.sentAt],
  );
  await recomputeOutcome(db, o.id);
}

/** Stores a raw reply as matched to its probe, recomputes the outcome and runs the analysis job on it. */
export async function storeReply(
  pool: Pool,
  o: { mailboxId: string; probeId: string; source: Buffer; receivedAt: Date; kind: MessageKind; dkim?: DkimOptions },
): Promise<string> {
  const parsed = await parseMessage(o.source);
  const split = splitReply(parsed.text);
  const inserted = await insertMessages(pool, [
    {
      mailboxId: o.mailboxId,
      folder: 'INBOX',
      uidValidity: 1,
      uid: ++uid,
      messageId: parsed.messageId,
      sourceSha256: createHash('sha256').update(o.source).digest(),
      sourceGz: gzipSync(o.source),
      size: o.source.length,
      fromAddress: parsed.from?.address ?? null,
      fromName: parsed.from?.name ?? null,
      to: parsed.to.map((a) => a.address),
      cc: [],
      subject: parsed.subject,
      receivedAt: o.receivedAt,
      dateHeader: parsed.date,
      inReplyTo: parsed.inReplyTo,
      references: parsed.references,
      kind: o.kind,
      signals: [],
      language: 'fr',
      replyText: split.replyText,
      signature: split.signature,
      probeId: o.probeId,
      match: { rule: 'in-reply-to', confidence: 1, evidence: {} },
      parseError: parsed.parseError,
      oversize: false,
    },
  ]);
  const id = [...inserted.values()][0]!.id;
  await recomputeOutcome(pool, o.probeId);
  await analyseStoredReply(pool, id, { ...(o.dkim && { dkim: o.dkim }) });
  return id;
}
