/**
 * Queue names, payloads and job options, in one module because call sites drift
 * apart. Job data carries ids, never secrets or bodies; deterministic job ids make
 * enqueueing idempotent.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.ts';
import { RedisOutageLog, outageOf, watchRedis } from './redis-outage.ts';

export const QUEUE_NAMES = {
  pollMailbox: 'poll-mailbox',
  analyseReply: 'analyse-reply',
  sendProbe: 'send-probe',
  sendReminder: 'send-reminder',
  campaigns: 'campaigns',
  webhooks: 'webhooks',
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export interface PollMailboxJob {
  mailboxId: string;
  /**
   * `schedule` for the periodic poll, `api` for POST /v1/mailboxes/:id/sync, `idle` when the
   * IDLE watch saw new mail or (re)connected, `reminder` when a reminder due waits for the
   * mailbox to be read first.
   */
  trigger: 'schedule' | 'api' | 'idle' | 'reminder';
}
export interface AnalyseReplyJob {
  replyId: string;
}
export interface SendProbeJob {
  probeId: string;
}
export interface SendReminderJob {
  probeId: string;
  seq: number;
}

/**
 * Failed jobs are kept longer than completed ones: they are the only record that
 * something was given up.
 */
export const RETENTION = {
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 10_000 },
} satisfies JobsOptions;

export const JOB_OPTIONS: Record<QueueName, JobsOptions> = {
  'poll-mailbox': { ...RETENTION, attempts: 1 },
  'analyse-reply': { ...RETENTION, attempts: 3, backoff: { type: 'exponential', delay: 5000 } },
  'send-probe': { ...RETENTION, attempts: 8, backoff: { type: 'exponential', delay: 30_000 } },
  'send-reminder': { ...RETENTION, attempts: 8, backoff: { type: 'exponential', delay: 30_000 } },
  campaigns: { ...RETENTION, attempts: 3, backoff: { type: 'exponential', delay: 10_000 } },
  // these attempts cover a failing database; a failing receiver is retried by new delayed jobs (webhooks.job.ts)
  webhooks: { ...RETENTION, attempts: 5, backoff: { type: 'exponential', delay: 5_000 } },
};

/** Deterministic ids (BullMQ forbids `:` in them): asking twice for the same work queues it once. */
export const jobIds = {
  pollMailbox: (mailboxId: string) => `poll-${mailboxId}`,
  pollSchedule: (mailboxId: string) => `poll-schedule-${mailboxId}`,
  analyseReply: (replyId: string, version: string) => `analyse-${replyId}-${version}`,
  sendProbe: (probeId: string) => `send-${probeId}`,
  sendReminder: (probeId: string, seq: number) => `remind-${probeId}-${seq}`,
  webhookEvent: (eventId: string) => `event-${eventId}`,
  webhookDelivery: (webhookId: string, eventId: string, attempt: number) => `deliver-${webhookId}-${eventId}-${attempt}`,
};

/**
 * How each connection meets a Redis outage:
 * - `worker`: BullMQ workers' connections wait for Redis (`maxRetriesPerRequest: null`);
 * - `enqueuer`: what the worker and scheduler roles enqueue through (a sync request, analyses,
 *   webhook events, send and campaign jobs): commands wait in the offline queue and are retried
 *   for about 40 s (40 reconnections), so a short blip delays them instead of failing them;
 * - `producer`: the API's, fails fast so a request never hangs on a Redis outage.
 * With `log`, the connection's errors go to the log, once per outage (`watchRedis`).
 */
export function redisConnection(url: string, role: 'worker' | 'enqueuer' | 'producer', extra: RedisOptions = {}, log?: Logger): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : role === 'enqueuer' ? ENQUEUE_RETRIES : 1,
    enableOfflineQueue: role !== 'producer',
    lazyConnect: false,
    ...extra,
  });
  return log ? watchRedis(client, log, role) : client;
}

/** Reconnections an enqueue waits through (ioredis waits 50 ms more each time, 2 s at most): about 40 s. */
export const ENQUEUE_RETRIES = 40;

export type Queues = Record<QueueName, Queue>;

/**
 * The queues, on `connection`. Their errors (a Redis outage) are logged once per outage, on
 * the connection's outage log when it is a watched client, else through `log`; the outage
 * itself surfaces where a queue is used (a 503, a failed or delayed job).
 */
export function createQueues(connection: ConnectionOptions, prefix: string, log?: Logger): Queues {
  const outage = outageOf(connection) ?? (log ? new RedisOutageLog(log, 'queues') : undefined);
  const make = (name: QueueName) => {
    const queue = new Queue(name, { connection, prefix, defaultJobOptions: JOB_OPTIONS[name] });
    queue.on('error', (err: Error) => outage?.failed(err));
    return queue;
  };
  return {
    'poll-mailbox': make(QUEUE_NAMES.pollMailbox),
    'analyse-reply': make(QUEUE_NAMES.analyseReply),
    'send-probe': make(QUEUE_NAMES.sendProbe),
    'send-reminder': make(QUEUE_NAMES.sendReminder),
    campaigns: make(QUEUE_NAMES.campaigns),
    webhooks: make(QUEUE_NAMES.webhooks),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/**
 * Asks for a poll now. A poll still waiting for that mailbox absorbs the request; one
 * that is running gets exactly one follow-up, so mail that arrived during it is read.
 */
export async function requestSync(queues: Queues, mailboxId: string, trigger: PollMailboxJob['trigger'] = 'api'): Promise<{ jobId: string }> {
  const job = await queues['poll-mailbox'].add('poll', { mailboxId, trigger } satisfies PollMailboxJob, {
    deduplication: { id: jobIds.pollMailbox(mailboxId), keepLastIfActive: true },
  });
  return { jobId: job.id! };
}
