/**
 * What the demo shows while the campaign runs, one line per event, stamped with the
 * campaign's simulated clock: probes and reminders sent and what the brands do (as the
 * brand simulator sees them, the moment they happen), messages synced and matched, answers
 * analysed, sending failures (read from the API). The API reads double as the demo's view
 * of where the campaign is.
 */
import type { SimulatorEvent } from '../devtools/brand-simulator.ts';
import type { ApiClient } from './api-client.ts';

export interface ProbeView {
  id: string;
  brandId: string;
  mailboxId: string;
  subject: string | null;
  status: 'planned' | 'sending' | 'sent' | 'failed' | 'cancelled';
  error: string | null;
  outcome: { score: number | null } | null;
}

interface MessageView {
  id: string;
  from: string | null;
  kind: string;
  probeId: string | null;
  match: { rule: string; confidence: number } | null;
}

interface ProbeDetail {
  replies?: { id: string; kind: string }[];
}

interface ReplyDetail {
  /** As the thread decides it: a receipt after the answer is a follow-up. */
  kind: string;
  analysis: { result: { spelling?: { errors: unknown[] } } } | null;
}

export interface ProgressDeps {
  api: ApiClient;
  campaignId: string;
  /** Brand names by id, persona names by mailbox id. */
  brands: ReadonlyMap<string, string>;
  personas: ReadonlyMap<string, string>;
  /** Simulated hours since the campaign started. */
  clock: () => number;
  write: (line: string) => void;
}

type Replied = Extract<SimulatorEvent, { type: 'replied' }>;

const BRAND_DOES: Record<Replied['kind'], (brand: string, persona: string) => string> = {
  answer: (brand, persona) => `${brand} answers ${persona}`,
  acknowledgement: (brand, persona) => `${brand} sends ${persona} an automatic receipt`,
  'delivery-failure': (brand, persona) => `the mail server of ${brand} bounces ${persona}'s message`,
  survey: (brand, persona) => `${brand} sends ${persona} a satisfaction survey`,
};

export class ProgressReport {
  private readonly statuses = new Map<string, ProbeView['status']>();
  private readonly analysed = new Set<string>();
  private readonly synced = new Set<string>();

  constructor(private readonly deps: ProgressDeps) {}

  /** The brands' side, as the simulator sees it: what reaches them, and what they send back. */
  simulatorEvent(event: SimulatorEvent): void {
    if (event.type === 'received') {
      const route = `${event.persona} → ${event.brand}: « ${event.subject} »`;
      this.line(event.message === 'probe' ? 'sent' : 'reminder', event.message === 'probe' ? route : `${route}, no answer after 24 h`);
    } else if (event.type === 'replied') {
      const does = BRAND_DOES[event.kind](event.brand, `${event.persona.firstName} ${event.persona.lastName}`);
      this.line('brand', `${does}, ${afterProbe(event.hours)}`);
    } else {
      this.line('error', event.error.message);
    }
  }

  /** Reads the mailboxes' messages and the campaign's probes, prints what changed, and returns the probes. */
  async refresh(): Promise<ProbeView[]> {
    const probes = await this.deps.api.list<ProbeView>(`/v1/probes?campaignId=${this.deps.campaignId}`);
    for (const mailboxId of this.deps.personas.keys()) {
      for (const message of await this.deps.api.list<MessageView>(`/v1/messages?mailboxId=${mailboxId}`)) {
        if (this.synced.has(message.id)) continue;
        this.synced.add(message.id);
        this.line('synced', await this.describeMessage(message, mailboxId, probes));
      }
    }
    for (const probe of probes) await this.probeChanges(probe);
    return probes;
  }

  private async probeChanges(probe: ProbeView): Promise<void> {
    if (this.statuses.get(probe.id) !== probe.status) {
      this.statuses.set(probe.id, probe.status);
      const route = `${this.persona(probe.mailboxId)} → ${this.brand(probe.brandId)}`;
      if (probe.status === 'failed') this.line('failed', `${route}: ${probe.error ?? 'no reason given'}`);
    }
    const score = probe.outcome?.score ?? null;
    if (score !== null && !this.analysed.has(probe.id)) {
      this.analysed.add(probe.id);
      this.line('analysed', `${this.brand(probe.brandId)}'s answer to ${this.persona(probe.mailboxId)}: ${await this.spellingOf(probe.id)}, note ${score.toFixed(1)}/100`);
    }
  }

  private async spellingOf(probeId: string): Promise<string> {
    const detail = await this.deps.api.get<ProbeDetail>(`/v1/probes/${probeId}`);
    const answer = detail.replies?.find((reply) => reply.kind === 'answer');
    if (!answer) return 'spelling not checked';
    const reply = await this.deps.api.get<ReplyDetail>(`/v1/replies/${answer.id}`);
    const errors = reply.analysis?.result.spelling?.errors.length;
    return errors === undefined ? 'spelling not checked' : errors === 0 ? 'no spelling error' : `${errors} spelling error${errors > 1 ? 's' : ''}`;
  }

  private async describeMessage(message: MessageView, mailboxId: string, probes: readonly ProbeView[]): Promise<string> {
    const probe = probes.find((p) => p.id === message.probeId);
    const where = `in ${this.persona(mailboxId)}'s mailbox`;
    if (!probe || !message.match) {
      return `${message.kind.replace('_', '-')} from ${message.from ?? 'an unknown sender'} ${where}: no probe matched, it waits in the review queue`;
    }
    // a matched message is a reply of its probe's thread, whose kind the thread settles
    const reply = await this.deps.api.get<ReplyDetail>(`/v1/replies/${message.id}`);
    const rule = `${message.match.rule} (${message.match.confidence.toFixed(2)})`;
    return `${reply.kind.replace('_', '-')} from ${this.brand(probe.brandId)} ${where}, matched to its probe by ${rule}`;
  }

  private brand(id: string): string {
    return this.deps.brands.get(id) ?? id;
  }

  private persona(mailboxId: string): string {
    return this.deps.personas.get(mailboxId) ?? mailboxId;
  }

  private line(what: 'sent' | 'reminder' | 'brand' | 'synced' | 'analysed' | 'failed' | 'error', text: string): void {
    const clock = `h+${this.deps.clock().toFixed(1)}`.padStart(7);
    this.deps.write(`  ${clock}  ${what.padEnd(8)}  ${text}`);
  }
}

/** "3 min after the probe", "16.7 h after the probe". */
function afterProbe(hours: number): string {
  return hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min after the probe` : `${hours.toFixed(1)} h after the probe`;
}
