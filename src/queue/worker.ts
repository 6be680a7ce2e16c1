/**
 * The worker role: one BullMQ worker per queue that has a processor. Several worker
 * processes on several machines share the queues; that is how the service scales out.
 */
import { Worker, type ConnectionOptions, type Processor } from 'bullmq';
import type { Logger } from '../logger.ts';
import type { QueueName } from './queues.ts';
import { isRedisConnectionError, outageOf } from './redis-outage.ts';

export type Processors = Partial<Record<QueueName, Processor>>;

export interface Workers {
  /** Stops fetching on every queue at once, then waits for the running jobs. */
  close(): Promise<void>;
  /** The jobs running now, as `queue/jobId`: what a stop waits for. */
  running(): string[];
}

export function startWorkers(deps: {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  processors: Processors;
  logger: Logger;
}): Workers {
  const log = deps.logger.child({ role: 'worker' });
  const outage = outageOf(deps.connection);
  const active = new Set<string>();
  const workers = Object.entries(deps.processors).map(([name, processor]) => {
    const tracked: Processor = async (job, token, signal) => {
      const key = `${name}/${job.id}`;
      active.add(key);
      try {
        return await processor(job, token, signal);
      } finally {
        active.delete(key);
      }
    };
    const worker = new Worker(name, tracked, { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency });
    worker.on('failed', (job, err) => log.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err }, 'job failed'));
    // a Redis outage is logged once by the connection's outage log, not at every retry of every worker
    worker.on('error', (err) => (outage && isRedisConnectionError(err) ? outage.failed(err) : log.error({ queue: name, err }, 'worker error')));
    return worker;
  });
  log.info({ queues: Object.keys(deps.processors) }, 'workers started');
  return {
    async close() {
      // every worker stops fetching now (close() stops its loop at once), then each waits for its jobs
      await Promise.all(workers.map((w) => w.close()));
    },
    running: () => [...active],
  };
}
