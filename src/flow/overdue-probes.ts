/**
 * The `probe.overdue` scan, run by the scheduler at each refresh: claims the probes that
 * passed a norm without an answer and queues their events in the same transaction, so
 * a queue outage leaves them for the next scan instead of losing them.
 */
import { probeOverdueEvent } from '../audit/webhook-events.ts';
import { claimOverdueProbes } from '../db/overdue-alerts.repo.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import type { EventSink } from './events.ts';

/** Claims at most this many per scan; the next scan takes the rest. */
const BATCH = 500;

export async function reportOverdueProbes(deps: { pool: Pool; events: EventSink; now?: () => Date }): Promise<number> {
  const now = (deps.now ?? (() => new Date()))();
  return withTransaction(deps.pool, async (tx) => {
    const overdue = await claimOverdueProbes(tx, now, BATCH);
    if (overdue.length > 0) await deps.events.enqueue(overdue.map((p) => probeOverdueEvent(p, p.normHours, now)));
    return overdue.length;
  });
}
