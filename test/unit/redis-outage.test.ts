import { describe, expect, it } from 'vitest';
import { RedisOutageLog, isRedisConnectionError } from '../../src/queue/redis-outage.ts';

describe('RedisOutageLog', () => {
  it('logs an outage once when it starts and once when it ends, whatever the number of retries', () => {
    const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
    const outage = new RedisOutageLog(
      { warn: (obj: object, msg?: string) => void lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg: msg! }), info: (obj: object, msg?: string) => void lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg: msg! }) } as never,
      'enqueuer',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
    outage.back();
    for (let i = 0; i < 20; i++) outage.failed(refused);
    expect(outage.down).toBe(true);
    outage.back();
    outage.back();
    outage.failed(refused);
    expect(lines.map((l) => `${l.level} ${l.obj.redis}`)).toEqual(['warn enqueuer', 'info enqueuer', 'warn enqueuer']);
    expect(lines[0]!.obj.err).toEqual({ message: refused.message, code: 'ECONNREFUSED' });
    expect(lines[1]!.obj.downMs).toEqual(expect.any(Number));
  });

  it('tells a lost connection from a fault of a job', () => {
    expect(isRedisConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRedisConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisConnectionError(new Error('Missing lock for job 12. moveToFinished'))).toBe(false);
  });
});
