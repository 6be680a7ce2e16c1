/**
 * What the drills make through the API, as an audit team would: a sector and brands, test
 * mailboxes on the drill's Dovecot, campaigns and probes; and the mail brands send, as raw
 * messages to APPEND. Figures are read back through the API and the database.
 */
import { randomBytes } from 'node:crypto';
import type { MailUser } from '../../src/devtools/dovecot.ts';
import type { DrillApi } from './drill-harness.ts';
import { rawMail } from './mail-factory.ts';

export const HOUR_MS = 3_600_000;

export interface DrillBrand {
  id: string;
  name: string;
  domain: string;
  contact: string;
}

export async function createBrands(api: DrillApi, count: number, tag = randomBytes(2).toString('hex')): Promise<DrillBrand[]> {
  const sector = await api.post<{ id: string }>('/v1/sectors', { name: `Secteur ${tag}` });
  const brands: DrillBrand[] = [];
  for (let i = 0; i < count; i++) {
    const domain = `marque-${tag}-${i}.example`;
    const contact = `service.client@${domain}`;
    const created = await api.post<{ id: string }>('/v1/brands', {
      name: `Marque ${tag} ${i}`,
      sectorId: sector.id,
      contactAddresses: [contact],
      senderDomains: [domain],
    });
    brands.push({ id: created.id, name: `Marque ${tag} ${i}`, domain, contact });
  }
  return brands;
}

export interface DrillMailbox {
  id: string;
  address: string;
}

export async function createMailbox(
  api: DrillApi,
  imap: { host: string; port: number },
  user: MailUser,
  options: { smtp?: { host: string; port: number }; pollIntervalSeconds?: number; label?: string; enabled?: boolean } = {},
): Promise<DrillMailbox> {
  const login = { user: user.user, password: user.password };
  const created = await api.post<{ id: string; address: string }>('/v1/mailboxes', {
    label: options.label ?? `Boîte ${user.user}`,
    address: user.address,
    persona: { firstName: 'Marie', lastName: 'Dupont', gender: 'female' },
    imap: { host: imap.host, port: imap.port, secure: false, allowPlaintext: true, ...login },
    ...(options.smtp && { smtp: { host: options.smtp.host, port: options.smtp.port, secure: false, allowPlaintext: true, ...login } }),
    pollIntervalSeconds: options.pollIntervalSeconds ?? 5,
    enabled: options.enabled ?? true,
  });
  return { id: created.id, address: created.address };
}

export async function createCampaign(
  api: DrillApi,
  input: { brands: DrillBrand[]; mailboxIds: string[]; scenarioIds?: string[]; reminderAfterHours?: number; reminderMax?: number; periodMs?: number; probesPerBrand?: number },
): Promise<string> {
  const startsAt = new Date(Date.now() - 60_000);
  const campaign = await api.post<{ id: string }>('/v1/campaigns', {
    name: `Campagne ${randomBytes(2).toString('hex')}`,
    timezone: 'Europe/Paris',
    startsAt: startsAt.toISOString(),
    endsAt: new Date(Date.now() + (input.periodMs ?? 7 * 24 * HOUR_MS)).toISOString(),
    sendWindow: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
    probesPerBrand: input.probesPerBrand ?? 0,
    reminder: { afterHours: input.reminderAfterHours ?? 24, max: input.reminderMax ?? 0 },
    seed: 7,
    brandIds: input.brands.map((b) => b.id),
    scenarioIds: input.scenarioIds ?? [],
    mailboxIds: input.mailboxIds,
  });
  return campaign.id;
}

export async function createScenario(api: DrillApi): Promise<string> {
  const scenario = await api.post<{ id: string }>('/v1/scenarios', {
    name: 'Commande non reçue',
    language: 'fr',
    subject: 'Commande non reçue',
    body: 'Bonjour,\n\nJe n’ai pas reçu ma commande passée il y a dix jours. Pouvez-vous me dire où elle en est ?\n\nCordialement,\nMarie Dupont',
  });
  return scenario.id;
}

