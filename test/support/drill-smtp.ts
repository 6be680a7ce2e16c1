/**
 * The SMTP peer of the sending drills: a real SMTP server (smtp-server) standing for the
 * brands' mail servers, which counts every message whose DATA it received in full, by
 * Message-ID. It can hold its final reply to DATA (a slow server): the message is in its
 * hands, the client has not heard the 250 yet; that is the window drill 2 kills a worker in.
 */
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMessage {
  messageId: string;
  inReplyTo: string | null;
  from: string;
  to: string[];
  subject: string;
  at: Date;
}

export interface SmtpPeer {
  host: string;
  port: number;
  received: ReceivedMessage[];
  /** How many times the message with this Message-ID came in full. */
  count(messageId: string): number;
  /** The next message's final reply waits until `release()` (or the client goes away). */
  holdNext(): void;
  /** Resolves with the held message once its DATA is complete. */
  held(): Promise<ReceivedMessage>;
  release(): void;
  /** Called for each message received (to play a brand answering). */
  onMessage?: (message: ReceivedMessage) => Promise<void> | void;
  close(): Promise<void>;
}

const bare = (id: string | undefined | null) => (id ? id.replace(/^<|>$/g, '').trim().toLowerCase() : '');

export async function startSmtpPeer(): Promise<SmtpPeer> {
  const received: ReceivedMessage[] = [];
  let holding = false;
  let heldMessage: { resolve: (m: ReceivedMessage) => void; promise: Promise<ReceivedMessage> } | null = null;
  let releaseHeld: (() => void) | null = null;
  const peer: SmtpPeer = {
    host: '127.0.0.1',
    port: 0,
    received,
    count: (messageId) => received.filter((m) => m.messageId === bare(messageId)).length,
    holdNext() {
      holding = true;
      let resolve!: (m: ReceivedMessage) => void;
      const promise = new Promise<ReceivedMessage>((r) => (resolve = r));
      heldMessage = { resolve, promise };
    },
    held: () => heldMessage?.promise ?? Promise.reject(new Error('holdNext() was not called')),
    release: () => releaseHeld?.(),
    close: () => {
      releaseHeld?.();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'drill' }),
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        void simpleParser(Buffer.concat(chunks)).then(async (parsed) => {
          const message: ReceivedMessage = {
            messageId: bare(parsed.messageId),
            inReplyTo: parsed.inReplyTo ? bare(parsed.inReplyTo) : null,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            subject: parsed.subject ?? '',
            at: new Date(),
          };
          received.push(message);
          if (holding) {
            holding = false;
            heldMessage?.resolve(message);
            // the reply waits: the client dies first, or the test lets it go
            await new Promise<void>((resolve) => (releaseHeld = resolve));
          }
          await peer.onMessage?.(message);
          callback(null, `2.0.0 Ok: queued as ${received.length}`);
        });
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  peer.port = typeof address === 'object' && address ? address.port : 0;
  return peer;
}
