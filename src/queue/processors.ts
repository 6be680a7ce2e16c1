/** Which processor handles which queue: the one place a new job kind is wired in. */
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { PreparePool } from '../flow/prepare-pool.ts';
import { MailboxSync } from '../flow/sync-mailbox.ts';
import { ImapConnectionCache } from '../mail/imap-client.ts';
import type { SecretBox } from '../secrets.ts';
import { analyseReplyProcessor, enqueueAnalyses } from './analyse-reply.job.ts';
import { pollMailboxProcessor } from './poll-mailbox.job.ts';
import { requestSync, type Queues } from './queues.ts';
import type { Processors } from './worker.ts';
import { campaignProcessor } from './campaign.job.ts';
import type { Timing } from '../clock.ts';
import { sendProbeProcessor } from './send-probe.job.ts';
import { sendReminderProcessor } from './send-reminder.job.ts';
import { queueEventSink, webhooksProcessor } from './webhooks.job.ts';
import { PROCESS_TOKENS } from '../flow/mailbox-logins.ts';
import { IdleWatcher } from '../flow/idle-watch.ts';
import { redisWatchLeases } from './idle-leases.ts';

export interface ProcessorDeps {
  pool: Pool;
  /** The send locks' connections (one per send job at once), apart from `pool`'s short work; `pool` when absent. */
  lockPool?: Pool | undefined;
  redis: Redis;
  queues: Queues;
  secretBox: SecretBox;
  logger: Logger;
  config: Config;
  /** Whether the service is stopping: a running sync ends after its current batch. Never, when absent. */
  stopRequested?: () => boolean;
  /** The clock and hour length of sending and reminders; real time when absent (`sonde demo` shortens hours). */
  timing?: Timing;
}

export interface BuiltProcessors {
  processors: Processors;
  /** The IDLE watches of this worker; null with SONDE_IMAP_IDLE=false. */
  idleWatcher: IdleWatcher | null;
  /** Releases what the processors hold between jobs (IMAP connections, the IDLE watches). */
  close(): Promise<void>;
}

export function buildProcessors(deps: ProcessorDeps): BuiltProcessors {
  const connections = new ImapConnectionCache(5 * 60_000, deps.logger);
  const preparer = new PreparePool(deps.logger);
  // OAuth2 access tokens, shared by the sync and the sending of this process
  const tokens = PROCESS_TOKENS;
  const events = queueEventSink(deps.queues.webhooks);
  // new mail wakes the poll job through the queue; SONDE_IMAP_IDLE=false leaves polling alone
  const watcher = deps.config.imapIdle
    ? new IdleWatcher({
        pool: deps.pool,
        secretBox: deps.secretBox,
        leases: redisWatchLeases(deps.redis, deps.config.queuePrefix),
        requestSync: (mailboxId) => requestSync(deps.queues, mailboxId, 'idle'),
        tokens,
        logger: deps.logger,
      }).start()
    : null;
  return {
    idleWatcher: watcher,
    processors: {
      'poll-mailbox': pollMailboxProcessor({
        redis: deps.redis,
        lockPrefix: deps.config.queuePrefix,
        logger: deps.logger,
        stopRequested: deps.stopRequested,
        sync: new MailboxSync({
          pool: deps.pool,
          secretBox: deps.secretBox,
          connections,
          maxMessageBytes: deps.config.maxMessageBytes,
          preparer,
          onReplies: (replyIds) => enqueueAnalyses(deps.queues, replyIds),
          tokens,
          events,
          logger: deps.logger,
        }),
      }),
      'analyse-reply': analyseReplyProcessor(deps.pool, { dkim: { timeoutMs: deps.config.dkimTimeoutMs } }),
      'send-probe': sendProbeProcessor(deps, deps.timing),
      'send-reminder': sendReminderProcessor(deps, deps.timing),
      campaigns: campaignProcessor(deps),
      webhooks: webhooksProcessor({
        db: deps.pool,
        secretBox: deps.secretBox,
        timeoutMs: deps.config.webhookTimeoutMs,
        retryBaseMs: deps.config.webhookRetryBaseMs,
        queue: deps.queues.webhooks,
        logger: deps.logger,
      }),
    },
    close: async () => {
      await watcher?.close();
      await connections.close();
      await preparer.close();
    },
  };
}
