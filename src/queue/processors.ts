/** Which processor handles which queue: the one place a new job kind is wired in. */
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../secrets.ts';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Queues } from './queues.ts';
import type { Processors } from './worker.ts';

export interface ProcessorDeps {
  pool: Pool;
  redis: Redis;
  queues: Queues;
  secretBox: SecretBox;
  logger: Logger;
  config: Config;
}

export function buildProcessors(_deps: ProcessorDeps): Processors {
  return {};
}
