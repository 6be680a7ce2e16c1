/**
 * The brand simulator: the brands' side of a campaign, for the demo, tests and benchmarks.
 *
 * An SMTP server receives the probes and reminders the service sends. Each brand has a
 * behaviour (`brand-behaviours.ts`) that decides whether, when and how it answers; its
 * replies are written (`brand-replies.ts`) and put into the persona's test mailbox by IMAP
 * APPEND, dated as the behaviour says.
 *
 * The simulator keeps the service's `Timing`: an hour lasts `msPerHour`, and `now()` is the
 * service's clock. A reply due "5 hours" after the probe is appended `5 × msPerHour` ms after
 * the probe arrived, dated (INTERNALDATE and Date header) the probe's arrival plus 5 hours:
 * reminders, answers and their order come out as in real time, and the delays the service
 * measures are the behaviours' hours. Those dates must not lie ahead of the real time: Dovecot
 * moves an INTERNALDATE more than two hours ahead back to the present. A clock set behind
 * real time by more than the longest thread (a day and a few hours) keeps them in the past.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { BEHAVIOURS, hoursIn, seededRandom, type Behaviour, type BehaviourName, type PlannedReply } from './brand-behaviours.ts';
import { composeReply, type BrandIdentity, type ReceivedMessage, type SimulatedPersona } from './brand-replies.ts';
import type { Timing } from '../clock.ts';
import { appendMessage, type ImapCredentials, type ImapServer } from './imap.ts';

export { logoHint, type BrandIdentity, type SimulatedPersona } from './brand-replies.ts';

export interface SimulatedBrand extends BrandIdentity {
  behaviour: BehaviourName | Behaviour;
}

/** A persona and the test mailbox its brands' replies go to. */
export interface PersonaMailbox extends SimulatedPersona {
  imap: ImapServer & ImapCredentials;
}

export type SimulatorEvent =
  | { type: 'received'; brand: string; message: 'probe' | 'reminder'; persona: string; subject: string }
  /** A reply was put into the persona's mailbox, `hours` simulated hours after the probe. */
  | { type: 'replied'; brand: string; kind: PlannedReply['kind']; persona: PersonaMailbox; hours: number; messageId: string }
  | { type: 'error'; error: Error };

export interface BrandSimulatorOptions {
  brands: readonly SimulatedBrand[];
  personas: readonly PersonaMailbox[];
  /** What the brands answer, by the probe's subject; a question not listed gets a stock text. */
  answers?: Readonly<Record<string, readonly string[]>>;
  /** The service's clock and hour length. */
  timing: Timing;
  /** Draws the delays within each behaviour's bounds; the same seed, the same delays. */
  seed?: number;
  host?: string;
  onEvent?: (event: SimulatorEvent) => void;
}

interface Thread {
  brand: SimulatedBrand;
  behaviour: Behaviour;
  persona: PersonaMailbox;
  probe: ReceivedMessage;
  ticket: number;
  draw: () => number;
}

const HOUR_MS = 3_600_000;

export class BrandSimulator {
  private readonly server: SMTPServer;
  private readonly threads = new Map<string, Thread>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly probesPerBrand = new Map<string, number>();
  private readonly failures: Error[] = [];
  private listening: { host: string; port: number } | null = null;

