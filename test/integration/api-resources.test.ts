import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailboxPasswordContext } from '../../src/db/mailboxes.repo.ts';
import { openMailboxLogins } from '../../src/flow/mailbox-logins.ts';
import { SecretBindingError } from '../../src/secrets.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => t?.close());

const MISSING = '00000000-0000-4000-8000-000000000000';

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, key?: string) {
  return t.app.inject({ method, url, ...(payload && { payload }), headers: t.auth(key) });
}

async function create(url: string, payload: object) {
  const res = await call('POST', url, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const mailboxBody = (address: string) => ({
  label: 'Marie (Gmail)',
  address,
  persona: { firstName: 'Marie', lastName: 'Dupont', gender: 'female' },
  imap: { host: 'imap.example.test', port: 993, secure: true, user: address, password: 'imap-Secret-123!' },
  smtp: { host: 'smtp.example.test', port: 465, secure: true, user: address, password: 'smtp-Secret-456!' },
});

/**
 * The same lifecycle for every resource: create, read back equal, patch one field,
 * find it in the list, delete, then 404 on read, patch and delete.
 */
const resources = [
  { path: '/v1/sectors', create: async () => ({ name: `Banque ${Math.random()}` }), patch: { name: 'Assurance' } },
  {
    path: '/v1/brands',
    create: async () => ({
      name: `Banque Exemple ${Math.random()}`,
      sectorId: (await create('/v1/sectors', { name: `S ${Math.random()}` })).id,
      contactAddresses: ['Service.Client@Banque-Exemple.fr'],
      senderDomains: ['banque-exemple.fr', 'banqueexemple.zendesk.com'],
      vocabulary: ['Livret Bleu'],
      charter: { logoHints: ['logo-banque'], colors: ['#E30613'] },
    }),
    patch: { vocabulary: ['Livret Bleu', 'Carte Azur'] },
  },
  { path: '/v1/mailboxes', create: async () => mailboxBody(`marie.${Math.random().toString(36).slice(2)}@example.test`), patch: { label: 'Marie (Outlook)' } },
  {
    path: '/v1/scenarios',
    create: async () => ({
      name: 'Frais de tenue de compte',
      language: 'fr',
      subject: 'Question sur les frais',
      body: 'Bonjour, je suis {{persona.firstName}} {{persona.lastName}}. Quels sont vos frais ?',
      expectedPoints: [{ label: 'montant', keywords: ['euros', 'tarif'] }],
    }),
    patch: { subject: 'Question sur vos frais' },
  },
  {
    path: '/v1/campaigns',
    create: async () => ({ name: 'Baromètre 2026', startsAt: '2026-01-05T08:00:00.000Z', endsAt: '2026-03-15T18:00:00.000Z', probesPerBrand: 5 }),
    patch: { name: 'Baromètre 2026 (vague 1)' },
  },
];

describe.each(resources)('$path', ({ path, create: body, patch }) => {
  it('creates, reads, updates, lists and deletes', async () => {
    const created = await create(path, await body());
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);

    const read = await call('GET', `${path}/${created.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created);

    const patched = await call('PATCH', `${path}/${created.id}`, patch);
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject(patch);
    expect(new Date(patched.json().updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());

    const list = await call('GET', `${path}?limit=500`);
    expect(list.json().items.map((x: { id: string }) => x.id)).toContain(created.id);

    expect((await call('DELETE', `${path}/${created.id}`)).statusCode).toBe(204);
    for (const [method, payload] of [['GET'], ['PATCH', patch], ['DELETE']] as const) {
      const res = await call(method, `${path}/${created.id}`, payload);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 404, title: 'Not Found' });
    }
  });

  it('answers 404 problem+json for an id that never existed', async () => {
    const res = await call('GET', `${path}/${MISSING}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).toContain(MISSING);
  });
});

describe('pagination', () => {
  it('walks every row exactly once with cursors', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `Secteur paginé ${i}`);
    for (const name of names) await create('/v1/sectors', { name });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call('GET', `/v1/sectors?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const page = res.json() as { items: { name: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((s) => s.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen.filter((n) => n.startsWith('Secteur paginé')).sort()).toEqual(names);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('refuses a cursor it did not give, naming the parameter', async () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of ['not-a-cursor', forged(['1', 'x']), forged(['+275760-09-13T00:00:00.000Z', MISSING]), forged([new Date().toISOString(), 'x'])]) {
      const res = await call('GET', `/v1/sectors?cursor=${cursor}`);
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json().errors[0].field).toBe('querystring/cursor');
    }
  });

  it('filters brands by their sector', async () => {
    const a = await create('/v1/sectors', { name: 'Télécoms' });
    const b = await create('/v1/sectors', { name: 'Énergie' });
    const inA = await create('/v1/brands', { name: 'Opérateur A', sectorId: a.id });
    await create('/v1/brands', { name: 'Fournisseur B', sectorId: b.id });
    const res = await call('GET', `/v1/brands?sectorId=${a.id}`);
    expect(res.json().items.map((x: { id: string }) => x.id)).toEqual([inA.id]);
  });
});

describe('validation', () => {
  it('names the missing field of a malformed body in a 400 problem+json', async () => {
    const res = await call('POST', '/v1/brands', { sectorId: MISSING, senderDomains: ['not a domain'] });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toContain('body/name');
    expect(fields).toContain('body/senderDomains/0');
    expect(res.json().detail).toContain('body/name is required');
  });

  it('refuses a public mail domain as a sender domain with a 422 saying to give the full address', async () => {
    const sector = await create('/v1/sectors', { name: 'Artisanat' });
    for (const domain of ['gmail.com', 'orange.fr', 'hotmail.fr', 'yahoo.co.uk', 'laposte.net']) {
      const res = await call('POST', '/v1/brands', { name: 'Atelier', sectorId: sector.id, senderDomains: ['atelier.fr', domain] });
      expect(res.statusCode, domain).toBe(422);
      expect(res.json().errors).toEqual([{ field: 'body/senderDomains/1', message: expect.stringMatching(/public mail domain.*contactAddresses/u) }]);
    }
    const brand = await create('/v1/brands', { name: 'Atelier', sectorId: sector.id, contactAddresses: ['atelier.boisdore@gmail.com'] });
    expect((await call('PATCH', `/v1/brands/${brand.id}`, { senderDomains: ['free.fr'] })).statusCode).toBe(422);
    expect((await call('PATCH', `/v1/brands/${brand.id}`, { senderDomains: ['boisdore.fr'] })).statusCode).toBe(200);
  });

  it('refuses unknown fields rather than dropping them silently', async () => {
    const res = await call('POST', '/v1/sectors', { name: 'X', colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toContainEqual({ field: 'body/colour', message: 'is not a known field' });
  });

  it('gives a clear 422 for an unknown sector id on a brand, not a 500', async () => {
    const res = await call('POST', '/v1/brands', { name: 'Sans secteur', sectorId: MISSING });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ field: 'body/sectorId', message: 'no sector has this id' }]);
    expect(res.json().detail).toContain(MISSING);
  });

  it('gives 409 for a duplicate name and for deleting a sector that still has brands', async () => {
    const sector = await create('/v1/sectors', { name: 'Distribution' });
    const dup = await call('POST', '/v1/sectors', { name: 'Distribution' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().errors[0].field).toBe('body/name');
    await create('/v1/brands', { name: 'Grande Surface', sectorId: sector.id });
    const del = await call('DELETE', `/v1/sectors/${sector.id}`);
    expect(del.statusCode).toBe(409);
    expect(del.json().detail).toMatch(/still referenced/);
  });

  it('checks campaign rules a schema cannot: timezone, period, windows', async () => {
    const res = await call('POST', '/v1/campaigns', {
      name: 'Mauvaise',
      timezone: 'Europe/Atlantis',
      startsAt: '2026-03-01T00:00:00Z',
      endsAt: '2026-02-01T00:00:00Z',
      sendWindow: { days: [1], from: '18:00', to: '09:00' },
    });
    expect(res.statusCode).toBe(422);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(['body/timezone', 'body/endsAt', 'body/sendWindow/to']);
  });

  it('freezes a campaign\'s schedule once it is scheduled, but lets its name change', async () => {
    const c = await create('/v1/campaigns', { name: 'Planifiée', probesPerBrand: 3 });
    await t.db.pool.query(`update campaigns set status = 'scheduled' where id = $1`, [c.id]);
    const refused = await call('PATCH', `/v1/campaigns/${c.id}`, { probesPerBrand: 5, endsAt: '2027-01-01T00:00:00Z' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().errors.map((e: { field: string }) => e.field)).toEqual(['body/endsAt', 'body/probesPerBrand']);
    expect((await call('PATCH', `/v1/campaigns/${c.id}`, { name: 'Planifiée (renommée)' })).statusCode).toBe(200);
  });

  it('gives a campaign the documented defaults', async () => {
    const c = await create('/v1/campaigns', { name: 'Défauts' });
    expect(c).toMatchObject({
      status: 'draft',
      timezone: 'Europe/Paris',
      norms: [4, 24],
      reminder: { afterHours: 24, max: 1 },
      businessHours: { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' },
      minProbesPerBrand: 30,
      minBrandsPerSector: 3,
    });
    // no holidays stored: France's apply, the timezone's default
    expect(c.businessHours.holidays).toBeUndefined();
  });

  it('links a campaign to its brands, scenarios and mailboxes, and refuses unknown ones', async () => {
    const sector = await create('/v1/sectors', { name: 'Transport' });
    const brand = await create('/v1/brands', { name: 'Compagnie Aérienne', sectorId: sector.id });
    const ok = await create('/v1/campaigns', { name: 'Liée', brandIds: [brand.id] });
    expect(ok.brandIds).toEqual([brand.id]);
    const bad = await call('POST', '/v1/campaigns', { name: 'Orpheline', brandIds: [MISSING] });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail).toContain(MISSING);
  });
});

describe('malformed requests', () => {
  it('answers problem+json with the status\'s own title for bad JSON, an empty body and a foreign content type', async () => {
    const badJson = await t.app.inject({ method: 'POST', url: '/v1/sectors', headers: { ...t.auth(), 'content-type': 'application/json' }, payload: '{"name": ' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ status: 400, title: 'Bad Request' });
    const text = await t.app.inject({ method: 'POST', url: '/v1/sectors', headers: { ...t.auth(), 'content-type': 'text/plain' }, payload: 'name=x' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    const badId = await call('GET', '/v1/sectors/not-a-uuid');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('params/id');
  });

  it('names the API field, not the column, of a duplicate', async () => {
    const sector = await create('/v1/sectors', { name: 'Doublons' });
    const brand = await create('/v1/brands', { name: 'Marque D', sectorId: sector.id });
    const mailbox = await create('/v1/mailboxes', mailboxBody('doublon@example.test'));
    const campaign = await create('/v1/campaigns', { name: 'C' });
    const probe = { campaignId: campaign.id, brandId: brand.id, mailboxId: mailbox.id, channel: 'email', messageId: 'same@example.test', sentAt: '2026-01-05T10:00:00Z' };
    await create('/v1/probes', probe);
    const dup = await call('POST', '/v1/probes', probe);
    expect(dup.statusCode).toBe(409);
    expect(dup.json().errors[0].field).toBe('body/messageId');
  });

  it('limits the requests of an address, with a 429 problem+json', async () => {
    const limited = await createTestContext({ rateLimitPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.app.inject({ url: '/v1/sectors', headers: limited.auth() })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const res = await limited.app.inject({ url: '/v1/sectors', headers: limited.auth() });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 429, title: 'Too Many Requests', detail: expect.stringMatching(/rate limit of 3/) });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // counted before authentication: requests without a key use up the same budget
      expect((await limited.app.inject({ url: '/v1/sectors' })).statusCode).toBe(429);
      // health is not counted
      expect((await limited.app.inject({ url: '/health' })).statusCode).not.toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('authentication and roles', () => {
  it('gives 401 without a key and with an unknown key', async () => {
    const none = await t.app.inject({ url: '/v1/sectors' });
    expect(none.statusCode).toBe(401);
    expect(none.json().detail).toMatch(/Authorization: Bearer/);
    const unknown = await call('GET', '/v1/sectors', undefined, 'sonde_not-a-key');
    expect(unknown.statusCode).toBe(401);
  });

  it('lets an admin manage keys, shows the secret once, and enforces roles', async () => {
    const reader = await create('/v1/keys', { label: 'tableau de bord', role: 'reader' });
    expect(reader.key).toMatch(/^sonde_/);
    const auditor = await create('/v1/keys', { label: 'auditrice', role: 'auditor' });

    const listed = await call('GET', '/v1/keys');
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(reader.key);
    expect(listed.json().items.map((k: { id: string }) => k.id)).toEqual(expect.arrayContaining([reader.id, auditor.id]));

    expect((await call('GET', '/v1/sectors', undefined, reader.key)).statusCode).toBe(200);
    const write = await call('POST', '/v1/sectors', { name: 'Interdit' }, reader.key);
    expect(write.statusCode).toBe(403);
    expect(write.json().detail).toMatch(/needs the admin role/);
    expect((await call('POST', '/v1/scenarios', { name: 'S', subject: 's', body: 'b' }, reader.key)).statusCode).toBe(403);
    expect((await call('POST', '/v1/scenarios', { name: 'S', subject: 's', body: 'b' }, auditor.key)).statusCode).toBe(201);
    expect((await call('POST', '/v1/sectors', { name: 'Pas pour une auditrice' }, auditor.key)).statusCode).toBe(403);
    expect((await call('GET', '/v1/keys', undefined, auditor.key)).statusCode).toBe(403);
    expect((await call('POST', '/v1/keys', { label: 'x', role: 'admin' }, auditor.key)).statusCode).toBe(403);

    expect((await call('DELETE', `/v1/keys/${reader.id}`)).statusCode).toBe(204);
    expect((await call('GET', '/v1/sectors', undefined, reader.key)).statusCode).toBe(401);
  });
});

describe('SMTP relays without a login', () => {
  it('accept SMTP settings without user and password, and the send uses no login', async () => {
    const body = { ...mailboxBody('relais@example.test'), smtp: { host: 'relay.example.test', port: 25, secure: false } };
    const created = await create('/v1/mailboxes', body);
    expect(created.smtp).toMatchObject({ host: 'relay.example.test', port: 25, user: null });
    const logins = (await openMailboxLogins(t.db.pool, t.secretBox, created.id))!;
    expect(logins.smtp).toMatchObject({ host: 'relay.example.test', user: '', password: '' });
    const half = await call('POST', '/v1/mailboxes', { ...mailboxBody('moitie@example.test'), smtp: { host: 'relay.example.test', port: 25, secure: false, user: 'x' } });
    expect(half.statusCode).toBe(400);
    expect(half.json().errors[0].field).toBe('body/smtp/password');
  });
});

describe('web-form campaigns', () => {
  it('run once a probe is declared sent, and can be closed', async () => {
    const sector = await create('/v1/sectors', { name: 'Assurance' });
    const brand = await create('/v1/brands', { name: 'Assur Plus', sectorId: sector.id, senderDomains: ['assurplus.example'] });
    const mailbox = await create('/v1/mailboxes', mailboxBody('formulaires@example.test'));
    const campaign = await create('/v1/campaigns', { name: 'Formulaires de contact' });
    expect(campaign.status).toBe('draft');
    await create('/v1/probes', {
      campaignId: campaign.id, brandId: brand.id, mailboxId: mailbox.id, channel: 'webform',
      recipient: 'https://assurplus.example/contact', sentAt: new Date(Date.now() - 3600_000).toISOString(),
    });
    expect((await call('GET', `/v1/campaigns/${campaign.id}`)).json().status).toBe('running');
    const closed = await call('POST', `/v1/campaigns/${campaign.id}/close`);
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json().status).toBe('closed');
  });
});

describe('mailbox secrets', () => {
  it('stores passwords sealed and never returns them', async () => {
    const body = mailboxBody('secret.keeper@example.test');
    const created = await create('/v1/mailboxes', body);
    const responses = [
      JSON.stringify(created),
      (await call('GET', `/v1/mailboxes/${created.id}`)).body,
      (await call('GET', '/v1/mailboxes')).body,
      (await call('PATCH', `/v1/mailboxes/${created.id}`, { imap: { password: 'a-New-Password-789' } })).body,
    ];
    for (const text of responses) {
      for (const secret of ['imap-Secret-123!', 'smtp-Secret-456!', 'a-New-Password-789']) expect(text).not.toContain(secret);
      // no password field anywhere (`auth.type` may say "password": that is the kind, not the secret)
      expect(text).not.toMatch(/"password"\s*:|passwordEnc|password_enc/i);
      expect(JSON.parse(text)).not.toHaveProperty('imap.password');
    }
    const { rows } = await t.db.pool.query('select row_to_json(m)::text as json, imap_password_enc, smtp_password_enc from mailboxes m where id = $1', [created.id]);
    const row = rows[0];
    expect(row.json).not.toContain('a-New-Password-789');
    expect(row.json).not.toContain('smtp-Secret-456!');
    expect(row.imap_password_enc).toMatch(new RegExp(`^v2:${t.secretBox.keyId}:`));
    expect(t.secretBox.open(row.imap_password_enc, mailboxPasswordContext(created.id, 'imap'))).toBe('a-New-Password-789');
    expect(t.secretBox.open(row.smtp_password_enc, mailboxPasswordContext(created.id, 'smtp'))).toBe('smtp-Secret-456!');
  });

  it('binds each sealed password to its row and column: a value copied elsewhere does not open', async () => {
    const victim = await create('/v1/mailboxes', mailboxBody('victim@example.test'));
    const attacker = await create('/v1/mailboxes', mailboxBody('attacker@example.test'));
    expect((await openMailboxLogins(t.db.pool, t.secretBox, victim.id))!.imap.password).toBe('imap-Secret-123!');
    // someone with write access to the table moves the victim's sealed password onto their own row
    await t.db.pool.query('update mailboxes set imap_password_enc = (select imap_password_enc from mailboxes where id = $1) where id = $2', [victim.id, attacker.id]);
    await expect(openMailboxLogins(t.db.pool, t.secretBox, attacker.id)).rejects.toBeInstanceOf(SecretBindingError);
    // and between the columns of one row
    await t.db.pool.query('update mailboxes set smtp_password_enc = imap_password_enc where id = $1', [victim.id]);
    await expect(openMailboxLogins(t.db.pool, t.secretBox, victim.id)).rejects.toThrow(/does not belong there/u);
  });

  it('exposes the sync state read-only', async () => {
    const created = await create('/v1/mailboxes', mailboxBody('state@example.test'));
    expect(created.syncState).toEqual({
      uidValidity: null,
      lastUid: 0,
      lastPolledAt: null,
      lastError: null,
      lastErrorAt: null,
      consecutiveFailures: 0,
      nextPollAt: null,
      folders: [],
    });
    const res = await call('PATCH', `/v1/mailboxes/${created.id}`, { syncState: { lastUid: 99 } });
    expect(res.statusCode).toBe(400);
  });
});

describe('pagination over rows created in the same millisecond', () => {
  it('still walks every row exactly once', async () => {
    // rows inserted in one statement share their creation time: the id breaks the tie
    await t.db.pool.query(`insert into sectors (name) select 'Même instant ' || g from generate_series(1, 9) g`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/v1/sectors?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const page = res.json() as { items: { name: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((s) => s.name));
      cursor = page.nextCursor;
    } while (cursor);
    const same = seen.filter((n) => n.startsWith('Même instant'));
    expect(same).toHaveLength(9);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
