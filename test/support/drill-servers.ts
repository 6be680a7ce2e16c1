/**
 * The servers a fault drill owns and breaks on purpose: a private Redis, a private
 * PostgreSQL cluster, and a private Dovecot that can be stopped and started again with its
 * mail kept. Real binaries, real ports; each one is removed by its `destroy()`, and a drill
 * registers that with `Drill.defer` (see `drill-harness.ts`).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startDovecot, type DovecotServer } from '../../src/devtools/dovecot.ts';

const run = promisify(execFile);

/** Every process a drill spawned, killed hard if the test process exits without its cleanup. */
const spawned = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of spawned) if (child.exitCode === null) child.kill('SIGKILL');
});
export function track(child: ChildProcess): ChildProcess {
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  return child;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    import('node:net').then(({ connect }) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  });
}

async function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(timeoutMs)]);
}

// ---------------------------------------------------------------- Redis

export interface RedisServer {
  port: number;
  url: string;
  readonly running: boolean;
  /** SIGKILL: the data is gone (no persistence), as after a crash of an ephemeral Redis. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** `redis-server --port <free> --save '' --appendonly no`: nothing survives a restart. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = track(
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'], {
        stdio: 'ignore',
      }),
    );
    await waitFor(`redis on ${port}`, () => portOpen(port), 10_000, 50);
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (!c) return;
    c.kill('SIGKILL');
    await exited(c, 5000);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== null;
    },
    kill,
    start,
    destroy: kill,
  };
}

// ---------------------------------------------------------------- PostgreSQL

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresCluster {
  port: number;
  /** URL of a database on the cluster. */
  url(database: string): string;
  /** `pg_ctl stop -m fast` (or `immediate`): every backend is cut. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** A throwaway cluster: `initdb` + `pg_ctl` as the `postgres` system user, in a folder it owns, trust auth, on a free port. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const port = await freePort();
  const dir = join('/tmp', `sonde-drill-pg-${randomBytes(4).toString('hex')}`);
  const data = join(dir, 'data');
  await mkdir(dir, { mode: 0o700 });
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  const asPostgres = (cmd: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], { cwd: dir });
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C.UTF-8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-o', options, '-w', '-t', '30', 'start']);
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']).catch(() => undefined);
  };
  await start();
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    async destroy() {
      await stop('immediate');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- Dovecot

export interface DrillDovecot extends DovecotServer {
  /** Stops the server (every session cut, the port refused) and keeps its mail. */
  halt(): Promise<void>;
  /** Starts it again from the same config: same port, same mail. */
  resume(): Promise<void>;
  /** The server's log so far. */
  log(): Promise<string>;
}

export async function startDrillDovecot(): Promise<DrillDovecot> {
  const dovecot = await startDovecot();
  const masterPid = async () => Number((await readFile(join(dovecot.baseDir, 'run', 'master.pid'), 'utf8').catch(() => '')).trim());
  return {
    ...dovecot,
    async halt() {
      const pid = await masterPid();
      if (!(pid > 0)) return;
      process.kill(pid, 'SIGTERM');
      await waitFor('dovecot to stop', () => !isAlive(pid), 15_000, 50);
    },
    async resume() {
      // the master forks into the background and keeps the descriptors it inherited: no pipes
      const master = spawn('/usr/sbin/dovecot', ['-c', dovecot.configFile], { stdio: 'ignore' });
      await new Promise((resolve, reject) => master.once('exit', resolve).once('error', reject));
      await waitFor('dovecot to listen again', () => portOpen(dovecot.port), 10_000, 50);
    },
    log: () => readFile(join(dovecot.baseDir, 'dovecot.log'), 'utf8').catch(() => ''),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- a flaky network

export interface DroppingProxy {
  port: number;
  /** Connections cut so far. */
  readonly drops: number;
  destroy(): Promise<void>;
}

/**
 * A TCP proxy to `target` that cuts each connection after the client's `everyCommands`-th
 * command line (a server that drops its clients, or a NAT that forgets them): both sides see
 * the socket close in the middle of the session.
 */
export async function startDroppingProxy(target: { host: string; port: number }, everyCommands: number): Promise<DroppingProxy> {
  const { createServer: createTcpServer, connect } = await import('node:net');
  let drops = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let commands = 0;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      for (const byte of chunk) if (byte === 0x0a) commands++;
      if (commands >= everyCommands) {
        drops++;
        // let the command reach the server, then cut before its answer is complete
        setTimeout(cut, 5);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on('error', cut);
      s.on('close', () => (cut(), sockets.delete(s)));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get drops() {
      return drops;
    },
    async destroy() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
