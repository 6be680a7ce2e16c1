/**
 * A private Dovecot 2.3 IMAP server for the integration tests, the benchmarks and
 * `sonde demo`: Debian's binaries, started as root from a config file of its own in
 * a fresh folder under the system's temporary folder, listening on a free loopback port.
 * Real server, real protocol: nothing here mocks IMAP.
 *
 * Dovecot drops privileges to unprivileged system users: `dovenull` for the
 * login processes and `dovecot` for auth, both made by Debian's `dovecot-core`
 * (installed by `scripts/test-services.sh`), while Debian's own `mail` account
 * owns the mail folders.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, chown, mkdir, mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { connectImap } from './imap.ts';

const run = promisify(execFile);

/** Base folders are named so that a later run can recognise, and clean up, those of a crashed run. */
const BASE_DIR_PREFIX = 'sonde-dovecot-';
/** A run that owns a Dovecot for this long is presumed dead even if its pid was reused. */
const STALE_AFTER_MS = 12 * 60 * 60 * 1000;
const LOGIN_USER = 'dovenull';
const INTERNAL_USER = 'dovecot';
const MAIL_USER = 'mail';
/** Domain of the test users' addresses; `.test` is reserved and never routes anywhere. */
const MAIL_DOMAIN = 'sonde.test';
const PORT_ATTEMPTS = 5;
const CONFIG_FILE = 'dovecot.conf';
/** What Dovecot 2.3.19 announces after login here, without IDLE (`withoutIdle`). */
const CAPABILITIES_WITHOUT_IDLE =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT ' +
  'MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ' +
  'ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE';

/** Where a running test Dovecot is and how to administer it: plain data, so a global setup can `provide` it to test workers. */
export interface DovecotHandle {
  host: string;
  port: number;
  baseDir: string;
  configFile: string;
  /** One passwd-file per user (see `createMailUser`). */
  passwdDir: string;
  /** Owner of every mail folder (the `mail` system user). */
  mailUid: number;
  mailGid: number;
}

export interface MailUser {
  /** IMAP login name. */
  user: string;
  password: string;
  /** E-mail address of the mailbox, in the reserved `.test` domain. */
  address: string;
}

export interface DovecotServer extends DovecotHandle {
  createUser(name?: string): Promise<MailUser>;
  resetUidValidity(user: string, mailbox: string, uidValidity?: number): Promise<number>;
  /** Stops the server and removes its folder, mail and log included. */
  stop(): Promise<void>;
}

export interface DovecotOptions {
  /**
   * Also accept XOAUTH2 / OAUTHBEARER logins, checked by Dovecot's `oauth2` passdb
   * against this RFC 7662 introspection endpoint (POST `token=...`), which answers
   * `{"active": true, "username": "<user>"}` for a valid access token.
   */
  oauth2?: { introspectionUrl: string };
  /** Leave IDLE out of the capabilities announced after login, as servers without it do (the watch then falls back to polling). */
  withoutIdle?: boolean;
}

