/** A BullMQ setup of its own for a test file: a unique key prefix, cleaned at the end. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { closeQueues, createQueues, redisConnection, type Queues } from '../../src/queue/queues.ts';

export interface TestQueues {
  prefix: string;
  queues: Queues;
  /** For workers: waits for Redis rather than failing fast. */
  workerRedis: Redis;
  producerRedis: Redis;
  close(): Promise<void>;
}

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function createTestQueues(): TestQueues {
  const prefix = `sonde-test-${randomBytes(5).toString('hex')}`;
  const producerRedis = redisConnection(TEST_REDIS_URL, 'producer');
  const workerRedis = redisConnection(TEST_REDIS_URL, 'worker');
  const queues = createQueues(producerRedis, prefix);
  return {
    prefix,
    queues,
    workerRedis,
    producerRedis,
    async close() {
      await closeQueues(queues);
      // every key of this run, and nothing else
      let cursor = '0';
      do {
        const [next, keys] = await producerRedis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        if (keys.length) await producerRedis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      producerRedis.disconnect();
      workerRedis.disconnect();
    },
  };
}
