/** The scheduler role keeps one poll schedule per enabled mailbox, at the mailbox's own interval. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { jobIds } from '../../src/queue/queues.ts';
import { startScheduler, type Scheduler } from '../../src/queue/scheduler.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createTestQueues, type TestQueues } from '../support/queues.ts';

let t: TestContext;
let q: TestQueues;
let scheduler: Scheduler;

beforeAll(async () => {
  t = await createTestContext();
  q = createTestQueues();
  scheduler = startScheduler({ pool: t.db.pool, queues: q.queues, logger: createLogger('silent'), refreshMs: 60_000 });
});

afterAll(async () => {
  await scheduler?.close();
  await q?.close();
  await t?.close();
});

async function mailbox(address: string, pollIntervalSeconds: number): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: t.auth(),
    payload: {
      label: address,
      address,
      pollIntervalSeconds,
      persona: { firstName: 'Marie', lastName: 'Dupont' },
      imap: { host: 'imap.example.test', port: 993, secure: true, user: address, password: 'secret-password' },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

const schedules = async () =>
  Object.fromEntries((await q.queues['poll-mailbox'].getJobSchedulers(0, -1)).map((s) => [s.key, Number(s.every)]));

describe('scheduler', () => {
  it('schedules each enabled mailbox at its interval, follows changes, and drops disabled or deleted ones', async () => {
    const fast = await mailbox('rapide@example.test', 15);
    const slow = await mailbox('lente@example.test', 300);
    await scheduler.refresh();
    expect(await schedules()).toEqual({ [jobIds.pollSchedule(fast)]: 15_000, [jobIds.pollSchedule(slow)]: 300_000 });

    await t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${fast}`, headers: t.auth(), payload: { pollIntervalSeconds: 30 } });
    await t.app.inject({ method: 'PATCH', url: `/v1/mailboxes/${slow}`, headers: t.auth(), payload: { enabled: false } });
    await scheduler.refresh();
    expect(await schedules()).toEqual({ [jobIds.pollSchedule(fast)]: 30_000 });

    await t.app.inject({ method: 'DELETE', url: `/v1/mailboxes/${fast}`, headers: t.auth() });
    await scheduler.refresh();
    expect(await schedules()).toEqual({});
  });
});
