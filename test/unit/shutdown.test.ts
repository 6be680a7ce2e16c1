import { describe, expect, it } from 'vitest';
import { Shutdown } from '../../src/shutdown.ts';

describe('Shutdown', () => {
  it('is idle only once every critical section has ended, failed ones included', async () => {
    const shutdown = new Shutdown();
    await shutdown.idle();
    let endFirst!: () => void;
    let failSecond!: (err: Error) => void;
    const first = shutdown.section('sending <a@x>', () => new Promise<void>((resolve) => (endFirst = resolve)));
    const second = shutdown.section('sending <b@x>', () => new Promise<void>((_, reject) => (failSecond = reject)));
    expect(shutdown.critical).toEqual(['sending <a@x>', 'sending <b@x>']);
    let idle = false;
    const waiting = shutdown.idle().then(() => (idle = true));
    endFirst();
    await first;
    expect(idle).toBe(false);
    expect(shutdown.critical).toEqual(['sending <b@x>']);
    failSecond(new Error('refused'));
    await expect(second).rejects.toThrow('refused');
    await waiting;
    expect(idle).toBe(true);
    expect(shutdown.critical).toEqual([]);
  });
});
