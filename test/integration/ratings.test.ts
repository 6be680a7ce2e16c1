/**
 * Double rating through the API: two auditors rate the same replies blind, a third arbitrates
 * their disagreement, an admin sees everything; the agreement figures are those of the
 * hand-worked example of issue 14, and the note follows each step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAnsweredCampaign } from '../support/answered-campaign.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

describe('double rating', () => {
  let t: TestContext;
  let campaignId: string;
  const probes: string[] = [];
  const replies: string[] = [];
  const keys: Record<'alice' | 'bruno' | 'chloe' | 'reader', string> = { alice: '', bruno: '', chloe: '', reader: '' };

  beforeAll(async () => {
    t = await createTestContext();
    for (const [name, role] of [['alice', 'auditor'], ['bruno', 'auditor'], ['chloe', 'auditor'], ['reader', 'reader']] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/keys', headers: t.auth(), payload: { label: name, role } });
      expect(res.statusCode, res.body).toBe(201);
      keys[name] = res.json().key;
    }
    const seeded = await seedAnsweredCampaign(t, 4);
    campaignId = seeded.campaignId;
    probes.push(...seeded.probes);
    replies.push(...seeded.replies);
  });
  afterAll(async () => t?.close());

  const call = async (method: 'GET' | 'PUT', url: string, key?: string, payload?: object) => {
    const res = await t.app.inject({ method, url, headers: t.auth(key), ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json(), raw: res.body };
  };
  const rate = async (key: string, replyId: string, criteria: object) => {
    const res = await call('PUT', `/v1/replies/${replyId}/ratings/mine`, key, { criteria });
    expect(res.status, res.raw).toBe(200);
    return res.body;
  };
  const criterion = async (replyId: string, id: string) => (await call('GET', `/v1/replies/${replyId}`)).body.score.criteria.find((c: { id: string }) => c.id === id);
  const note = async (replyId: string) => (await call('GET', `/v1/replies/${replyId}`)).body.score.note as number;
  const outcomeScore = async (probeId: string) => (await call('GET', `/v1/probes/${probeId}`)).body.outcome.score as number;

  it('documents its paths and the Rating schema in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    for (const path of ['/v1/replies/{id}/ratings', '/v1/replies/{id}/ratings/mine', '/v1/campaigns/{id}/agreement', '/v1/arbitrations']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const rating = Object.values(doc.components.schemas).find((schema) => JSON.stringify(schema).includes('raterKeyId')) as { properties: object };
    expect(Object.keys(rating.properties)).toEqual(expect.arrayContaining(['rater', 'criteria', 'mine']));
  });

  it('keeps ratings blind until the auditor has rated the reply itself', async () => {
    const reply = replies[0]!;
    const mine = await rate(keys.alice, reply, { signature: { value: 20, comment: 'signé Sophie Martin' } });
    expect(mine).toMatchObject({ rater: 'alice', mine: true, criteria: { signature: { value: 20, comment: 'signé Sophie Martin' } } });

    // Bruno has not rated: he learns that someone did, not what
    expect((await call('GET', `/v1/replies/${reply}/ratings`, keys.bruno)).body).toEqual({ replyId: reply, count: 1, hidden: 1, ratings: [] });
    // nor through the reply's score grid: his grid leaves Alice's grade out and says so
    const scoreFor = async (key?: string) => (await call('GET', `/v1/replies/${reply}`, key)).body.score;
    const blind = await scoreFor(keys.bruno);
    const blindSignature = blind.criteria.find((c: { id: string }) => c.id === 'signature');
    expect(blind.ratingsWithheld).toBe(1);
    expect(blindSignature).toMatchObject({ source: 'automatic' });
    expect(blindSignature.value).toBe(blindSignature.automatic);
    for (const key of [keys.alice, keys.reader, undefined]) {
      const whole = await scoreFor(key);
      expect(whole.ratingsWithheld).toBe(0);
      expect(whole.criteria.find((c: { id: string }) => c.id === 'signature')).toMatchObject({ source: 'rater', value: 20 });
    }
    const own = (await call('GET', `/v1/replies/${reply}/ratings`, keys.alice)).body;
    expect(own).toMatchObject({ count: 1, hidden: 0, ratings: [{ rater: 'alice', mine: true }] });

    await rate(keys.bruno, reply, { signature: { value: 20 } });
    const both = (await call('GET', `/v1/replies/${reply}/ratings`, keys.bruno)).body;
    expect(both).toMatchObject({ count: 2, hidden: 0 });
    expect(both.ratings.map((r: { rater: string; mine: boolean }) => [r.rater, r.mine])).toEqual([['alice', false], ['bruno', true]]);
    // a reader gets the count only; an admin sees everything without rating
    expect((await call('GET', `/v1/replies/${reply}/ratings`, keys.reader)).body).toMatchObject({ count: 2, hidden: 2, ratings: [] });
    expect((await call('GET', `/v1/replies/${reply}/ratings`)).body).toMatchObject({ count: 2, hidden: 0 });
    expect((await call('GET', `/v1/replies/${reply}/ratings`)).body.ratings).toHaveLength(2);
  });

  it('merges a rating criterion by criterion and validates it', async () => {
    const reply = replies[0]!;
    const merged = await rate(keys.alice, reply, { logo: { value: 0, comment: 'pas de logo' } });
    expect(Object.keys(merged.criteria).sort()).toEqual(['logo', 'signature']);
    expect(Object.keys((await rate(keys.alice, reply, { logo: null })).criteria)).toEqual(['signature']);

    const tooHigh = await call('PUT', `/v1/replies/${reply}/ratings/mine`, keys.alice, { criteria: { signature: { value: 25 } } });
    expect(tooHigh.status).toBe(400);
    expect(tooHigh.body.errors.map((e: { field: string }) => e.field)).toContain('body/criteria/signature/value');
    const unknown = await call('PUT', `/v1/replies/${reply}/ratings/mine`, keys.alice, { criteria: { politesse: { value: 5 } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toContainEqual({ field: 'body/criteria/politesse', message: 'is not a known field' });
    expect((await call('PUT', `/v1/replies/${reply}/ratings/mine`, keys.alice, { criteria: {} })).status).toBe(400);
    expect((await call('PUT', `/v1/replies/${reply}/ratings/mine`, keys.reader, { criteria: { logo: { value: 0 } } })).status).toBe(403);
    // the environment's admin key is nobody in particular: it arbitrates, it does not rate
    const env = await call('PUT', `/v1/replies/${reply}/ratings/mine`, undefined, { criteria: { logo: { value: 0 } } });
    expect(env.status).toBe(403);
    expect(env.body.detail).toMatch(/SONDE_ADMIN_KEY/);
  });

  it('measures the agreement of the raters, criterion by criterion', async () => {
    // signature: Alice 20, 20, 0, 0; Bruno 20, 0, 0, 0 (the first reply is rated already)
    // greeting: Alice 0, 12, 20, 20; Bruno 0, 20, 20, 12: all agree on presence, not on the grade
    const alice = [20, 20, 0, 0];
    const bruno = [20, 0, 0, 0];
    const greetingAlice = [0, 12, 20, 20];
    const greetingBruno = [0, 20, 20, 12];
    for (let i = 0; i < 4; i++) {
      await rate(keys.alice, replies[i]!, { signature: { value: alice[i] }, greeting: { value: greetingAlice[i] } });
      await rate(keys.bruno, replies[i]!, { signature: { value: bruno[i] }, greeting: { value: greetingBruno[i] } });
    }
    // a third rater on the second reply does not change the pair
    await rate(keys.chloe, replies[1]!, { signature: { value: 0 } });

    const plain = await call('GET', `/v1/campaigns/${campaignId}/agreement`, keys.reader);
    expect(plain.status, plain.raw).toBe(200);
    expect(plain.body).toMatchObject({ campaignId, weighted: false, presenceThreshold: 10 });
    expect(plain.body.criteria.signature).toEqual({ pairs: 4, observed: 0.75, kappa: 0.5, disagreements: 1 });
    // present 3 of 4 for both: pe = 0.75² + 0.25² = 0.625, po = 1
    expect(plain.body.criteria.greeting).toEqual({ pairs: 4, observed: 1, kappa: 1, disagreements: 0 });
    expect(plain.body.criteria.logo).toEqual({ pairs: 0, observed: null, kappa: null, disagreements: 0 });

    const weighted = (await call('GET', `/v1/campaigns/${campaignId}/agreement?weighted=true`)).body;
    expect(weighted.weighted).toBe(true);
    expect(weighted.criteria.signature).toEqual({ pairs: 4, observed: 0.75, kappa: 0.5, disagreements: 1 });
    // grades 0 < 12 < 20 with weights 1, 0.5, 0: po = 0.75, pe = 0.5625, kappa = 3/7
    expect(weighted.criteria.greeting).toEqual({ pairs: 4, observed: 0.75, kappa: 0.4286, disagreements: 2 });
  });

  it('queues the disagreement for a third auditor, whose arbitration the note then takes', async () => {
    const disputed = replies[1]!;
    // the note takes the raters' values: mean where they differ, agreed where they do not
    expect(await criterion(disputed, 'signature')).toMatchObject({ value: 10, source: 'mean', override: null });
    expect(await criterion(disputed, 'greeting')).toMatchObject({ value: 16, source: 'mean' });
    expect(await criterion(replies[0]!, 'signature')).toMatchObject({ value: 20, source: 'agreed' });
    expect(await criterion(disputed, 'logo')).toMatchObject({ source: 'automatic' });
    await rate(keys.alice, replies[3]!, { thanks: { value: 20 } });
    expect(await criterion(replies[3]!, 'thanks')).toMatchObject({ value: 20, source: 'rater' });
    const meanNote = await note(disputed);
    expect(await outcomeScore(probes[1]!)).toBe(meanNote);

    const queue = await call('GET', `/v1/arbitrations?campaignId=${campaignId}`, keys.chloe);
    expect(queue.status, queue.raw).toBe(200);
    expect(queue.body.items).toHaveLength(1);
    expect(queue.body.items[0]).toMatchObject({
      replyId: disputed,
      probeId: probes[1],
      campaignId,
      disputes: [{ criterion: 'signature', ratings: [{ rater: 'alice', value: 20 }, { rater: 'bruno', value: 0 }] }],
    });
    expect(queue.body.items[0].ratings.map((r: { rater: string }) => r.rater)).toEqual(['alice', 'bruno', 'chloe']);
    expect((await call('GET', `/v1/arbitrations?campaignId=${campaignId}`, keys.reader)).status).toBe(403);

    // one of the two raters may not settle it; Chloe, a third auditor, does
    const biased = await call('PUT', `/v1/replies/${disputed}/evaluation`, keys.alice, { criteria: { signature: { value: 20, comment: 'je maintiens' } } });
    expect(biased.status).toBe(403);
    expect(biased.body.errors).toEqual([{ field: 'body/criteria/signature', message: 'disputed between you and another rater' }]);
    const settled = await call('PUT', `/v1/replies/${disputed}/evaluation`, keys.chloe, { criteria: { signature: { value: 20, comment: 'signé Sophie Martin' } } });
    expect(settled.status, settled.raw).toBe(200);
    expect(settled.body.score.criteria.find((c: { id: string }) => c.id === 'signature')).toMatchObject({ value: 20, source: 'arbitration' });
    expect((await call('GET', `/v1/arbitrations?campaignId=${campaignId}`, keys.chloe)).body.items).toEqual([]);

    // signature weighs 3 of the welcome part's 20: from 10 to 20 adds 1.5 to the note
    const arbitratedNote = await note(disputed);
    expect(Math.abs(arbitratedNote - meanNote - 1.5)).toBeLessThanOrEqual(0.1);
    expect(await outcomeScore(probes[1]!)).toBe(arbitratedNote);
    // the evidence pack marks where each criterion's counted value comes from
    const report = await t.app.inject({ method: 'GET', url: `/v1/campaigns/${campaignId}/report?lang=en`, headers: t.auth() });
    expect(report.statusCode, report.body.slice(0, 500)).toBe(200);
    const rows = report.body.split('<tr data-criterion="signature"').slice(1).map((row) => /data-source="(\w+)"/.exec(row)?.[1]);
    expect(rows).toEqual(['agreed', 'arbitration', 'agreed', 'agreed']); // signature on the four answers, in sending order
    expect(report.body).toContain('<span class="source" data-source="arbitration">arbitration</span>');
    // a rater's other, undisputed criteria stay theirs to override
    const other = await call('PUT', `/v1/replies/${disputed}/evaluation`, keys.alice, {
      criteria: { signature: { value: 20, comment: 'signé Sophie Martin' }, thanks: { value: 0, comment: 'pas de remerciement' } },
    });
    expect(other.status, other.raw).toBe(200);
  });

  it('pages the queue and follows a rating change into the note', async () => {
    const [first, , third, fourth] = replies;
    await rate(keys.alice, third!, { logo: { value: 20 } });
    await rate(keys.bruno, third!, { logo: { value: 0 } });
    await rate(keys.alice, fourth!, { closing: { value: 0 } });
    await rate(keys.bruno, fourth!, { closing: { value: 20 } });
    const page1 = (await call('GET', `/v1/arbitrations?campaignId=${campaignId}&limit=1`, keys.chloe)).body;
    expect(page1.items.map((i: { replyId: string }) => i.replyId)).toEqual([third]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (await call('GET', `/v1/arbitrations?campaignId=${campaignId}&limit=1&cursor=${page1.nextCursor}`, keys.chloe)).body;
    expect(page2).toEqual({ items: [expect.objectContaining({ replyId: fourth, disputes: [expect.objectContaining({ criterion: 'closing' })] })], nextCursor: null });

    // Bruno comes round on the closing: no more disagreement, the reply leaves the queue
    await rate(keys.bruno, fourth!, { closing: { value: 0 } });
    expect((await call('GET', `/v1/arbitrations?campaignId=${campaignId}`)).body.items.map((i: { replyId: string }) => i.replyId)).toEqual([third]);

    // a rating change rescores the answer: signature agreed at 20 on the first reply, then at 0
    const before = await note(first!);
    await rate(keys.alice, first!, { signature: { value: 0 } });
    expect(await criterion(first!, 'signature')).toMatchObject({ value: 10, source: 'mean' });
    await rate(keys.bruno, first!, { signature: { value: 0 } });
    expect(await criterion(first!, 'signature')).toMatchObject({ value: 0, source: 'agreed' });
    const after = await note(first!);
    expect(Math.abs(before - after - 3)).toBeLessThanOrEqual(0.1);
    expect(await outcomeScore(probes[0]!)).toBe(after);
    // signature now: (0, 0), (20, 0), (0, 0), (0, 0); Bruno never says present, so pe = 0.75 and kappa 0
    expect((await call('GET', `/v1/campaigns/${campaignId}/agreement`)).body.criteria.signature).toEqual({ pairs: 4, observed: 0.75, kappa: 0, disagreements: 1 });
  });
});