/** Starts a private Dovecot and resolves once its IMAP port answers a login. Must run as root. */
export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  if (process.getuid?.() !== 0) {
    throw new Error('the private Dovecot must be started as root: it switches to its own unprivileged users');
  }
  await removeStaleDovecots();
  const dovecot = await findBinary('dovecot');
  // The login user need only exist; Dovecot looks it up by name.
  const [, internal, mail] = await Promise.all([
    systemAccount(LOGIN_USER),
    systemAccount(INTERNAL_USER),
    systemAccount(MAIL_USER),
  ]);
  await assertTraversable(tmpdir());

  const baseDir = await mkdtemp(join(tmpdir(), BASE_DIR_PREFIX));
  const configFile = join(baseDir, CONFIG_FILE);
  const passwdDir = join(baseDir, 'passwd');
  const host = '127.0.0.1';
  try {
    await writeFile(join(baseDir, 'owner.pid'), `${process.pid}\n`);
    // mkdtemp makes the folder 0700; Dovecot's own users must be able to traverse it.
    await chmod(baseDir, 0o755);
    // Read by the auth process (the internal user); setgid so every file made here is in its group.
    await mkdir(passwdDir);
    await chown(passwdDir, 0, internal.gid);
    await chmod(passwdDir, 0o2750);
    await mkdir(join(baseDir, 'home'), { mode: 0o755 });
    const oauth2File = options.oauth2 ? join(baseDir, 'dovecot-oauth2.conf.ext') : null;
    if (oauth2File && options.oauth2) await writeFile(oauth2File, renderOAuth2Config(options.oauth2.introspectionUrl));
    const port = await startOnFreePort(dovecot, configFile, (candidate) =>
      renderConfig({ baseDir, host, port: candidate, passwdDir, mailUid: mail.uid, mailGid: mail.gid, oauth2File, withoutIdle: options.withoutIdle ?? false }),
    );
    const handle: DovecotHandle = { host, port, baseDir, configFile, passwdDir, mailUid: mail.uid, mailGid: mail.gid };
    await expectLogin(handle);
    return {
      ...handle,
      createUser: (name) => createMailUser(handle, name),
      resetUidValidity: (user, mailbox, uidValidity) => resetUidValidity(handle, user, mailbox, uidValidity),
      stop: () => stopDovecot(baseDir),
    };
  } catch (err) {
    if (err instanceof Error) err.message += await logTail(baseDir);
    await stopDovecot(baseDir);
    throw err;
  }
}

/**
 * Adds an IMAP user to a running server, usable at once and from any test
 * worker. Each user has a passwd-file of its own: Dovecot stats a passwd-file
 * at most once a second, so a user appended to a shared file could stay
 * unknown for a second, whereas a new file is read at its first lookup.
 * `name` is a prefix: a random suffix keeps apart the users of test files that
 * share one server.
 */
export async function createMailUser(dovecot: DovecotHandle, name = 'user'): Promise<MailUser> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`unusable IMAP user name prefix: ${JSON.stringify(name)}`);
  const user = `${name}-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const home = join(dovecot.baseDir, 'home', user);
  await mkdir(home, { mode: 0o700 });
  await chown(home, dovecot.mailUid, dovecot.mailGid);
  const entry = `${user}:{PLAIN}${password}:${dovecot.mailUid}:${dovecot.mailGid}::${home}::\n`;
  await writeFile(join(dovecot.passwdDir, user), entry, { mode: 0o640, flag: 'wx' });
  return { user, password, address: `${user}@${MAIL_DOMAIN}` };
}

/**
 * Gives a mailbox a new UIDVALIDITY, as a server does after rebuilding its
 * indexes: every UID a client knew becomes meaningless. Without a value, the
 * current one plus one. Returns the new value.
 */
export async function resetUidValidity(
  dovecot: DovecotHandle,
  user: string,
  mailbox: string,
  uidValidity?: number,
): Promise<number> {
  const doveadm = await findBinary('doveadm');
  const next = uidValidity ?? nextUidValidity(await currentUidValidity(doveadm, dovecot.configFile, user, mailbox));
  await run(doveadm, ['-c', dovecot.configFile, 'mailbox', 'update', '-u', user, '--uid-validity', String(next), mailbox]);
  return next;
}

/**
 * The IMAP sessions open on the server (`doveadm who`), one per connection, of one user or
 * of all: how tests and benchmarks count the connections a process holds.
 */
export async function listSessions(dovecot: DovecotHandle, user?: string): Promise<Array<{ user: string; pid: number }>> {
  const doveadm = await findBinary('doveadm');
  const { stdout } = await run(doveadm, ['-c', dovecot.configFile, 'who', '-1', ...(user ? [user] : [])]);
  const sessions: Array<{ user: string; pid: number }> = [];
  for (const line of stdout.split('\n')) {
    const [name, proto, pid] = line.trim().split(/\s+/);
    if (name && proto === 'imap' && Number(pid) > 0) sessions.push({ user: name, pid: Number(pid) });
  }
  return sessions;
}

/** Closes every IMAP session of a user, as a server restart or a network cut would. */
export async function kickUser(dovecot: DovecotHandle, user: string): Promise<void> {
  const doveadm = await findBinary('doveadm');
  await run(doveadm, ['-c', dovecot.configFile, 'kick', user]);
}

/**
 * Stops and removes the Dovecots of earlier runs that died without their
 * teardown: those whose owning process is gone, or that are older than any
 * test run could be.
 */
export async function removeStaleDovecots(): Promise<void> {
  const names = (await readdir(tmpdir())).filter((name) => name.startsWith(BASE_DIR_PREFIX));
  for (const name of names) {
    const baseDir = join(tmpdir(), name);
    if (await isStale(baseDir)) await stopDovecot(baseDir);
  }
}

async function isStale(baseDir: string): Promise<boolean> {
  const info = await stat(baseDir).catch(() => undefined);
  if (!info) return false; // removed meanwhile by another run
  const age = Date.now() - info.mtimeMs;
  if (age > STALE_AFTER_MS) return true;
  const owner = Number((await readFile(join(baseDir, 'owner.pid'), 'utf8').catch(() => '')).trim());
  // No owner yet: a run that is creating the folder right now, unless it died doing so.
  if (!(owner > 0)) return age > 60_000;
  return !isAlive(owner) || (await isZombie(owner));
}

/** A killed process whose parent died too can stay a zombie under a container's init, which `kill(pid, 0)` calls alive. */
async function isZombie(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return / Z /.test(stat.slice(stat.lastIndexOf(')')));
}

interface ConfigValues {
  baseDir: string;
  host: string;
  port: number;
  passwdDir: string;
  mailUid: number;
  mailGid: number;
  oauth2File: string | null;
  withoutIdle: boolean;
}

/** Dovecot 2.3's oauth2 passdb settings: introspection by POST, the user named by `username`. */
function renderOAuth2Config(introspectionUrl: string): string {
  return `introspection_mode = post
