/**
 * The double rating on the dashboard, through `inject` with real sessions: an auditor rates a
 * reply from its page and the API shows the rating; the page keeps the ratings blind as the
 * API does; the arbitration queue lists a disputed reply and not an agreed one; a rater does
 * not arbitrate its own dispute; a reader gets no form and a forged one is refused; the
 * campaign page shows the API's agreement figures.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAnsweredCampaign } from '../support/answered-campaign.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { csrfOf, get, post, signIn, type Jar } from '../support/dashboard-client.ts';

let t: TestContext;
let campaignId: string;
let disputed: string;
let agreed: string;
const keys: Record<'alice' | 'bruno' | 'chloe' | 'reader', string> = { alice: '', bruno: '', chloe: '', reader: '' };
const jars = {} as Record<keyof typeof keys | 'admin', Jar>;

beforeAll(async () => {
  t = await createTestContext({ dashboard: { secretKey: randomBytes(32) } });
  for (const [name, role] of [['alice', 'auditor'], ['bruno', 'auditor'], ['chloe', 'auditor'], ['reader', 'reader']] as const) {
    keys[name] = (await t.app.inject({ method: 'POST', url: '/v1/keys', headers: t.auth(), payload: { label: name, role } })).json().key;
    jars[name] = await signIn(t.app, keys[name]);
  }
  jars.admin = await signIn(t.app, t.adminKey);
  const seeded = await seedAnsweredCampaign(t, 2);
  campaignId = seeded.campaignId;
  [disputed, agreed] = seeded.replies as [string, string];
});
afterAll(async () => t?.close());

const page = (who: keyof typeof jars, url: string) => get(t.app, jars[who], url);
/** Posts a form of the reply's page with the CSRF token that page gave. */
async function submit(who: keyof typeof jars, replyId: string, action: string, form: Record<string, string>) {
  const token = csrfOf((await page(who, `/replies/${replyId}`)).body);
  return post(t.app, jars[who], `/replies/${replyId}/${action}`, { _csrf: token, ...form });
}
const ratingsSection = (body: string) => /<section data-ratings[\s\S]*?<\/section>/.exec(body)?.[0] ?? '';
const apiRatings = async (replyId: string, key?: string) => (await t.app.inject({ url: `/v1/replies/${replyId}/ratings`, headers: t.auth(key) })).json();

