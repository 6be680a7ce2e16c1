/** Replies: messages matched to a probe, with their own figures. A reply shares its id with its message. */
import type { MessageKind } from './messages.repo.ts';
import type { Queryable } from './pool.ts';

export interface ReplyFigures {
  id: string;
  kind: MessageKind;
  delayHours: number | null;
  businessDelayHours: number | null;
  late: boolean;
}

/** Creates the reply of a matched message, or moves it to another probe. */
export async function upsertReply(db: Queryable, reply: { id: string; probeId: string; kind: MessageKind; receivedAt: Date }): Promise<void> {
  await db.query(
    `insert into replies (id, probe_id, kind, received_at) values ($1, $2, $3, $4)
     on conflict (id) do update set probe_id = excluded.probe_id, kind = excluded.kind, updated_at = now()`,
    [reply.id, reply.probeId, reply.kind, reply.receivedAt],
  );
}

export async function deleteReply(db: Queryable, id: string): Promise<void> {
  await db.query('delete from replies where id = $1', [id]);
}

/** The thread of a probe as the outcome needs it: the classifier's kind of each message, by arrival. */
export async function listProbeThread(db: Queryable, probeId: string): Promise<Array<{ id: string; kind: MessageKind; receivedAt: Date }>> {
  const { rows } = await db.query<{ id: string; kind: MessageKind; received_at: Date }>(
    `select m.id, m.kind, m.received_at from replies r join messages m on m.id = r.id
      where r.probe_id = $1 order by m.received_at, m.id`,
    [probeId],
  );
  return rows.map((r) => ({ id: r.id, kind: r.kind, receivedAt: r.received_at }));
}

export async function saveReplyFigures(db: Queryable, figures: ReplyFigures[]): Promise<void> {
  if (figures.length === 0) return;
  await db.query(
    `update replies r set kind = f.kind, delay_hours = f.delay_hours, business_delay_hours = f.business_delay_hours,
            late = f.late, updated_at = now()
       from json_to_recordset($1::json) as f(id uuid, kind text, delay_hours double precision,
                                             business_delay_hours double precision, late boolean)
      where r.id = f.id
        and (r.kind, r.delay_hours, r.business_delay_hours, r.late)
            is distinct from (f.kind, f.delay_hours, f.business_delay_hours, f.late)`,
    [
      JSON.stringify(
        figures.map((f) => ({ id: f.id, kind: f.kind, delay_hours: f.delayHours, business_delay_hours: f.businessDelayHours, late: f.late })),
      ),
    ],
  );
}
