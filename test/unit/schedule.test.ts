import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../src/audit/plan-error.ts';
import { defaultReminderBody, reminderSubject } from '../../src/audit/reminder-text.ts';
import { mulberry32 } from '../../src/audit/random.ts';
import { nextSendTime, planCampaign, probeAddress, probeToken, sendWindowIntervals, type PlanBrand, type PlanCampaign, type PlanMailbox, type PlanScenario, type PlannedProbe } from '../../src/audit/schedule.ts';
import { renderTemplate, unknownPlaceholders } from '../../src/audit/probe-template.ts';
import { withQuote } from '../../src/audit/quote-format.ts';

const PARIS = 'Europe/Paris';
const WEEKDAYS = { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' };

/** Ten weeks, Monday 3 March to Friday 9 May 2025, across the spring clock change: 50 weekdays. */
const TEN_WEEKS: PlanCampaign = {
  startsAt: new Date('2025-03-03T00:00:00+01:00'),
  endsAt: new Date('2025-05-10T00:00:00+02:00'),
  timezone: PARIS,
  sendWindow: WEEKDAYS,
  probesPerBrand: 50,
};

const brand = (id: string, name: string, contacts = [`contact@${id}.example`]): PlanBrand => ({ id, name, contactAddresses: contacts });
const scenario = (id: string): PlanScenario => ({
  id,
  subject: `Question ${id}`,
  body: `Bonjour {{brand.name}},\n\nJe m'appelle {{persona.firstName}} {{persona.lastName}}. (${id})`,
});
const mailbox = (id: string, personaId: string, pattern: string | null = null): PlanMailbox => ({
  id,
  address: `${id}@sonde.example`,
  personaId,
  persona: personaId === 'p-marie' ? { firstName: 'Marie', lastName: 'Dupont' } : { firstName: 'Luc', lastName: 'Martin' },
  probeAddressPattern: pattern,
});

const BRANDS = [brand('b-alpha', 'Alpha'), brand('b-beta', 'Beta'), brand('b-gamma', 'Gamma')];
const SCENARIOS = [scenario('s-1'), scenario('s-2'), scenario('s-3')];
const MAILBOXES = [mailbox('m-marie', 'p-marie'), mailbox('m-luc', 'p-luc')];

const local = (date: Date) => DateTime.fromJSDate(date, { zone: PARIS });
const ofBrand = (plan: PlannedProbe[], id: string) => plan.filter((p) => p.brandId === id);

describe('planCampaign: when', () => {
  const plan = planCampaign(TEN_WEEKS, BRANDS, SCENARIOS, MAILBOXES, 42);

  it('plans probesPerBrand probes for every brand, in time order', () => {
    expect(plan).toHaveLength(150);
    for (const b of BRANDS) expect(ofBrand(plan, b.id)).toHaveLength(50);
    const times = plan.map((p) => p.scheduledAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('sends only inside the window: weekdays, 09:00–18:00 Paris time, within the period', () => {
    for (const probe of plan) {
      const t = local(probe.scheduledAt);
      expect(t.weekday).toBeLessThanOrEqual(5);
      expect(t.hour).toBeGreaterThanOrEqual(9);
      expect(t.hour).toBeLessThan(18);
      expect(probe.scheduledAt >= TEN_WEEKS.startsAt && probe.scheduledAt < TEN_WEEKS.endsAt).toBe(true);
    }
  });

  it('spreads a brand evenly: 50 probes over 50 weekdays is one a day, never at the edges of the day', () => {
    for (const b of BRANDS) {
      const days = ofBrand(plan, b.id).map((p) => local(p.scheduledAt));
      expect(new Set(days.map((d) => d.toISODate())).size).toBe(50);
      for (const d of days) {
        // each probe sits in the middle 70 % of its nine hours: 10:21 to 16:39
        const minute = d.hour * 60 + d.minute;
        expect(minute).toBeGreaterThanOrEqual(10 * 60 + 21);
        expect(minute).toBeLessThan(16 * 60 + 39);
      }
    }
  });

  it('does not look mechanical: times of day vary, and brands are not sent at the same moments', () => {
    const minutes = ofBrand(plan, 'b-alpha').map((p) => local(p.scheduledAt).toFormat('HH:mm'));
    expect(new Set(minutes).size).toBeGreaterThan(40);
    const alpha = ofBrand(plan, 'b-alpha').map((p) => p.scheduledAt.getTime());
    const beta = new Set(ofBrand(plan, 'b-beta').map((p) => p.scheduledAt.getTime()));
    expect(alpha.filter((t) => beta.has(t))).toEqual([]);
  });

  it('is reproducible from the seed, and another seed gives other times', () => {
    expect(planCampaign(TEN_WEEKS, BRANDS, SCENARIOS, MAILBOXES, 42)).toEqual(plan);
    const other = planCampaign(TEN_WEEKS, BRANDS, SCENARIOS, MAILBOXES, 43);
    expect(other.map((p) => p.scheduledAt.getTime())).not.toEqual(plan.map((p) => p.scheduledAt.getTime()));
  });

  it('does not depend on the order of its inputs, and adding a brand leaves the others as they were', () => {
    const shuffled = planCampaign(TEN_WEEKS, [...BRANDS].reverse(), [...SCENARIOS].reverse(), [...MAILBOXES].reverse(), 42);
    expect(shuffled).toEqual(plan);
    const more = planCampaign(TEN_WEEKS, [...BRANDS, brand('b-delta', 'Delta')], SCENARIOS, MAILBOXES, 42);
    expect(ofBrand(more, 'b-alpha')).toEqual(ofBrand(plan, 'b-alpha'));
  });

  it('plans nothing before notBefore', () => {
    const notBefore = new Date('2025-04-01T12:00:00+02:00');
    const late = planCampaign({ ...TEN_WEEKS, probesPerBrand: 10 }, BRANDS, SCENARIOS, MAILBOXES, 42, { notBefore });
    expect(late).toHaveLength(30);
    expect(late.every((p) => p.scheduledAt >= notBefore)).toBe(true);
  });

  it('refuses a period in which the window never opens', () => {
    const weekend = { ...TEN_WEEKS, startsAt: new Date('2025-03-08T00:00:00+01:00'), endsAt: new Date('2025-03-10T00:00:00+01:00') };
    expect(() => planCampaign(weekend, BRANDS, SCENARIOS, MAILBOXES, 1)).toThrow(/never opens/);
  });

  it('refuses a brand it cannot write to', () => {
    expect(() => planCampaign(TEN_WEEKS, [brand('b-x', 'Sans adresse', [])], SCENARIOS, MAILBOXES, 1)).toThrow(PlanError);
  });
});

describe('planCampaign: who asks what', () => {
  const pairsOf = (plan: PlannedProbe[], brandId: string) =>
    ofBrand(plan, brandId).map((p) => `${p.scenarioId}/${p.mailboxId}`);

  it('never asks a brand the same question from the same persona while combinations remain', () => {
    // 3 scenarios × 2 personas = 6 combinations
    const plan = planCampaign({ ...TEN_WEEKS, probesPerBrand: 6 }, BRANDS, SCENARIOS, MAILBOXES, 7);
    for (const b of BRANDS) expect(new Set(pairsOf(plan, b.id)).size).toBe(6);
  });

  it('asks every scenario once before asking any twice', () => {
    const plan = planCampaign({ ...TEN_WEEKS, probesPerBrand: 9 }, BRANDS, SCENARIOS, MAILBOXES, 7);
    for (const b of BRANDS) {
      const scenarios = ofBrand(plan, b.id).map((p) => p.scenarioId);
      for (let start = 0; start < 9; start += 3) expect(new Set(scenarios.slice(start, start + 3)).size).toBe(3);
    }
  });

  it('treats two mailboxes of one persona as one identity, taking turns', () => {
    const twoBoxes = [mailbox('m-marie-1', 'p-marie'), mailbox('m-marie-2', 'p-marie')];
    const plan = planCampaign({ ...TEN_WEEKS, probesPerBrand: 2 }, BRANDS, SCENARIOS.slice(0, 2), twoBoxes, 3);
    for (const b of BRANDS) {
      const probes = ofBrand(plan, b.id);
      expect(new Set(probes.map((p) => p.scenarioId)).size).toBe(2);
      expect(new Set(probes.map((p) => p.mailboxId)).size).toBe(2);
    }
  });

  it('renders subject and body with the persona and the brand, and writes to the brand in turn', () => {
    const twoContacts = [brand('b-alpha', 'Alpha', ['SAV@alpha.example', 'contact@alpha.example'])];
    const plan = planCampaign({ ...TEN_WEEKS, probesPerBrand: 4 }, twoContacts, SCENARIOS, [mailbox('m-marie', 'p-marie')], 5);
    for (const probe of plan) {
      expect(probe.body).toMatch(/^Bonjour Alpha,\n\nJe m'appelle Marie Dupont\. \(s-\d\)$/);
      expect(probe.subject).toBe(`Question ${probe.scenarioId}`);
      expect(probe.personaAddress).toBe('m-marie@sonde.example');
    }
    expect(new Set(plan.map((p) => p.recipient))).toEqual(new Set(['sav@alpha.example', 'contact@alpha.example']));
  });

  it('gives each probe its own natural-looking address where the mailbox has a pattern, never a taken one', () => {
    const taken = new Set(['marie.dupont.aa00@example.fr']);
    const patterned = [mailbox('m-marie', 'p-marie', 'Marie.Dupont.{token}@example.fr')];
    const plan = planCampaign(TEN_WEEKS, BRANDS, SCENARIOS, patterned, 11, { takenAddresses: taken });
    const addresses = plan.map((p) => p.personaAddress);
    for (const address of addresses) expect(address).toMatch(/^marie\.dupont\.[a-z]{2}\d{2}@example\.fr$/);
    expect(new Set(addresses).size).toBe(plan.length);
    expect(addresses).not.toContain('marie.dupont.aa00@example.fr');
  });

  it('keeps the other brands\' times when a brand is added with address patterns; an address changes only where the new brand took it', () => {
    const patterned = [mailbox('m-marie', 'p-marie', 'marie.dupont.{token}@example.fr')];
    const others = Array.from({ length: 20 }, (_, i) => brand(`b-${String(i + 10)}`, `Brand ${i}`));
    const newcomer = brand('b-00', 'Newcomer');
    for (const seed of [1, 4]) {
      const before = planCampaign(TEN_WEEKS, others, SCENARIOS, patterned, seed);
      const after = planCampaign(TEN_WEEKS, [newcomer, ...others], SCENARIOS, patterned, seed);
      const newcomers = new Set(ofBrand(after, newcomer.id).map((p) => p.personaAddress));
      for (const b of others) {
        const [was, is] = [ofBrand(before, b.id), ofBrand(after, b.id)];
        expect(is.map((p) => p.scheduledAt)).toEqual(was.map((p) => p.scheduledAt));
        is.forEach((probe, k) => {
          if (probe.personaAddress !== was[k]!.personaAddress) expect(newcomers).toContain(was[k]!.personaAddress);
        });
      }
    }
  });
});

describe('nextSendTime', () => {
  it('is now while the window is open, its next opening while it is shut (the weekend, the night), null when it never opens', () => {
    const tuesdayNoon = new Date('2025-03-04T12:00:00+01:00');
    expect(nextSendTime(tuesdayNoon, WEEKDAYS, PARIS)).toEqual(tuesdayNoon);
    expect(nextSendTime(new Date('2025-03-04T22:30:00+01:00'), WEEKDAYS, PARIS)).toEqual(new Date('2025-03-05T09:00:00+01:00'));
    expect(nextSendTime(new Date('2025-03-08T10:00:00+01:00'), WEEKDAYS, PARIS)).toEqual(new Date('2025-03-10T09:00:00+01:00'));
    expect(nextSendTime(tuesdayNoon, { days: [], from: '09:00', to: '18:00' }, PARIS)).toBeNull();
  });
});

describe('sendWindowIntervals', () => {
  it('keeps 09:00–18:00 on the wall clock across the spring clock change', () => {
    const intervals = sendWindowIntervals(new Date('2025-03-28T00:00:00+01:00'), new Date('2025-04-01T00:00:00+02:00'), WEEKDAYS, PARIS);
    // Friday 28 March (UTC+1) and Monday 31 March (UTC+2)
    expect(intervals.map(([s, e]) => [new Date(s).toISOString(), new Date(e).toISOString()])).toEqual([
      ['2025-03-28T08:00:00.000Z', '2025-03-28T17:00:00.000Z'],
      ['2025-03-31T07:00:00.000Z', '2025-03-31T16:00:00.000Z'],
    ]);
  });

  it('cuts the first and last days at the period, and reaches midnight with 24:00', () => {
    const intervals = sendWindowIntervals(
      new Date('2025-03-03T20:30:00+01:00'),
      new Date('2025-03-04T06:00:00+01:00'),
      { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
      PARIS,
    );
    expect(intervals.map(([s, e]) => [new Date(s).toISOString(), new Date(e).toISOString()])).toEqual([
      ['2025-03-03T19:30:00.000Z', '2025-03-03T23:00:00.000Z'],
      ['2025-03-03T23:00:00.000Z', '2025-03-04T05:00:00.000Z'],
    ]);
  });

  it('refuses an unknown timezone and a window that closes before it opens', () => {
    const [from, to] = [TEN_WEEKS.startsAt, TEN_WEEKS.endsAt];
    expect(() => sendWindowIntervals(from, to, WEEKDAYS, 'Europe/Lutece')).toThrow(/unknown timezone/);
    expect(() => sendWindowIntervals(from, to, { days: [1], from: '18:00', to: '09:00' }, PARIS)).toThrow(/open before/);
  });
});

describe('templates', () => {
  const context = { persona: { firstName: 'Marie', lastName: 'Dupont' }, brand: { name: 'Alpha' } };

  it('fills the persona and brand placeholders, spaces inside the braces allowed', () => {
    expect(renderTemplate('{{ persona.firstName }} {{persona.lastName}} écrit à {{brand.name}}', context)).toBe('Marie Dupont écrit à Alpha');
  });

  it('refuses an unknown placeholder rather than send it to a brand', () => {
    expect(unknownPlaceholders('Bonjour {{persona.age}} et {{brand.name}} {{x}}')).toEqual(['persona.age', 'x']);
    expect(() => renderTemplate('Bonjour {{persona.age}}', context)).toThrow(/unknown placeholder \{\{persona\.age\}\}/);
  });
});

describe('reminder texts', () => {
  it('prefixes the subject with Re: once', () => {
    expect(reminderSubject('Ma commande 4521')).toBe('Re: Ma commande 4521');
    expect(reminderSubject('Re: Ma commande 4521')).toBe('Re: Ma commande 4521');
    expect(reminderSubject('RE : Ma commande')).toBe('RE : Ma commande');
  });

  it('writes a short polite default in French, and in English for other languages, signed by the persona', () => {
    const persona = { firstName: 'Marie', lastName: 'Dupont' };
    const fr = defaultReminderBody('fr-FR', persona);
    expect(fr).toMatch(/^Bonjour,/);
    expect(fr).toMatch(/sans réponse/);
    expect(fr.trimEnd().endsWith('Marie Dupont')).toBe(true);
    const en = defaultReminderBody('de', persona);
    expect(en).toMatch(/^Hello,/);
    expect(en.trimEnd().endsWith('Marie Dupont')).toBe(true);
  });

  it('quotes the original below the new text, introduced as a mail client would, in the campaign timezone', () => {
    const original = { text: 'Bonjour,\n\nOù en est ma commande ?\n', sentAt: new Date('2024-03-04T09:12:00Z'), from: { name: 'Marie Dupont', address: 'marie@example.fr' } };
    expect(withQuote('Je vous relance.', original, 'fr', PARIS)).toBe(
      'Je vous relance.\n\nLe lun. 4 mars 2024 à 10:12, Marie Dupont <marie@example.fr> a écrit :\n> Bonjour,\n>\n> Où en est ma commande ?\n',
    );
    expect(withQuote('Any news?', original, 'en', PARIS)).toMatch(/^Any news\?\n\nOn Mon, 4 Mar 2024 at 10:12, Marie Dupont <marie@example\.fr> wrote:\n> Bonjour,/);
  });
});

describe('probe addresses and the generator', () => {
  it('puts the token in the pattern, lower-cased, and refuses a pattern without exactly one token', () => {
    expect(probeAddress('Marie.Dupont.{token}@Example.fr', 'jl42')).toBe('marie.dupont.jl42@example.fr');
    expect(() => probeAddress('marie@example.fr', 'jl42')).toThrow(PlanError);
    expect(() => probeAddress('{token}.{token}@example.fr', 'jl42')).toThrow(PlanError);
  });

  it('makes tokens of two letters and two digits', () => {
    const random = mulberry32(9);
    for (let i = 0; i < 200; i++) expect(probeToken(random)).toMatch(/^[a-z]{2}\d{2}$/);
  });

  it('draws the same sequence from the same seed, uniform in [0, 1)', () => {
    const a = mulberry32(2024);
    const b = mulberry32(2024);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});