describe('double rating on the dashboard', () => {
  it('saves an auditor’s rating from the reply page through the API’s flow', async () => {
    const res = await submit('alice', disputed, 'ratings/mine', { 'grade.signature': '20', 'gradeComment.signature': 'signé Sophie Martin', 'grade.logo': '' });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe(`/replies/${disputed}?rated=1`);
    const after = await page('alice', res.headers.location as string);
    expect(after.body).toContain('Notation enregistrée.');
    // the form shows her grade back
    expect(after.body).toMatch(/name="grade\.signature"[^>]*value="20"/);

    const api = await apiRatings(disputed, keys.alice);
    expect(api).toMatchObject({ count: 1, hidden: 0, ratings: [{ rater: 'alice', mine: true, criteria: { signature: { value: 20, comment: 'signé Sophie Martin' } } }] });
    expect(Object.keys(api.ratings[0].criteria)).toEqual(['signature']);
  });

  it('shows a validation error as the override form does, and saves nothing', async () => {
    const res = await submit('alice', disputed, 'ratings/mine', { 'grade.signature': '20', 'grade.logo': '25' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('role="alert"');
    expect(res.body).toContain('la valeur doit être un nombre entre 0 et 20');
    expect(res.body).toMatch(/name="grade\.logo"[^>]*value="25"/);
    expect(Object.keys((await apiRatings(disputed, keys.alice)).ratings[0].criteria)).toEqual(['signature']);
  });

  it('keeps the other ratings out of the page until the auditor has rated, as the API does', async () => {
    const before = await page('bruno', `/replies/${disputed}`);
    expect(before.statusCode).toBe(200);
    const section = ratingsSection(before.body);
    expect(section).toContain('data-count="1" data-hidden="1"');
    expect(section).toContain('1 notation reste cachée');
    expect(before.body).not.toContain('signé Sophie Martin');
    expect(before.body).not.toContain('data-rater="alice"');
    expect(before.body).toContain(`action="/replies/${disputed}/ratings/mine"`);
    // the score grid does not show Alice's grade either: the signature row is the automatic value
    expect(before.body).toContain('data-ratings-withheld="1"');
    expect(before.body).toMatch(/<tr data-criterion="signature">(?:(?!<\/tr>)[\s\S])*data-source="automatic"/);
    expect(before.body).not.toMatch(/<tr data-criterion="signature">(?:(?!<\/tr>)[\s\S])*data-source="rater"/);

    const res = await submit('bruno', disputed, 'ratings/mine', { 'grade.signature': '0', 'gradeComment.signature': 'aucune signature' });
    expect(res.statusCode, res.body).toBe(303);
    const after = ratingsSection((await page('bruno', `/replies/${disputed}`)).body);
    expect(after).toContain('data-count="2" data-hidden="0"');
    expect((await page('bruno', `/replies/${disputed}`)).body).not.toContain('data-ratings-withheld');
    expect(after).toContain('data-rater="alice"');
    expect(after).toContain('signé Sophie Martin');
    expect(after).toContain('aucune signature');
    expect((await apiRatings(disputed, keys.bruno)).ratings.map((r: { rater: string }) => r.rater)).toEqual(['alice', 'bruno']);

    // an admin sees both without rating; the grid says where each value comes from, as the API
    const admin = await page('admin', `/replies/${disputed}`);
    expect(ratingsSection(admin.body)).toContain('aucune signature');
    const score = (await t.app.inject({ url: `/v1/replies/${disputed}`, headers: t.auth() })).json().score;
    const signature = score.criteria.find((c: { id: string }) => c.id === 'signature');
    expect(signature.source).toBe('mean');
    expect(admin.body).toMatch(/<tr data-criterion="signature">[\s\S]*?<td data-source="mean">moyenne des notateurs<\/td>/);
    expect(admin.body).toMatch(/<tr data-criterion="logo">[\s\S]*?<td data-source="automatic">automatique<\/td>/);
  });

  it('lists a disputed reply in the arbitration queue and not an agreed one', async () => {
    for (const who of ['alice', 'bruno'] as const) {
      expect((await submit(who, agreed, 'ratings/mine', { 'grade.signature': '20' })).statusCode).toBe(303);
    }
    const queue = await page('chloe', `/arbitrations?campaignId=${campaignId}`);
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(`<tr data-reply-id="${disputed}">`);
    expect(queue.body).toContain(`href="/replies/${disputed}"`);
    expect(queue.body).not.toContain(`data-reply-id="${agreed}"`);
    expect(queue.body).toMatch(/<li data-criterion="signature">[^<]*alice 20 · bruno 0<\/li>/);
    const api = (await t.app.inject({ url: `/v1/arbitrations?campaignId=${campaignId}`, headers: t.auth(keys.chloe) })).json();
    expect(api.items.map((i: { replyId: string }) => i.replyId)).toEqual([disputed]);
    // every campaign at once, and the nav links to it
    const all = await page('chloe', '/arbitrations');
    expect(all.body).toContain(`<tr data-reply-id="${disputed}">`);
    expect(all.body).toContain('href="/arbitrations"');
    expect(ratingsSection((await page('chloe', `/replies/${agreed}`)).body)).toContain('data-hidden="2"');
    expect((await page('admin', `/replies/${agreed}`)).body).toMatch(/<tr data-criterion="signature">[\s\S]*?<td data-source="agreed">/);
  });

  it('refuses a rater the arbitration of its own dispute (403 and the reason); a third auditor settles it', async () => {
    const own = await submit('alice', disputed, 'evaluation', { 'value.signature': '20', 'comment.signature': 'je maintiens' });
    expect(own.statusCode).toBe(403);
    expect(own.body).toContain('Vous avez noté cette réponse : signature doit être arbitré');
    const evaluations = (await t.app.inject({ url: `/v1/replies/${disputed}`, headers: t.auth() })).json().score.criteria.find((c: { id: string }) => c.id === 'signature');
    expect(evaluations.source).toBe('mean');

    const third = await submit('chloe', disputed, 'evaluation', { 'value.signature': '20', 'comment.signature': 'signature présente' });
    expect(third.statusCode, third.body).toBe(303);
    const queue = await page('chloe', `/arbitrations?campaignId=${campaignId}`);
    expect(queue.body).not.toContain(`data-reply-id="${disputed}"`);
    expect(queue.body).toContain('Aucun désaccord à arbitrer.');
    expect((await page('chloe', `/replies/${disputed}`)).body).toMatch(/<tr data-criterion="signature">[\s\S]*?<td data-source="arbitration">arbitrage<\/td>/);
  });

  it('shows a reader the count and no form, and refuses its forged rating', async () => {
    const view = await page('reader', `/replies/${disputed}`);
    expect(view.statusCode).toBe(200);
    expect(ratingsSection(view.body)).toContain('data-count="2" data-hidden="2"');
    expect(view.body).not.toContain('signé Sophie Martin');
    expect(view.body).not.toContain('/ratings/mine');
    expect(view.body).not.toContain('href="/arbitrations"');
    const forged = await post(t.app, jars.reader, `/replies/${disputed}/ratings/mine`, { _csrf: csrfOf(view.body), 'grade.signature': '0' });
    expect(forged.statusCode).toBe(403);
    expect((await apiRatings(disputed)).count).toBe(2);
    expect((await page('reader', '/arbitrations')).statusCode).toBe(403);
    // an auditor's POST without its token is refused too
    expect((await post(t.app, jars.bruno, `/replies/${disputed}/ratings/mine`, { 'grade.signature': '20' })).statusCode).toBe(403);
    expect((await apiRatings(disputed, keys.bruno)).ratings.find((r: { mine: boolean }) => r.mine).criteria.signature.value).toBe(0);
  });

  it('does not let the environment’s admin key rate (it belongs to nobody)', async () => {
    const view = await page('admin', `/replies/${disputed}`);
    expect(view.body).not.toContain('/ratings/mine');
    const res = await post(t.app, jars.admin, `/replies/${disputed}/ratings/mine`, { _csrf: csrfOf(view.body), 'grade.signature': '20' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('ne note pas');
  });

  it('shows the API’s agreement per criterion on the campaign page', async () => {
    const api = (await t.app.inject({ url: `/v1/campaigns/${campaignId}/agreement`, headers: t.auth() })).json().criteria.signature;
    expect(api).toMatchObject({ pairs: 2, disagreements: 1, observed: 0.5 });
    const body = (await page('reader', `/campaigns/${campaignId}`)).body;
    const row = /<tr data-criterion="signature">[\s\S]*?<\/tr>/.exec(/<table data-agreement[\s\S]*?<\/table>/.exec(body)?.[0] ?? '')?.[0] ?? '';
    expect(row).toContain(`data-value="2">2<`);
    expect(row).toContain('data-value="0.5">50,0');
    expect(row).toContain(`data-value="${api.kappa}"`);
    expect(row).toContain('data-value="1">1<');
    expect(body).not.toContain(`<tr data-criterion="logo">`);
  });
});
