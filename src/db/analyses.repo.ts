/** Stored analyses of replies, one per analyser version, and what analysing a reply needs. */
import type { AnalysisContext } from '../audit/analyse.ts';
import type { Queryable } from './pool.ts';

export interface ReplyToAnalyse {
  replyId: string;
  kind: string;
  sourceGz: Buffer | null;
  language: string;
  context: AnalysisContext;
}

export async function findReplyToAnalyse(db: Queryable, replyId: string): Promise<ReplyToAnalyse | null> {
  const { rows } = await db.query<{
    kind: string;
    source_gz: Buffer | null;
    first_name: string;
    last_name: string;
    gender: string | null;
    brand_name: string;
    sender_domains: string[];
    vocabulary: string[];
    charter: { logoHints?: string[]; colors?: string[] };
    subject: string | null;
    body: string | null;
    expected_points: Array<{ label: string; keywords: string[] }> | null;
    scenario_language: string | null;
  }>(
    `select r.kind, m.source_gz, pe.first_name, pe.last_name, pe.gender,
            b.name as brand_name, b.sender_domains, b.vocabulary, b.charter,
            p.subject, p.body, s.expected_points, s.language as scenario_language
       from replies r
       join messages m on m.id = r.id
       join probes p on p.id = r.probe_id
       join brands b on b.id = p.brand_id
       join mailboxes mb on mb.id = p.mailbox_id
       join personas pe on pe.id = mb.persona_id
       left join scenarios s on s.id = p.scenario_id
      where r.id = $1`,
    [replyId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    replyId,
    kind: r.kind,
    sourceGz: r.source_gz,
    language: r.scenario_language ?? 'fr',
    context: {
      persona: { firstName: r.first_name, lastName: r.last_name, gender: r.gender },
      brand: {
        name: r.brand_name,
        senderDomains: r.sender_domains,
        vocabulary: r.vocabulary,
        charter: { logoHints: r.charter.logoHints ?? [], colors: r.charter.colors ?? [] },
      },
      scenario: { subject: r.subject ?? '', body: r.body ?? '', expectedPoints: r.expected_points ?? [] },
    },
  };
}

export async function saveAnalysis(db: Queryable, replyId: string, version: string, result: unknown): Promise<void> {
  await db.query(
    `insert into analyses (reply_id, analyser_version, result) values ($1, $2, $3)
     on conflict (reply_id, analyser_version) do update set result = excluded.result, created_at = now()`,
    [replyId, version, JSON.stringify(result)],
  );
}

/** Answers not yet analysed by this analyser version: new ones, or all of them after an upgrade. */
export async function listRepliesToAnalyse(db: Queryable, version: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select r.id from replies r
      where r.kind in ('answer', 'follow_up')
        and not exists (select 1 from analyses a where a.reply_id = r.id and a.analyser_version = $1)
      order by r.received_at limit $2`,
    [version, limit],
  );
  return rows.map((r) => r.id);
}

/**
 * Canned-answer fingerprints of the brand's other answers analysed by this version:
 * what a reply is compared with to tell a canned answer (the same text to different probes).
 */
export async function listBrandFingerprints(db: Queryable, replyId: string, version: string, limit = 1000): Promise<Array<{ replyId: string; fingerprint: string }>> {
  const { rows } = await db.query<{ reply_id: string; fingerprint: string }>(
    `select a.reply_id, a.result->>'cannedFingerprint' as fingerprint
       from replies me
       join probes mp on mp.id = me.probe_id
       join probes p on p.brand_id = mp.brand_id and p.id <> me.probe_id
       join replies r on r.probe_id = p.id
       join analyses a on a.reply_id = r.id and a.analyser_version = $2
      where me.id = $1 and a.result ? 'cannedFingerprint'
      order by a.created_at desc limit $3`,
    [replyId, version, limit],
  );
  return rows.map((r) => ({ replyId: r.reply_id, fingerprint: r.fingerprint }));
}
