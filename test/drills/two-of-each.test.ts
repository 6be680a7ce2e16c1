/**
 * Drill 7: two worker processes and two scheduler processes (and one API) on the same
 * database and Redis, as the README's "Scaling out" runs them. Two mailboxes of 1,000
 * messages each are polled every 5 s while a campaign sends a probe to each of six brands,
 * three of which answer; the three silent ones get their reminder. Each mailbox is synced by
 * one worker at a time (nothing doubled), each probe and each reminder goes out once, and no
 * reminder reaches a brand that answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailUser } from '../../src/devtools/dovecot.ts';
import { appendMessage, appendMessages } from '../support/imap.ts';
import { Drill, apiOf, startSonde, waitFor, type DrillApi, type DrillDatabase, type SondeProcess } from '../support/drill-harness.ts';
import { startDrillServers } from '../support/drill-setup.ts';
import { type DrillDovecot } from '../support/drill-servers.ts';
import { type SmtpPeer } from '../support/drill-smtp.ts';
import { brandMail, createBrands, createCampaign, createMailbox, createScenario, storedCounts, type DrillMailbox } from '../support/drill-world.ts';
import { rawMail } from '../support/mail-factory.ts';

const drill = new Drill('two-of-each');
let dovecot: DrillDovecot;
let peer: SmtpPeer;
let db: DrillDatabase;
let api: DrillApi;
let workers: SondeProcess[];

beforeAll(async () => {
  const servers = await startDrillServers(drill, {}, { smtp: true });
  ({ dovecot, peer, db } = servers);
  const { logDir, settings } = servers;
  // the first process migrates; the others start on a migrated database
  const front = await startSonde(drill, settings, 'api', logDir);
  api = apiOf(front, settings);
  const started = await Promise.all([
    startSonde(drill, settings, 'worker', logDir),
    startSonde(drill, settings, 'worker', logDir),
    startSonde(drill, settings, 'scheduler', logDir),
    startSonde(drill, settings, 'scheduler', logDir),
  ]);
  workers = started.slice(0, 2);
}, 240_000);

afterAll(() => drill.cleanup(), 60_000);

describe('drill 7: two workers and two schedulers', () => {
  it('syncs each mailbox one worker at a time and sends each probe and reminder once', async () => {
    const users: MailUser[] = [];
    const mailboxes: DrillMailbox[] = [];
    for (let i = 0; i < 2; i++) {
      const user = await dovecot.createUser(`pair${i}`);
      const mailbox = await createMailbox(api, dovecot, user, { smtp: peer, pollIntervalSeconds: 5, enabled: false });
      await appendMessages(dovecot, user, 'INBOX', brandMail(mailbox, [], 1000, new Date(Date.now() - 24 * 3_600_000)));
      users.push(user);
      mailboxes.push(mailbox);
    }
    const brands = await createBrands(api, 6);
    const answering = new Set(brands.slice(0, 3).map((b) => b.contact));
    // a brand that answers does so at once, in the thread, into the mailbox the probe came from
    peer.onMessage = async (message) => {
      if (message.inReplyTo || !answering.has(message.to[0]!)) return;
      const user = users.find((u) => u.address === message.from.toLowerCase());
      if (!user) return;
      const domain = message.to[0]!.split('@')[1]!;
      const raw = rawMail({ from: `Julie Martin <julie@${domain}>`, to: user.address, subject: `Re: ${message.subject}`, text: 'Bonjour Madame Dupont,\n\nVotre colis part demain.\n\nJulie Martin', inReplyTo: message.messageId, references: [message.messageId] });
      await appendMessage(dovecot, user, 'INBOX', raw, new Date());
    };
    const scenarioId = await createScenario(api);
    const campaignId = await createCampaign(api, {
      brands,
      mailboxIds: mailboxes.map((m) => m.id),
      scenarioIds: [scenarioId],
      probesPerBrand: 1,
      periodMs: 30_000,
      reminderAfterHours: 0.015,
      reminderMax: 1,
    });
    for (const mailbox of mailboxes) await api.patch(`/v1/mailboxes/${mailbox.id}`, { enabled: true });
    await api.post(`/v1/campaigns/${campaignId}/schedule`);
    const startedAt = Date.now();
    const stored = async () => (await storedCounts(db, mailboxes[0]!.id)).rows + (await storedCounts(db, mailboxes[1]!.id)).rows;

    await waitFor(
      'every probe sent, every silent brand reminded, every answer stored',
      async () => {
        const sent = await db.count(`select count(*) from probes where campaign_id = $1 and status = 'sent'`, [campaignId]);
        const reminded = await db.count(`select count(*) from reminders r join probes p on p.id = r.probe_id where p.campaign_id = $1 and r.status = 'sent'`, [campaignId]);
        const answered = await db.count(`select count(*) from outcomes where campaign_id = $1 and answered_at is not null`, [campaignId]);
        if (sent === 6 && reminded === 3 && answered === 3) return true;
        // thrown, not returned: a timeout then says how far it got
        throw new Error(`sent=${sent}/6 reminded=${reminded}/3 answered=${answered}/3 stored=${await stored()}/2003`);
      },
      240_000,
      1000,
    );
    // 1,000 messages in each, and the three answers wherever their probes came from
    await waitFor('both mailboxes synced', async () => (await stored()) >= 2003, 120_000, 500);
    const doneS = (Date.now() - startedAt) / 1000;
    // a little longer: a second sender or a late reminder would show now
    await new Promise((resolve) => setTimeout(resolve, 20_000));

    const ids = await db.query<{ internet_message_id: string; contact: string; kind: string }>(
      `select p.internet_message_id, p.recipient as contact, 'probe' as kind from probes p where p.campaign_id = $1
       union all
       select r.internet_message_id, p.recipient, 'reminder' from reminders r join probes p on p.id = r.probe_id where p.campaign_id = $1 and r.status = 'sent'`,
      [campaignId],
    );
    const sends = ids.map((r) => peer.count(r.internet_message_id));
    expect(sends).toEqual(Array(9).fill(1));
    expect(peer.received).toHaveLength(9);
    const remindedContacts = ids.filter((r) => r.kind === 'reminder').map((r) => r.contact);
    expect(remindedContacts.filter((c) => answering.has(c))).toEqual([]);
    let doubled = 0;
    for (const mailbox of mailboxes) {
      const counts = await storedCounts(db, mailbox.id);
      doubled += counts.rows - counts.distinct;
      expect(counts.rows).toBe(counts.distinct);
    }
    // both workers took part
    const polls = workers.map((w) => w.logs().filter((l) => l.msg === 'mailbox synced' || l.msg === 'send-probe job done' || l.msg === 'reminder job done').length);
    expect(polls.every((n) => n > 0)).toBe(true);
    expect(workers.every((w) => !w.exited)).toBe(true);
    drill.report({ drill: 7, workers: 2, schedulers: 2, messages: 2002, probes: 6, reminders: 3, jobsPerWorker: polls.join('/'), lost: sends.filter((n) => n === 0).length, doubled: doubled + sends.filter((n) => n > 1).length, doneS });
  }, 600_000);
});
