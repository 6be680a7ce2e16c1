/**
 * Where flows report what happened (a first answer, a failing mailbox…) for the
 * webhooks. A sink only enqueues; `emitEvents` makes sure that reporting never slows
 * nor breaks the flow that reports: a failure to enqueue is logged, never thrown.
 */
import type { WebhookEvent } from '../audit/webhook-payload.ts';
import type { Logger } from '../logger.ts';

export interface EventSink {
  /** Queues the events for delivery; may reject (Redis down): callers use `emitEvents`. */
  enqueue(events: WebhookEvent[]): Promise<void>;
}

const ENQUEUE_TIMEOUT_MS = 2_000;

/** Only a warning is ever logged: a Fastify request's logger does as well as the worker's. */
export type WarnLogger = Pick<Logger, 'warn'>;

export async function emitEvents(sink: EventSink | undefined, events: WebhookEvent[], logger: WarnLogger): Promise<void> {
  if (!sink || events.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    // a worker's Redis connection waits for Redis forever: bound the wait here
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the queue within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
    });
    await Promise.race([sink.enqueue(events), timeout]);
  } catch (err) {
    logger.warn({ err: { message: (err as Error).message }, events: events.map((e) => ({ id: e.id, type: e.type })) }, 'could not queue webhook events');
  } finally {
    clearTimeout(timer);
  }
}
