/**
 * Reads the dashboard's pages need beyond the API's and the report's: the replies of a page of
 * probes (without their raw sources), and the probes an unmatched message most likely answers.
 */
import type { MessageKind } from './messages.repo.ts';
import type { Queryable } from './pool.ts';

export interface ThreadReply {
  id: string;
  probeId: string;
  kind: MessageKind;
  receivedAt: Date;
  delayHours: number | null;
  late: boolean;
  subject: string | null;
  from: string | null;
}

/** The replies of several probes, in arrival order. */
export async function listProbeReplies(db: Queryable, probeIds: readonly string[]): Promise<ThreadReply[]> {
  if (probeIds.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    probe_id: string;
    kind: MessageKind;
    received_at: Date;
    delay_hours: number | null;
    late: boolean;
    subject: string | null;
    from_address: string | null;
  }>(
    `select r.id, r.probe_id, r.kind, r.received_at, r.delay_hours, r.late, m.subject, m.from_address
       from replies r join messages m on m.id = r.id
      where r.probe_id = any ($1::uuid[])
      order by r.received_at, r.id`,
    [probeIds],
  );
  return rows.map((r) => ({
    id: r.id,
    probeId: r.probe_id,
    kind: r.kind,
    receivedAt: r.received_at,
    delayHours: r.delay_hours,
    late: r.late,
    subject: r.subject,
    from: r.from_address,
  }));
}

export interface LikelyProbe {
  messageId: string;
  probeId: string;
  brandName: string;
  campaignName: string;
  subject: string | null;
  sentAt: Date;
  /** The sender's domain is one the brand answers from. */
  domainMatch: boolean;
}

/**
 * For each unmatched message, the probes of its mailbox that it may answer, most likely
 * first: those whose brand answers from the sender's domain, then the latest sent before the
 * message arrived (five minutes of clock skew allowed).
 */
export async function listLikelyProbes(db: Queryable, messageIds: readonly string[], perMessage = 3): Promise<LikelyProbe[]> {
  if (messageIds.length === 0) return [];
  const { rows } = await db.query<{
    message_id: string;
    probe_id: string;
    brand_name: string;
    campaign_name: string;
    subject: string | null;
    sent_at: Date;
    domain_match: boolean;
  }>(
    `select m.id as message_id, c.probe_id, c.brand_name, c.campaign_name, c.subject, c.sent_at, c.domain_match
       from messages m
       cross join lateral (
         select p.id as probe_id, b.name as brand_name, ca.name as campaign_name, p.subject, p.sent_at,
                exists (select 1 from unnest(b.sender_domains) d
                         where lower(split_part(m.from_address, '@', 2)) = lower(d)
                            or lower(split_part(m.from_address, '@', 2)) like '%.' || lower(d)) as domain_match
           from probes p
           join brands b on b.id = p.brand_id
           join campaigns ca on ca.id = p.campaign_id
          where p.mailbox_id = m.mailbox_id and p.sent_at is not null and p.sent_at <= m.received_at + interval '5 minutes'
          order by domain_match desc, p.sent_at desc
          limit $2
       ) c
      where m.id = any ($1::uuid[])
      order by m.id, c.domain_match desc, c.sent_at desc`,
    [messageIds, perMessage],
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    probeId: r.probe_id,
    brandName: r.brand_name,
    campaignName: r.campaign_name,
    subject: r.subject,
    sentAt: r.sent_at,
    domainMatch: r.domain_match,
  }));
}
