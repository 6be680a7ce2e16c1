/**
 * Drill 8: a mailbox whose password the server refuses. Over two minutes, with the shortest
 * poll interval the API allows (5 s), Dovecot logs a handful of login attempts, not one per
 * poll, and not one per `POST /sync` either: the retry delay grows, and a sync asked through
 * the API waits for the next allowed attempt like the scheduled ones. The mailbox is shown
 * failing all along.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Drill, apiOf, startSonde, type DrillApi } from '../support/drill-harness.ts';
import { startDrillServers } from '../support/drill-setup.ts';
import { type DrillDovecot } from '../support/drill-servers.ts';
import { createMailbox } from '../support/drill-world.ts';

const drill = new Drill('refused-login');
let dovecot: DrillDovecot;
let api: DrillApi;

beforeAll(async () => {
  const servers = await startDrillServers(drill);
  dovecot = servers.dovecot;
  const { logDir, settings } = servers;
  const service = await startSonde(drill, settings, 'api,worker,scheduler', logDir);
  api = apiOf(service, settings);
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

/** Failed logins of `user` in Dovecot's log: "Disconnected (auth failed, N attempts in S secs): user=<…>". */
async function refusedLogins(user: string): Promise<number> {
  let attempts = 0;
  for (const line of (await dovecot.log()).split('\n')) {
    if (!line.includes(`user=<${user}>`)) continue;
    const match = /auth failed, (\d+) attempts?/.exec(line);
    if (match) attempts += Number(match[1]);
  }
  return attempts;
}

describe('drill 8: a refused login', () => {
  it('is retried a handful of times over two minutes, POST /sync included, and shown failing', async () => {
    const windowMs = 120_000;
    const user = await dovecot.createUser('refused');
    const mailbox = await createMailbox(api, dovecot, { ...user, password: `${user.password}-wrong` }, { pollIntervalSeconds: 5 });
    const startedAt = Date.now();
    const seen: number[] = [];
    let asked = 0;
    while (Date.now() - startedAt < windowMs) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      seen.push(await refusedLogins(user.user));
      // an impatient auditor presses "sync now" every 10 s through the second minute
      if (Date.now() - startedAt > windowMs / 2 && seen.length % 2 === 0) {
        const { status } = await api.request('POST', `/v1/mailboxes/${mailbox.id}/sync`);
        expect(status).toBeLessThan(500);
        asked++;
      }
    }
    const attempts = await refusedLogins(user.user);
    const state = (await api.get<{ syncState: { lastError: string | null; consecutiveFailures: number } }>(`/v1/mailboxes/${mailbox.id}`)).syncState;
    expect(state.lastError).toMatch(/login refused/);
    expect(state.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeGreaterThanOrEqual(2);
    // 24 polls and 6 requests in the window; a growing delay from 5 s leaves room for about five attempts
    expect(attempts).toBeLessThanOrEqual(8);
    drill.report({ drill: 8, windowS: windowMs / 1000, pollIntervalS: 5, syncRequests: asked, loginAttempts: attempts, timeline: seen.join('/'), failures: state.consecutiveFailures });
  }, 300_000);
});