introspection_url = ${introspectionUrl}
username_attribute = username
active_attribute = active
active_value = true
`;
}

/**
 * The whole configuration: no include of /etc/dovecot, so what the system's
 * package set up never changes what the tests see.
 */
function renderConfig(c: ConfigValues): string {
  return `# Private test server written by src/devtools/dovecot.ts
base_dir = ${c.baseDir}/run
state_dir = ${c.baseDir}/state
log_path = ${c.baseDir}/dovecot.log
protocols = imap
listen = ${c.host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login${c.oauth2File ? ' xoauth2 oauthbearer' : ''}
# Tests check refusals, not brute-force defences: 2.3.19 then answers a wrong
# password at its next 500 ms failure flush instead of after 2 s.
auth_failure_delay = 0
default_login_user = ${LOGIN_USER}
default_internal_user = ${INTERNAL_USER}
first_valid_uid = ${c.mailUid}
last_valid_uid = ${c.mailUid}
first_valid_gid = ${c.mailGid}
last_valid_gid = ${c.mailGid}
mail_location = maildir:~/Maildir
# Benchmarks open many connections per user from the one loopback address.
mail_max_userip_connections = 100
${c.withoutIdle ? `# A server without IDLE: Dovecot's post-login capabilities, IDLE left out.\nimap_capability = ${CAPABILITIES_WITHOUT_IDLE}\n` : ''}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${c.passwdDir}/%u
  mechanisms = plain login
}
${
  c.oauth2File
    ? `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${c.oauth2File}
}
`
    : ''
}userdb {
  driver = passwd-file
  args = username_format=%u ${c.passwdDir}/%u
}

service imap-login {
  inet_listener imap {
    address = ${c.host}
    port = ${c.port}
  }
  inet_listener imaps {
    port = 0
  }
}
# No growing delay after failed logins from one address.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

