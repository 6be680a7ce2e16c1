/** What the matching cascade needs from the database: a mailbox's probes with their brands. */
import type { MatchCandidate } from '../audit/match.ts';
import type { Queryable } from './pool.ts';

/**
 * The probes a message in this mailbox may answer: every probe of the mailbox that has
 * gone out (sent, being sent, or declared after a web form), with its brand's domains
 * and the Message-IDs of its reminders.
 */
export async function listMatchCandidates(db: Queryable, mailboxId: string): Promise<MatchCandidate[]> {
  const { rows } = await db.query<{
    id: string;
    brand_id: string;
    mailbox_id: string;
    channel: 'email' | 'webform';
    internet_message_id: string | null;
    reminder_ids: string[];
    persona_address: string | null;
    subject: string | null;
    body: string | null;
    sent_at: Date | null;
    sender_domains: string[];
    contact_addresses: string[];
  }>(
    `select p.id, p.brand_id, p.mailbox_id, p.channel, p.internet_message_id, p.persona_address, p.subject, p.body, p.sent_at,
            b.sender_domains, b.contact_addresses,
            array(select r.internet_message_id from reminders r
                   where r.probe_id = p.id and r.internet_message_id is not null order by r.seq) as reminder_ids
       from probes p join brands b on b.id = p.brand_id
      where p.mailbox_id = $1 and (p.status in ('sent', 'sending') or (p.channel = 'webform' and p.sent_at is not null))`,
    [mailboxId],
  );
  return rows.map((r) => ({
    id: r.id,
    brandId: r.brand_id,
    mailboxId: r.mailbox_id,
    channel: r.channel,
    messageId: r.internet_message_id,
    reminderMessageIds: r.reminder_ids,
    personaAddress: r.persona_address,
    subject: r.subject,
    body: r.body,
    sentAt: r.sent_at,
    brandSenderDomains: r.sender_domains,
    brandContactAddresses: r.contact_addresses,
  }));
}
