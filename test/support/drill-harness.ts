/**
 * What a fault drill needs besides its servers (`drill-servers.ts`): the service started as
 * an operator starts it (`node bin/sonde.js start` in a child process of its own, with
 * `SONDE_ROLE`, its own database, queue prefix and port), an API client, a database handle to
 * check what the service stored, and one cleanup list undone in reverse order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, track, waitFor } from './drill-servers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Cleanups of one drill, run in reverse order whatever fails. */
export class Drill {
  private readonly undo: Array<() => Promise<unknown>> = [];
  readonly startedAt = Date.now();

  constructor(readonly name: string) {}

  defer(fn: () => Promise<unknown>): void {
    this.undo.push(fn);
  }

  async cleanup(): Promise<void> {
    const failures: unknown[] = [];
    for (const fn of this.undo.splice(0).reverse()) await fn().catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw new AggregateError(failures, `cleanup of drill ${this.name} failed`);
  }

  /** A folder of its own, removed at the end. */
  async dir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `sonde-drill-${this.name}-`));
    // DRILL_KEEP_LOGS=1 keeps the service's log files for a look after a failure
    if (process.env.DRILL_KEEP_LOGS) console.log(`[drill ${this.name}] logs in ${dir}`);
    else this.defer(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** The one-line summary the README's reliability section quotes. */
  report(figures: Record<string, unknown>): void {
    const parts = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v)}`);
    console.log(`[drill ${this.name}] ${parts.join(' ')} elapsedS=${((Date.now() - this.startedAt) / 1000).toFixed(1)}`);
  }
}

// ---------------------------------------------------------------- database

export interface DrillDatabase {
  name: string;
  url: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** A number from a one-row, one-column query. */
  count(text: string, values?: unknown[]): Promise<number>;
}

/**
 * A database name on `serverUrl` that the service creates and migrates at its start; dropped
 * at cleanup. Named `sonde_test_…` so that a later run drops it if this one dies.
 */
export function drillDatabase(drill: Drill, serverUrl = 'postgres://postgres@127.0.0.1:5432/postgres'): DrillDatabase {
  const name = `sonde_test_drill_${drill.name.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => {});
  drill.defer(async () => {
    await pool.end();
    if (process.env.DRILL_KEEP_LOGS) return console.log(`[drill ${drill.name}] database ${name} kept`);
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    } finally {
      await admin.end();
    }
  });
  const query = async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => (await pool.query<R>(text, values)).rows;
  return {
    name,
    url: url.toString(),
    query,
    async count(text, values) {
      const rows = await query(text, values);
      return Number(Object.values(rows[0] ?? { n: 0 })[0]);
    },
  };
}

// ---------------------------------------------------------------- the service

export interface ServiceSettings {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  adminKey: string;
  secretKey: string;
  /** Variables a drill lowers (poll interval, backoff bounds…). */
  env?: Record<string, string>;
}

export function serviceSettings(db: DrillDatabase, redisUrl: string, env: Record<string, string> = {}): ServiceSettings {
  return {
    databaseUrl: db.url,
    redisUrl,
    queuePrefix: `sonde-drill-${randomBytes(4).toString('hex')}`,
    adminKey: `drill-admin-${randomBytes(16).toString('hex')}`,
    secretKey: randomBytes(32).toString('base64'),
    env,
  };
}

export interface SondeProcess {
  pid: number;
  role: string;
  /** The API's URL when this process runs the api role. */
  url: string | null;
  /** Resolves when the process exits, with its code or signal. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly exited: boolean;
  /** The pino lines written so far, parsed. */
  logs(): Array<Record<string, unknown>>;
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Peak resident memory in MB (VmHWM), while alive. */
  peakRssMb(): Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `node bin/sonde.js start` with `SONDE_ROLE=role`, as the README's "Scaling out" runs it.
 * Resolves once the process says `sonde started`; its log lines go to `logFile` too.
 */
export async function startSonde(drill: Drill, settings: ServiceSettings, role: string, logDir: string): Promise<SondeProcess> {
  const port = role.includes('api') ? await freePort() : 0;
  const logFile = join(logDir, `sonde-${role.replace(/,/g, '+')}-${Date.now().toString(36)}.log`);
  const out: WriteStream = createWriteStream(logFile);
  const child: ChildProcess = track(
    spawn(process.execPath, [join(ROOT, 'bin/sonde.js'), 'start'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR,
        DATABASE_URL: settings.databaseUrl,
        REDIS_URL: settings.redisUrl,
        SONDE_QUEUE_PREFIX: settings.queuePrefix,
        SONDE_ROLE: role,
        PORT: String(port),
        HOST: '127.0.0.1',
        SONDE_ADMIN_KEY: settings.adminKey,
        SONDE_SECRET_KEY: settings.secretKey,
        // the drills' Dovecot, SMTP peers and proxies are on loopback; their API client is 127.0.0.1 too
        SONDE_ALLOW_PRIVATE_HOSTS: 'true',
        SONDE_RATE_LIMIT_PER_MINUTE: '100000',
        SONDE_AUTH_FAILURES_PER_MINUTE: '10000',
        LOG_LEVEL: 'info',
        ...settings.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  const take = (chunk: Buffer, stream: 'stdout' | 'stderr') => {
    out.write(chunk);
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line, stream });
      }
    }
    for (const wake of waiters) wake();
  };
  child.stdout!.on('data', (c: Buffer) => take(c, 'stdout'));
  child.stderr!.on('data', (c: Buffer) => take(c, 'stderr'));
  let done = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      out.end();
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (done) return;
    child.kill(signal);
    await Promise.race([exit, new Promise((r) => setTimeout(r, 40_000))]);
    if (!done) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  drill.defer(() => kill('SIGKILL'));

  const waitForLog = (match: (line: Record<string, unknown>) => boolean, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < lines.length; seen++) {
          if (match(lines[seen]!)) {
            cleanup();
            return resolve(lines[seen]!);
          }
        }
        if (done) {
          cleanup();
          reject(new Error(`sonde ${role} exited before the expected log line; last lines:\n${tail(lines)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`sonde ${role}: no expected log line after ${timeoutMs} ms; last lines:\n${tail(lines)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  await waitForLog((l) => l.msg === 'sonde started', 120_000);
  return {
    pid: child.pid!,
    role,
    url: port ? `http://127.0.0.1:${port}` : null,
    exit,
    get exited() {
      return done;
    },
    logs: () => lines,
    waitForLog,
    peakRssMb: async () => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      const kb = /VmHWM:\s+(\d+) kB/.exec(status);
      return kb ? Number(kb[1]) / 1024 : null;
    },
    kill,
  };
}

function tail(lines: Array<Record<string, unknown>>): string {
  return lines
    .slice(-15)
    .map((l) => JSON.stringify(l).slice(0, 400))
    .join('\n');
}

// ---------------------------------------------------------------- the API

export class DrillApi {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed };
  }

  async get<T = any>(path: string): Promise<T> {
    return this.ok<T>('GET', path);
  }

  async post<T = any>(path: string, body?: unknown): Promise<T> {
    return this.ok<T>('POST', path, body);
  }

  async patch<T = any>(path: string, body: unknown): Promise<T> {
    return this.ok<T>('PATCH', path, body);
  }

  private async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { status, body: payload } = await this.request(method, path, body);
    if (status >= 300) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(payload)}`);
    return payload as T;
  }
}

export function apiOf(service: SondeProcess, settings: ServiceSettings): DrillApi {
  if (!service.url) throw new Error(`sonde ${service.role} runs no API`);
  return new DrillApi(service.url, settings.adminKey);
}

export { waitFor };
