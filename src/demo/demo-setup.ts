/**
 * The demo's campaign, made through the API as an audit team would make it: a sector, the
 * brands with their sender domains and charter, a test mailbox per persona (IMAP on the
 * private Dovecot, SMTP through the brand simulator), the scenarios, and a draft campaign
 * whose period is a few simulated hours from now.
 */
import { logoHint, type PersonaMailbox } from '../devtools/brand-simulator.ts';
import type { ApiClient } from './api-client.ts';
import type { DemoBrand, DemoScenario } from './demo-world.ts';

export interface DemoCampaign {
  campaignId: string;
  /** The brands by their id in the service. */
  brands: Map<string, DemoBrand>;
  /** The personas by their mailbox's id. */
  mailboxes: Map<string, PersonaMailbox>;
  probes: number;
  startedAt: Date;
}

export interface CampaignPlan {
  brands: readonly DemoBrand[];
  personas: readonly PersonaMailbox[];
  scenarios: readonly DemoScenario[];
  smtp: { host: string; port: number };
  probesPerBrand: number;
  /** Real milliseconds the period lasts: the probes go out over it. */
  periodMs: number;
  seed: number;
}

const ALL_DAY_EVERY_DAY = { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' };

export async function createDemoCampaign(api: ApiClient, plan: CampaignPlan): Promise<DemoCampaign> {
  const sector = await api.post<{ id: string }>('/v1/sectors', { name: 'Commerce en ligne' });

  const brands = new Map<string, DemoBrand>();
  for (const brand of plan.brands) {
    const created = await api.post<{ id: string }>('/v1/brands', {
      name: brand.name,
      sectorId: sector.id,
      contactAddresses: [brand.contactAddress],
      senderDomains: [brand.domain, ...(brand.helpdeskDomain ? [brand.helpdeskDomain] : [])],
      charter: { logoHints: [logoHint(brand.name)], colors: [...brand.colors] },
    });
    brands.set(created.id, brand);
  }

  const mailboxes = new Map<string, PersonaMailbox>();
  for (const persona of plan.personas) {
    const login = { user: persona.imap.user, password: persona.imap.password };
    const created = await api.post<{ id: string }>('/v1/mailboxes', {
      label: `${persona.firstName} ${persona.lastName}`,
      address: persona.address,
      persona: { firstName: persona.firstName, lastName: persona.lastName, gender: persona.gender },
      imap: { host: persona.imap.host, port: persona.imap.port, secure: false, allowPlaintext: true, ...login },
      smtp: { host: plan.smtp.host, port: plan.smtp.port, secure: false, allowPlaintext: true, ...login },
      // the demo asks for a poll whenever a brand has written; the scheduler's polls are the safety net
      pollIntervalSeconds: 5,
    });
    mailboxes.set(created.id, persona);
  }

  const scenarioIds: string[] = [];
  for (const scenario of plan.scenarios) {
    const { name, subject, body, expectedPoints } = scenario;
    scenarioIds.push((await api.post<{ id: string }>('/v1/scenarios', { name, language: 'fr', subject, body, expectedPoints })).id);
  }

  const startedAt = new Date();
  const campaign = await api.post<{ id: string }>('/v1/campaigns', {
    name: 'Démo : le service client de la vente en ligne',
    timezone: 'Europe/Paris',
    startsAt: startedAt.toISOString(),
    endsAt: new Date(startedAt.getTime() + plan.periodMs).toISOString(),
    sendWindow: ALL_DAY_EVERY_DAY,
    probesPerBrand: plan.probesPerBrand,
    reminder: { afterHours: 24, max: 1 },
    seed: plan.seed,
    brandIds: [...brands.keys()],
    scenarioIds,
    mailboxIds: [...mailboxes.keys()],
  });
  return { campaignId: campaign.id, brands, mailboxes, probes: plan.brands.length * plan.probesPerBrand, startedAt };
}
