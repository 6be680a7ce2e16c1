/**
 * The worker role: one BullMQ worker per queue that has a processor. Several worker
 * processes on several machines share the queues; that is how the service scales out.
 */
import { Worker, type ConnectionOptions, type Processor } from 'bullmq';
import type { Logger } from '../logger.ts';
import type { QueueName } from './queues.ts';

export type Processors = Partial<Record<QueueName, Processor>>;

export interface Workers {
  close(): Promise<void>;
}

export function startWorkers(deps: {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  processors: Processors;
  logger: Logger;
}): Workers {
  const log = deps.logger.child({ role: 'worker' });
  const workers = Object.entries(deps.processors).map(([name, processor]) => {
    const worker = new Worker(name, processor, { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency });
    worker.on('failed', (job, err) => log.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err }, 'job failed'));
    worker.on('error', (err) => log.error({ queue: name, err }, 'worker error'));
    return worker;
  });
  log.info({ queues: Object.keys(deps.processors) }, 'workers started');
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
