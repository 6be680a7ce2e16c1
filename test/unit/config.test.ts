import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('has defaults that work on a developer machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/sonde',
      redisUrl: 'redis://127.0.0.1:6379',
      port: 3000,
      host: '127.0.0.1',
      roles: ['api', 'worker', 'scheduler'],
      adminKey: null,
      pollIntervalSeconds: 60,
      maxMessageBytes: 25 * 1024 * 1024,
      logLevel: 'info',
    });
  });

  it('reads and converts the environment', () => {
    const config = loadConfig({ PORT: '8080', SONDE_ROLE: 'worker', SONDE_MAX_MESSAGE_MB: '1.5', LOG_LEVEL: 'debug' });
    expect(config.port).toBe(8080);
    expect(config.roles).toEqual(['worker']);
    expect(config.maxMessageBytes).toBe(Math.round(1.5 * 1024 * 1024));
    expect(config.logLevel).toBe('debug');
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', SONDE_ROLE: 'api,mailer', REDIS_URL: 'localhost:6379' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('SONDE_ROLE');
    expect(message).toContain('REDIS_URL');
  });
});

describe('the PostgreSQL pools per role', () => {
  it('are sized from the worker concurrency by default, and each can be set', () => {
    expect(loadConfig({}).dbPools).toEqual({ api: 10, worker: 18, sendLocks: 8, scheduler: 2 });
    expect(loadConfig({}).dbAcquireTimeoutMs).toBe(5000);
    expect(loadConfig({}).shutdownTimeoutMs).toBe(30_000);
    const set = loadConfig({ SONDE_WORKER_CONCURRENCY: '2', SONDE_DB_POOL_API: '4', SONDE_DB_POOL_WORKER: '7', SONDE_DB_ACQUIRE_TIMEOUT_MS: '800', SONDE_SHUTDOWN_TIMEOUT_SECONDS: '2.5' });
    expect(set.dbPools).toEqual({ api: 4, worker: 7, sendLocks: 4, scheduler: 2 });
    expect(set.dbAcquireTimeoutMs).toBe(800);
    expect(set.shutdownTimeoutMs).toBe(2500);
    expect(loadConfig({ SONDE_WORKER_CONCURRENCY: '3' }).dbPools.worker).toBe(14);
  });
});
