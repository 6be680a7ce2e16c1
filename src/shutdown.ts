/**
 * The critical sections under way in this process, which a stop always waits for however
 * long they take: a send between the start of its SMTP conversation and the record of the
 * server's acceptance. Cut there, a message the server took would be found `sending` with
 * nobody to say whether it left.
 */
export class Shutdown {
  private readonly sections = new Map<number, string>();
  private next = 0;
  private idleWaiters: Array<() => void> = [];

  /** What runs inside a critical section now, in words. */
  get critical(): string[] {
    return [...this.sections.values()];
  }

  /** Runs `work` as a critical section named `what`: a stop waits for its end. */
  async section<T>(what: string, work: () => Promise<T>): Promise<T> {
    const id = this.next++;
    this.sections.set(id, what);
    try {
      return await work();
    } finally {
      this.sections.delete(id);
      if (this.sections.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves once no critical section runs. */
  idle(): Promise<void> {
    if (this.sections.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** The process's: its sends enter it, the `sonde start` signal handler waits for it past the stop bound. */
export const PROCESS_SHUTDOWN = new Shutdown();