namespace inbox {
  inbox = yes
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
}
`;
}

/**
 * Starts the master on a port that was free a moment ago; another process may
 * take it in between, so a bind failure means: pick again.
 */
async function startOnFreePort(dovecot: string, configFile: string, config: (port: number) => string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(configFile, config(port));
    const { code, output } = await startMaster(dovecot, configFile);
    if (code === 0) return port;
    if (!output.includes('Address already in use') || attempt === PORT_ATTEMPTS) {
      throw new Error(`dovecot did not start (exit code ${code}): ${output.trim()}`);
    }
  }
}

/**
 * Runs `dovecot -c FILE`, which binds its listeners and forks into the
 * background. Its output goes to a file rather than a pipe: the daemon keeps
 * the inherited descriptors, and a pipe would then never reach its end.
 */
async function startMaster(dovecot: string, configFile: string): Promise<{ code: number | null; output: string }> {
  const outputFile = join(dirname(configFile), 'start.out');
  const out = await open(outputFile, 'w');
  try {
    const master = spawn(dovecot, ['-c', configFile], { stdio: ['ignore', out.fd, out.fd] });
    const code = await new Promise<number | null>((resolve, reject) => {
      master.once('error', reject);
      master.once('exit', resolve);
    });
    return { code, output: await readFile(outputFile, 'utf8') };
  } finally {
    await out.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Ready means a user can log in and open its mailbox: that proves the whole
 * chain (login process, auth, passwd-file, mail process, home folder) where a
 * greeting alone would not. The master binds its listeners before it forks to
 * the background, so the port accepts connections as soon as `dovecot` returned.
 */
async function expectLogin(dovecot: DovecotHandle): Promise<void> {
  const client = await connectImap(dovecot, await createMailUser(dovecot, 'readiness-check'));
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
  } finally {
    await client.logout();
  }
}

/** Stops the master, which takes its children down with it, and removes the folder once nothing writes into it. */
async function stopDovecot(baseDir: string): Promise<void> {
  const masterPid = await readMasterPid(baseDir);
  if (masterPid !== undefined) {
    signal(masterPid, 'SIGTERM');
    // Dovecot's log process outlives the others by a second or two; the master waits for it.
    const deadline = Date.now() + 10_000;
    while (isAlive(masterPid) && Date.now() < deadline) await sleep(20);
    if (isAlive(masterPid)) signal(masterPid, 'SIGKILL');
  }
  await rm(baseDir, { recursive: true, force: true, maxRetries: 3 });
}

/** The master's pid, only if that process is still the Dovecot of this config file (pids get reused). */
async function readMasterPid(baseDir: string): Promise<number | undefined> {
  const pid = Number((await readFile(join(baseDir, 'run', 'master.pid'), 'utf8').catch(() => '')).trim());
  if (!(pid > 0)) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.split('\0').includes(join(baseDir, CONFIG_FILE)) ? pid : undefined;
}

async function currentUidValidity(doveadm: string, configFile: string, user: string, mailbox: string): Promise<number> {
  const { stdout } = await run(doveadm, ['-c', configFile, '-f', 'flow', 'mailbox', 'status', '-u', user, 'uidvalidity', mailbox]);
  const match = /uidvalidity=(\d+)/.exec(stdout);
  if (!match) throw new Error(`doveadm reported no UIDVALIDITY for ${user}/${mailbox}: ${stdout}`);
  return Number(match[1]);
}

/** UIDVALIDITY is a non-zero 32-bit value. */
function nextUidValidity(current: number): number {
  return current >= 0xffffffff ? 1 : current + 1;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals a process that may have exited meanwhile. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** `/usr/sbin` is not on every PATH (an unprivileged shell's, say). */
async function findBinary(name: string): Promise<string> {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (await access(candidate, fsConstants.X_OK).then(() => true, () => false)) return candidate;
  }
  throw new Error(`${name} not found: run scripts/test-services.sh, which installs Debian's dovecot-imapd`);
}

async function systemAccount(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`system user ${name} not found (dovenull and dovecot come with dovecot-core: run scripts/test-services.sh)`);
}

/** Dovecot's unprivileged users reach their files only if every folder above lets others through. */
async function assertTraversable(dir: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    if (((await stat(current)).mode & 0o001) === 0) {
      throw new Error(`${current} cannot be traversed by other users: point TMPDIR at a folder that can`);
    }
    if (current === dirname(current)) return;
  }
}

async function logTail(baseDir: string): Promise<string> {
  const log = await readFile(join(baseDir, 'dovecot.log'), 'utf8').catch(() => '');
  const tail = log.trimEnd().split('\n').slice(-15).join('\n');
  return tail ? `\n--- ${join(baseDir, 'dovecot.log')} (last lines) ---\n${tail}` : '';
}