/** An e-mail probe sent outside the service (declared with its time and Message-ID): replies thread to it. */
export interface SentProbe {
  id: string;
  brand: DrillBrand;
  subject: string;
  messageId: string;
  sentAt: Date;
}

export async function declareSentProbes(
  api: DrillApi,
  campaignId: string,
  mailbox: DrillMailbox,
  brands: DrillBrand[],
  perBrand: number,
  sentAt: Date,
): Promise<SentProbe[]> {
  const probes: SentProbe[] = [];
  for (const brand of brands) {
    for (let i = 0; i < perBrand; i++) {
      const subject = `Question ${i} pour ${brand.name}`;
      const messageId = `${randomBytes(8).toString('hex')}@${mailbox.address.split('@')[1]}`;
      const created = await api.post<{ id: string }>('/v1/probes', {
        campaignId,
        brandId: brand.id,
        mailboxId: mailbox.id,
        channel: 'email',
        recipient: brand.contact,
        subject,
        body: 'Bonjour, où en est ma commande ? Marie Dupont',
        messageId,
        sentAt: sentAt.toISOString(),
      });
      probes.push({ id: created.id, brand, subject, messageId, sentAt });
    }
  }
  return probes;
}

/**
 * `total` messages for a mailbox: for each probe an acknowledgement and an answer some
 * hours later (deterministic from the probe's index), the rest unrelated mail from the day
 * before `start`. Two mailboxes given the same shape and `start` hold the same story and
 * must end with the same figures.
 */
export function brandMail(mailbox: DrillMailbox, probes: SentProbe[], total: number, start: Date): Array<{ raw: string; internalDate: Date }> {
  const messages: Array<{ raw: string; internalDate: Date }> = [];
  probes.forEach((probe, i) => {
    const ackAt = new Date(probe.sentAt.getTime() + (5 + i) * 60_000);
    messages.push({
      raw: rawMail({
        from: `ne-pas-repondre@${probe.brand.domain}`,
        to: mailbox.address,
        subject: `Accusé de réception : ${probe.subject}`,
        text: 'Nous avons bien reçu votre demande et nous vous répondrons dans les meilleurs délais.\nCeci est un message automatique.',
        inReplyTo: probe.messageId,
        references: [probe.messageId],
        headers: { 'Auto-Submitted': 'auto-replied' },
        date: ackAt,
      }),
      internalDate: ackAt,
    });
    if (i % 4 === 3) return; // a quarter of the brands never answer
    const answerAt = new Date(probe.sentAt.getTime() + (1 + (i % 30)) * HOUR_MS);
    messages.push({
      raw: rawMail({
        from: `Julie Martin <julie.martin@${probe.brand.domain}>`,
        to: mailbox.address,
        subject: `Re: ${probe.subject}`,
        text: `Bonjour Madame Dupont,\n\nVotre commande a été expédiée hier ; voici le numéro de suivi : ${1000 + i}.\n\nBien cordialement,\nJulie Martin\nService client`,
        inReplyTo: probe.messageId,
        references: [probe.messageId],
        date: answerAt,
      }),
      internalDate: answerAt,
    });
  });
  for (let i = messages.length; i < total; i++) {
    const at = new Date(start.getTime() - 24 * HOUR_MS + i * 1000);
    messages.push({
      raw: rawMail({
        from: `lettre@actus-${i % 50}.example`,
        to: mailbox.address,
        subject: `Lettre d'information n° ${i}`,
        text: `Les nouvelles de la semaine, numéro ${i}.\n${'Du texte pour remplir la lettre. '.repeat(20)}`,
        date: at,
      }),
      internalDate: at,
    });
  }
  return messages.sort((a, b) => a.internalDate.getTime() - b.internalDate.getTime());
}

/** Messages stored for a mailbox, and how many distinct Message-IDs they carry. */
export async function storedCounts(db: { count(text: string, values?: unknown[]): Promise<number> }, mailboxId: string): Promise<{ rows: number; distinct: number }> {
  const rows = await db.count('select count(*) from messages where mailbox_id = $1', [mailboxId]);
  const distinct = await db.count('select count(distinct internet_message_id) from messages where mailbox_id = $1', [mailboxId]);
  return { rows, distinct };
}
