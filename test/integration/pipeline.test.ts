/**
 * The whole flow through real BullMQ workers: a poll asked through the API, replies
 * stored, matched and analysed, a message assigned by hand from the review queue,
 * an auditor's override, and the statistics that come out.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QueueEvents } from 'bullmq';
import { createLogger } from '../../src/logger.ts';
import { loadConfig } from '../../src/config.ts';
import { buildProcessors, type BuiltProcessors } from '../../src/queue/processors.ts';
import { requestSync } from '../../src/queue/queues.ts';
import { enqueueMissingAnalyses } from '../../src/queue/analyse-reply.job.ts';
import { ANALYSER_VERSION } from '../../src/audit/analyse.ts';
import { startWorkers, type Workers } from '../../src/queue/worker.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createMailUser, type MailUser } from '../support/dovecot.ts';
import { appendMessage } from '../support/imap.ts';
import { HOUR, newMessageId, rawMail } from '../support/mail-factory.ts';
import { createTestQueues, type TestQueues } from '../support/queues.ts';

let t: TestContext;
let q: TestQueues;
let built: BuiltProcessors;
let workers: Workers;
let events: { poll: QueueEvents; analyse: QueueEvents };
let user: MailUser;
let mailboxId: string;
let brandId: string;
let campaignId: string;
let scenarioId: string;

const T0 = new Date('2026-03-03T09:00:00Z');

async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: t.auth(), ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() };
}

beforeAll(async () => {
  q = createTestQueues();
  t = await createTestContext({ requestSync: (id) => requestSync(q.queues, id) });
  const config = { ...loadConfig({ SONDE_ALLOW_PRIVATE_HOSTS: 'true' }), queuePrefix: q.prefix };
  built = buildProcessors({ pool: t.db.pool, redis: q.workerRedis, queues: q.queues, secretBox: t.secretBox, logger: createLogger('silent'), config });
  workers = startWorkers({ connection: q.workerRedis, prefix: q.prefix, concurrency: 2, processors: built.processors, logger: createLogger('silent') });
  events = {
    poll: new QueueEvents('poll-mailbox', { connection: q.workerRedis.duplicate(), prefix: q.prefix }),
    analyse: new QueueEvents('analyse-reply', { connection: q.workerRedis.duplicate(), prefix: q.prefix }),
  };
  await Promise.all([events.poll.waitUntilReady(), events.analyse.waitUntilReady()]);

  user = await createMailUser(inject('dovecot'), 'pipeline');
  const sector = await api('POST', '/v1/sectors', { name: 'Énergie' });
  const brand = await api('POST', '/v1/brands', { name: 'Électricité Exemple', sectorId: sector.body.id, senderDomains: ['electricite-exemple.fr'], vocabulary: ['Tempo'] });
  brandId = brand.body.id;
  const scenario = await api('POST', '/v1/scenarios', {
    name: 'Changement de tarif',
    subject: 'Changement de tarif',
    body: 'Bonjour, comment passer au tarif Tempo ? {{persona.firstName}} {{persona.lastName}}',
    expectedPoints: [{ label: 'démarche', keywords: ['espace client', 'formulaire'] }],
  });
  const mailbox = await api('POST', '/v1/mailboxes', {
    label: 'Sophie',
    address: user.address,
    persona: { firstName: 'Sophie', lastName: 'Bernard', gender: 'female' },
    imap: { host: inject('dovecot').host, port: inject('dovecot').port, secure: false, allowPlaintext: true, user: user.user, password: user.password },
  });
  mailboxId = mailbox.body.id;
  scenarioId = scenario.body.id;
  campaignId = (await api('POST', '/v1/campaigns', { name: 'Énergie 2026', brandIds: [brandId], scenarioIds: [scenario.body.id], mailboxIds: [mailboxId] })).body.id;
});

afterAll(async () => {
  await workers?.close();
  await built?.close();
  await events?.poll.close();
  await events?.analyse.close();
  await q?.close();
  await t?.close();
});

async function declareProbe(subject: string, messageId: string | null) {
  const res = await api('POST', '/v1/probes', {
    campaignId,
    brandId,
    mailboxId,
    scenarioId,
    channel: messageId ? 'email' : 'webform',
    subject,
    ...(messageId && { messageId }),
    sentAt: T0.toISOString(),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function syncNow() {
  const { body } = await api('POST', `/v1/mailboxes/${mailboxId}/sync`);
  expect(body.status).toBe('queued');
  const job = await q.queues['poll-mailbox'].getJob(body.jobId);
  return job!.waitUntilFinished(events.poll, 20_000);
}

describe('from a reply in the mailbox to the statistics', () => {
  it('syncs on request, analyses the answer, and serves outcome, reply and stats', async () => {
    const emailProbeId = newMessageId('sonde.test');
    const probe = await declareProbe('Changement de tarif', emailProbeId);
    expect(probe.outcome).toMatchObject({ answeredAt: null, withinNorms: { '4': false, '24': false } });
    const webform = await declareProbe('Formulaire : résiliation', null);
    expect(webform.messageId).toBeNull();

    await appendMessage(inject('dovecot'), user, 'INBOX', rawMail({
      from: 'Paul Lefèvre <paul.lefevre@electricite-exemple.fr>',
      to: user.address,
      subject: 'Re: Changement de tarif',
      inReplyTo: emailProbeId,
      references: [emailProbeId],
      text: 'Bonjour Madame Bernard,\n\nMerci pour votre message. Pour passer au tarif Tempo, connectez-vous à votre espace client puis remplissez le formulaire de changement.\n\nCordialement,\nPaul Lefèvre\nService client',
    }), new Date(T0.getTime() + 2 * HOUR));
    await appendMessage(inject('dovecot'), user, 'INBOX', rawMail({
      from: 'Offres <offres@ailleurs.example>',
      to: user.address,
      subject: 'Votre devis',
      text: 'Suite à votre demande sur notre site, voici la réponse concernant la résiliation de votre contrat : elle prend effet sous 30 jours.',
    }), new Date(T0.getTime() + 5 * HOUR));

    const report = await syncNow();
    expect(report.status).toBe('done');

    // the answer is analysed by the analysis queue
    const detail = await api('GET', `/v1/probes/${probe.id}`);
    expect(detail.body.outcome).toMatchObject({ delayHours: 2, withinNorms: { '4': true, '24': true } });
    const replyId = detail.body.replies[0].id as string;
    const analysisJob = await q.queues['analyse-reply'].getJobs(['waiting', 'active', 'completed', 'delayed']);
    await Promise.all(analysisJob.filter((j) => j.data.replyId === replyId).map((j) => j.waitUntilFinished(events.analyse, 30_000)));
    const reply = await api('GET', `/v1/replies/${replyId}`);
    expect(reply.status).toBe(200);
    expect(reply.body.analysis.result.form.greeting).toMatchObject({ present: true, namesPersona: true });
    expect(reply.body.analysis.result.relevance).toMatchObject({ share: 1, covered: 1, expected: 1 });
    expect(reply.body.score.note).toBeGreaterThan(50);

    // an auditor overrides a criterion; the automatic value stays beside it and the note follows
    const before = reply.body.score.note as number;
    const put = await api('PUT', `/v1/replies/${replyId}/evaluation`, { criteria: { signature: { value: 0, comment: 'signé par un service, pas une personne' } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const signature = put.body.score.criteria.find((c: { id: string }) => c.id === 'signature');
    expect(signature).toMatchObject({ value: 0, override: { comment: 'signé par un service, pas une personne' } });
    expect(signature.automatic).toBeGreaterThan(0);
    expect(put.body.score.note).toBeLessThan(before);
    expect(put.body.evaluation.signature).toMatchObject({ value: 0 });
    const stored = await t.db.pool.query('select score from outcomes where probe_id = $1', [probe.id]);
    expect(stored.rows[0].score).toBeCloseTo(put.body.score.note, 6);

    // the web-form answer came from another domain: it waits in the review queue until assigned
    const queue = await api('GET', `/v1/messages?matched=false&mailboxId=${mailboxId}`);
    expect(queue.body.items.map((m: { subject: string }) => m.subject)).toEqual(['Votre devis']);
    const assigned = await api('POST', `/v1/messages/${queue.body.items[0].id}/assign`, { probeId: webform.id, kind: 'answer' });
    expect(assigned.body).toMatchObject({ probeId: webform.id, match: { rule: 'manual', confidence: 1 } });
    expect((await api('GET', `/v1/probes/${webform.id}`)).body.outcome).toMatchObject({ delayHours: 5, withinNorms: { '4': false, '24': true } });

    const stats = await api('GET', `/v1/stats?campaignId=${campaignId}&groupBy=brand`);
    expect(stats.status).toBe(200);
    expect(stats.body.rows).toHaveLength(1);
    expect(stats.body.rows[0]).toMatchObject({
      group: { key: brandId, label: 'Électricité Exemple' },
      probes: 2,
      answered: 2,
      responseRate: 1,
      withinNorm: { '4': 0.5, '24': 1 },
      delayP50Hours: 3.5,
      delayMeanHours: 3.5,
      delayP90Hours: 4.7,
    });

    // the list of probes carries each probe's outcome
    const listed = await api('GET', `/v1/probes?campaignId=${campaignId}`);
    const delays = Object.fromEntries(listed.body.items.map((p: { id: string; outcome: { delayHours: number } | null }) => [p.id, p.outcome?.delayHours]));
    expect(delays).toEqual({ [probe.id]: 2, [webform.id]: 5 });

    // taking the message back out of the probe puts it back in the queue and the outcome follows
    await api('POST', `/v1/messages/${queue.body.items[0].id}/assign`, { probeId: null });
    expect((await api('GET', `/v1/probes/${webform.id}`)).body.outcome).toMatchObject({ answeredAt: null });
    const empty = await api('GET', `/v1/stats?campaignId=${campaignId}&from=2030-01-01T00:00:00Z`);
    expect(empty.body.rows).toMatchObject([{ probes: 0, responseRate: null, delayP50Hours: null }]);

    // a second sync asked through the API runs again and reads what came since
    await appendMessage(inject('dovecot'), user, 'INBOX', rawMail({
      from: 'Satisfaction <enquete@electricite-exemple.fr>',
      to: user.address,
      subject: 'Re: Changement de tarif',
      inReplyTo: emailProbeId,
      text: 'Votre avis compte : notez la réponse de notre conseiller.',
    }), new Date(T0.getTime() + 26 * HOUR));
    // a new analyser version: the sweep finds the answers it has not seen and analyses them again from their raw source
    await t.db.pool.query(`update analyses set analyser_version = '0.0.1-old' where reply_id = $1`, [replyId]);
    expect(await enqueueMissingAnalyses(t.db.pool, q.queues)).toBeGreaterThanOrEqual(1);
    const versions = async () =>
      (await t.db.pool.query('select analyser_version from analyses where reply_id = $1 order by analyser_version', [replyId])).rows.map((r) => r.analyser_version);
    for (let waited = 0; (await versions()).length < 2 && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await versions()).toEqual(['0.0.1-old', ANALYSER_VERSION].sort());
    expect((await api('GET', `/v1/replies/${replyId}`)).body.analysis.version).toBe(ANALYSER_VERSION);

    const second = await syncNow();
    expect(second.status === 'done' && second.folders.find((f: { path: string }) => f.path === 'INBOX')).toMatchObject({ fetched: 1, inserted: 1 });
    expect((await api('GET', `/v1/probes/${probe.id}`)).body.outcome).toMatchObject({ delayHours: 2, followUps: 1 });
  });

  it('refuses an assignment to a probe of another mailbox or a missing probe, saying why', async () => {
    const { rows } = await t.db.pool.query('select id from messages limit 1');
    const res = await api('POST', `/v1/messages/${rows[0].id}/assign`, { probeId: '00000000-0000-4000-8000-000000000000' });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('body/probeId');
  });
});
