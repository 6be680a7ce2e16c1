/**
 * Drill 2: the worker is SIGKILLed between the SMTP server's acceptance of a probe and the
 * recording of it. The SMTP peer holds its reply to DATA (a slow server): the message is in
 * its hands when the worker dies. After a restart the probe is sent exactly once (the peer
 * counts) and reconciled as `sent`: the README's "sent at most once".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Drill, apiOf, startSonde, waitFor, type DrillApi, type DrillDatabase, type ServiceSettings, type SondeProcess } from '../support/drill-harness.ts';
import { startDrillServers } from '../support/drill-setup.ts';
import { type DrillDovecot } from '../support/drill-servers.ts';
import { type SmtpPeer } from '../support/drill-smtp.ts';
import { createBrands, createCampaign, createMailbox, createScenario } from '../support/drill-world.ts';

const drill = new Drill('send-crash');
let dovecot: DrillDovecot;
let peer: SmtpPeer;
let db: DrillDatabase;
let settings: ServiceSettings;
let logDir: string;
let worker: SondeProcess;
let api: DrillApi;

beforeAll(async () => {
  ({ logDir, dovecot, peer, db, settings } = await startDrillServers(drill, {}, { smtp: true }));
  const front = await startSonde(drill, settings, 'api,scheduler', logDir);
  worker = await startSonde(drill, settings, 'worker', logDir);
  api = apiOf(front, settings);
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

describe('drill 2: SIGKILL between the SMTP acceptance of a probe and its record', () => {
  it('sends the probe exactly once and reconciles it as sent', async () => {
    const user = await dovecot.createUser('sender');
    const mailbox = await createMailbox(api, dovecot, user, { smtp: peer, pollIntervalSeconds: 30 });
    const brands = await createBrands(api, 1);
    const scenarioId = await createScenario(api);
    const campaignId = await createCampaign(api, { brands, mailboxIds: [mailbox.id], scenarioIds: [scenarioId], probesPerBrand: 1, periodMs: 20_000 });
    peer.holdNext();
    await api.post(`/v1/campaigns/${campaignId}/schedule`);

    const held = await peer.held();
    await worker.kill('SIGKILL');
    const killedAt = Date.now();
    const [probe] = await db.query<{ id: string; status: string; internet_message_id: string }>('select id, status, internet_message_id from probes where campaign_id = $1', [campaignId]);
    expect(probe!.status).toBe('sending');
    expect(held.messageId).toBe(probe!.internet_message_id.toLowerCase());
    peer.release();

    worker = await startSonde(drill, settings, 'worker', logDir);
    const reconciled = await waitFor(
      'the probe reconciled',
      async () => {
        const [row] = await db.query<{ status: string; sent_at: Date | null }>('select status, sent_at from probes where id = $1', [probe!.id]);
        return row?.status === 'sent' ? row : null;
      },
      240_000,
      500,
    );
    const recoverS = (Date.now() - killedAt) / 1000;
    // a retry that sends again would have reached the peer by now; give it the time a retry takes
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const sends = peer.count(held.messageId);
    expect(sends).toBe(1);
    expect(reconciled.sent_at).not.toBeNull();
    const shown = await api.get<{ status: string; sentAt: string }>(`/v1/probes/${probe!.id}`);
    expect(shown.status).toBe('sent');
    drill.report({ drill: 2, probes: 1, faults: 1, sends, lost: 0, doubled: sends - 1, recoverS });
  }, 420_000);
});