  private constructor(private readonly options: BrandSimulatorOptions) {
    this.server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // the persona's provider and the brand's mail server in one: any login is accepted
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
      onRcptTo: (address, _session, callback) => {
        if (this.brandAt(address.address)) return callback();
        callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => void this.receive(Buffer.concat(chunks), session).then(() => callback(), callback));
      },
    });
    this.server.on('error', (error) => this.fail(error));
  }

  /** Starts the SMTP server on a free port of `host` (loopback by default). */
  static async start(options: BrandSimulatorOptions): Promise<BrandSimulator> {
    const simulator = new BrandSimulator(options);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      simulator.server.server.once('error', reject);
      simulator.server.listen(0, host, () => resolve());
    });
    const port = (simulator.server.server.address() as { port: number }).port;
    simulator.listening = { host, port };
    return simulator;
  }

  /** Where the service sends: the SMTP settings of every persona's mailbox. */
  get smtp(): { host: string; port: number } {
    if (!this.listening) throw new Error('the brand simulator is not listening');
    return this.listening;
  }

  /** Replies planned or being written: 0 once every brand has done all it will do until the next message. */
  get pending(): number {
    return this.timers.size + this.inFlight.size;
  }

  /** What went wrong so far (a reply that could not be appended, a message from an unknown persona). */
  get errors(): readonly Error[] {
    return this.failures;
  }

  /** Stops receiving, drops the replies not written yet, and waits for those being written. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.allSettled([...this.inFlight]);
  }

  private async receive(raw: Buffer, session: SMTPServerSession): Promise<void> {
    const brand = session.envelope.rcptTo.map((r) => this.brandAt(r.address)).find((b) => b !== undefined);
    if (!brand) return; // refused at RCPT TO: never here
    const parsed = await simpleParser(raw);
    // the envelope sender is the mailbox's own address even when the From is a per-probe one
    const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : (parsed.from?.value[0]?.address ?? '');
    const persona = this.options.personas.find((p) => same(p.address, sender));
    if (!persona) {
      this.fail(new Error(`${brand.name} received a message from ${sender}, which is no persona's mailbox: it cannot answer`));
      return;
    }
    const message = received(parsed, raw, this.options.timing.now());
    const thread = this.threadOf(parsed);
    if (thread) {
      this.emit({ type: 'received', brand: brand.name, message: 'reminder', persona: personaName(persona), subject: message.subject });
      this.plan(thread, thread.behaviour.onReminder, message);
      return;
    }
    const behaviour = typeof brand.behaviour === 'string' ? BEHAVIOURS[brand.behaviour] : brand.behaviour;
    const index = this.probesPerBrand.get(brand.name) ?? 0;
    this.probesPerBrand.set(brand.name, index + 1);
    const fresh: Thread = {
      brand,
      behaviour,
      persona,
      probe: message,
      ticket: 48_213 + this.threads.size * 37,
      draw: seededRandom(hash(`${this.options.seed ?? 0}:${brand.name}:${index}`)),
    };
    this.threads.set(key(message.messageId), fresh);
    this.emit({ type: 'received', brand: brand.name, message: 'probe', persona: personaName(persona), subject: message.subject });
    this.plan(fresh, behaviour.onProbe, message);
  }

  /** The thread a message continues: one whose probe it replies to or refers to. */
  private threadOf(parsed: ParsedMail): Thread | undefined {
    const references = [parsed.inReplyTo ?? '', ...[parsed.references ?? []].flat()].flatMap((value) => value.split(/\s+/));
    for (const reference of references) {
      const thread = this.threads.get(key(reference));
      if (thread) return thread;
    }
    return undefined;
  }

  /** Schedules each planned reply at its hour, counted from the probe's arrival in hours of `msPerHour`. */
  private plan(thread: Thread, replies: readonly PlannedReply[], trigger: ReceivedMessage): void {
    const { now, msPerHour } = this.options.timing;
    const anchor = thread.probe.receivedAt.getTime();
    const triggerHours = (trigger.receivedAt.getTime() - anchor) / msPerHour;
    for (const reply of replies) {
      const hours = Math.round((triggerHours + hoursIn(reply.hours, thread.draw())) * 100) / 100;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const writing = this.write(thread, reply, trigger, hours).finally(() => this.inFlight.delete(writing));
        this.inFlight.add(writing);
      }, Math.max(0, anchor + hours * msPerHour - now().getTime()));
      this.timers.add(timer);
    }
  }

  private async write(thread: Thread, reply: PlannedReply, trigger: ReceivedMessage, hours: number): Promise<void> {
    const { brand, persona, probe } = thread;
    const date = new Date(probe.receivedAt.getTime() + hours * HOUR_MS);
    try {
      const composed = await composeReply(reply, {
        brand,
        persona,
        probe,
        trigger,
        date,
        substance: this.answerTo(probe.subject),
        ticket: thread.ticket,
      });
      await appendMessage(persona.imap, persona.imap, 'INBOX', composed.raw, date);
      this.emit({ type: 'replied', brand: brand.name, kind: reply.kind, persona, hours, messageId: composed.messageId });
    } catch (err) {
      this.fail(new Error(`${brand.name} could not put its ${reply.kind} in ${persona.address}'s mailbox: ${(err as Error).message}`, { cause: err }));
    }
  }

  private answerTo(subject: string): readonly string[] | null {
    const wanted = normaliseSubject(subject);
    const entry = Object.entries(this.options.answers ?? {}).find(([question]) => normaliseSubject(question) === wanted);
    return entry?.[1] ?? null;
  }

  private brandAt(address: string): SimulatedBrand | undefined {
    return this.options.brands.find((brand) => same(brand.contactAddress, address));
  }

  private fail(error: Error): void {
    this.failures.push(error);
    this.emit({ type: 'error', error });
  }

  private emit(event: SimulatorEvent): void {
    this.options.onEvent?.(event);
  }
}

function received(parsed: ParsedMail, raw: Buffer, receivedAt: Date): ReceivedMessage {
  const from = parsed.from?.value[0];
  return {
    messageId: key(parsed.messageId ?? ''),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    receivedAt,
    from: { name: from?.name ?? '', address: from?.address ?? '' },
    raw,
  };
}

function personaName(persona: SimulatedPersona): string {
  return `${persona.firstName} ${persona.lastName}`;
}

/** A Message-ID as compared: no angle brackets, lower case. */
function key(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '').toLowerCase();
}

function same(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function normaliseSubject(subject: string): string {
  return subject.replace(/^\s*(re|tr|fwd?)\s*:\s*/i, '').trim().toLowerCase();
}

/** FNV-1a: a seed per brand and probe from a string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
