/**
 * Parses fetched messages on a worker thread, one batch at a time: the sync's parsing
 * then runs on a second core while the main thread matches and stores the previous
 * batch. When the worker cannot start (or dies), batches are parsed in this thread.
 */
import { Worker } from 'node:worker_threads';
import type { FetchedMessage } from '../mail/imap-sync.ts';
import { prepareMessage, type PreparedMessage } from './prepare-message.ts';
import type { Logger } from '../logger.ts';

type Pending = { resolve: (prepared: PreparedMessage[]) => void; reject: (err: Error) => void };

export class PreparePool {
  private worker: Worker | null = null;
  private ready: Promise<boolean> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly logger?: Logger) {}

  private start(): Promise<boolean> {
    this.ready ??= new Promise<boolean>((resolve) => {
      const worker = new Worker(new URL('./prepare.worker.mjs', import.meta.url));
      worker.unref();
      worker.on('message', (message: { ready?: boolean; id?: number; prepared?: PreparedMessage[]; error?: string }) => {
        if (message.ready) return resolve(true);
        const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id!);
        if (message.error !== undefined) waiting.reject(new Error(message.error));
        else waiting.resolve(message.prepared!.map(revive));
      });
      const fail = (err: Error) => {
        this.logger?.warn({ err: { message: err.message } }, 'parse worker stopped: parsing in the main thread');
        for (const waiting of this.pending.values()) waiting.reject(err);
        this.pending.clear();
        this.worker = null;
        resolve(false);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => code !== 0 && fail(new Error(`parse worker exited with code ${code}`)));
      this.worker = worker;
    });
    return this.ready;
  }

  async prepare(messages: FetchedMessage[], maxBytes: number): Promise<PreparedMessage[]> {
    if (messages.length === 0) return [];
    if (!(await this.start()) || !this.worker) return Promise.all(messages.map((m) => prepareMessage(m, maxBytes)));
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise<PreparedMessage[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, messages, maxBytes });
    });
  }

  /** Whether batches go to the worker thread (false before the first batch, or after a fallback). */
  get threaded(): boolean {
    return this.worker !== null;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}

/** Buffers cross threads as plain Uint8Arrays: make them Buffers again. */
function revive(p: PreparedMessage): PreparedMessage {
  return {
    ...p,
    fetched: { ...p.fetched, source: toBuffer(p.fetched.source) },
    sha256: toBuffer(p.sha256),
    gz: toBuffer(p.gz),
  };
}

const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
