/**
 * Test mailboxes and the personas that own them. Passwords are sealed by the
 * caller's SecretBox before they reach SQL and are never part of a `Mailbox`:
 * only `findMailboxCredentials` returns them, for the sync and send jobs.
 */
import type { SealedServerLogin, ServerLogin } from '../mail/server-login.ts';
import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import { setClause } from './sql.ts';

export interface Persona {
  firstName: string;
  lastName: string;
  gender: 'female' | 'male' | 'other' | null;
}

export interface FolderSyncState {
  path: string;
  specialUse: string | null;
  uidValidity: number | null;
  lastUid: number;
  highestModseq: string | null;
  syncedAt: Date | null;
}

export interface MailboxSyncState {
  /** INBOX's UIDVALIDITY and last UID seen, the figures API.md names. */
  uidValidity: number | null;
  lastUid: number;
  lastPolledAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
  /** When a failing mailbox is polled again at the earliest; null while it works. */
  nextPollAt: Date | null;
  folders: FolderSyncState[];
}

export interface Mailbox {
  id: string;
  label: string;
  address: string;
  personaId: string;
  persona: Persona;
  /** The server logins without their passwords: what the API shows. */
  imap: Omit<ServerLogin, 'password'>;
  smtp: Omit<ServerLogin, 'password'> | null;
  pollIntervalSeconds: number;
  extraFolders: string[];
  probeAddressPattern: string | null;
  enabled: boolean;
  syncState: MailboxSyncState;
  /** The last sending fault (a refused SMTP login, no SMTP settings); cleared by the next successful send. */
  sendState: { lastError: string | null; lastErrorAt: Date | null };
  createdAt: Date;
  updatedAt: Date;
}

export interface MailboxInput {
  label: string;
  address: string;
  persona: Persona;
  imap: SealedServerLogin;
  smtp?: SealedServerLogin | null | undefined;
  pollIntervalSeconds?: number | undefined;
  extraFolders?: string[] | undefined;
  probeAddressPattern?: string | null | undefined;
  enabled?: boolean | undefined;
}

export interface MailboxPatch {
  label?: string | undefined;
  address?: string | undefined;
  persona?: Partial<Persona> | undefined;
  imap?: Partial<SealedServerLogin> | undefined;
  smtp?: Partial<SealedServerLogin> | null | undefined;
  pollIntervalSeconds?: number | undefined;
  extraFolders?: string[] | undefined;
  probeAddressPattern?: string | null | undefined;
  enabled?: boolean | undefined;
}

/** A mailbox with its sealed logins: for the sync and send jobs only, never for the API. */
export interface MailboxCredentials {
  mailbox: Mailbox;
  imap: SealedServerLogin;
  smtp: SealedServerLogin | null;
}

interface MailboxRow {
  id: string;
  label: string;
  address: string;
  persona_id: string;
  first_name: string;
  last_name: string;
  gender: Persona['gender'];
  imap_host: string;
  imap_port: number;
  imap_secure: boolean;
  imap_user: string;
  imap_password_enc: string;
  smtp_host: string | null;
  smtp_port: number | null;
  smtp_secure: boolean;
  smtp_user: string | null;
  smtp_password_enc: string | null;
  poll_interval_seconds: number;
  extra_folders: string[];
  probe_address_pattern: string | null;
  enabled: boolean;
  last_polled_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  next_poll_at: Date | null;
  consecutive_failures: number;
  send_error: string | null;
  send_error_at: Date | null;
  folders: Array<{
    path: string;
    special_use: string | null;
    uid_validity: number | null;
    last_uid: number;
    highest_modseq: string | null;
    synced_at: string | null;
  }> | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `
  select m.*, p.first_name, p.last_name, p.gender,
         (select json_agg(f order by f.path) from mailbox_folders f where f.mailbox_id = m.id) as folders
    from mailboxes m join personas p on p.id = m.persona_id`;

function toMailbox(row: MailboxRow): Mailbox {
  const folders: FolderSyncState[] = (row.folders ?? []).map((f) => ({
    path: f.path,
    specialUse: f.special_use,
    uidValidity: f.uid_validity === null ? null : Number(f.uid_validity),
    lastUid: Number(f.last_uid),
    highestModseq: f.highest_modseq === null ? null : String(f.highest_modseq),
    syncedAt: f.synced_at ? new Date(f.synced_at) : null,
  }));
  const inbox = folders.find((f) => f.path.toUpperCase() === 'INBOX');
  return {
    id: row.id,
    label: row.label,
    address: row.address,
    personaId: row.persona_id,
    persona: { firstName: row.first_name, lastName: row.last_name, gender: row.gender },
    imap: { host: row.imap_host, port: row.imap_port, secure: row.imap_secure, user: row.imap_user },
    smtp:
      row.smtp_host && row.smtp_port && row.smtp_user !== null
        ? { host: row.smtp_host, port: row.smtp_port, secure: row.smtp_secure, user: row.smtp_user }
        : null,
    pollIntervalSeconds: row.poll_interval_seconds,
    extraFolders: row.extra_folders,
    probeAddressPattern: row.probe_address_pattern,
    enabled: row.enabled,
    syncState: {
      uidValidity: inbox?.uidValidity ?? null,
      lastUid: inbox?.lastUid ?? 0,
      lastPolledAt: row.last_polled_at,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
      consecutiveFailures: row.consecutive_failures,
      nextPollAt: row.next_poll_at,
      folders,
    },
    sendState: { lastError: row.send_error, lastErrorAt: row.send_error_at },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertMailbox(db: Queryable, input: MailboxInput): Promise<Mailbox> {
  const persona = await db.query<{ id: string }>(
    'insert into personas (first_name, last_name, gender) values ($1, $2, $3) returning id',
    [input.persona.firstName, input.persona.lastName, input.persona.gender ?? null],
  );
  const { rows } = await db.query<{ id: string }>(
    `insert into mailboxes (label, address, persona_id, imap_host, imap_port, imap_secure, imap_user, imap_password_enc,
                            smtp_host, smtp_port, smtp_secure, smtp_user, smtp_password_enc,
                            poll_interval_seconds, extra_folders, probe_address_pattern, enabled)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($14, 60), $15, $16, coalesce($17, true))
     returning id`,
    [
      input.label,
      input.address.toLowerCase(),
      persona.rows[0]!.id,
      input.imap.host,
      input.imap.port,
      input.imap.secure,
      input.imap.user,
      input.imap.sealedPassword,
      input.smtp?.host ?? null,
      input.smtp?.port ?? null,
      input.smtp?.secure ?? true,
      input.smtp?.user ?? null,
      input.smtp?.sealedPassword ?? null,
      input.pollIntervalSeconds ?? null,
      input.extraFolders ?? [],
      input.probeAddressPattern ?? null,
      input.enabled ?? null,
    ],
  );
  return (await findMailbox(db, rows[0]!.id))!;
}

export async function findMailbox(db: Queryable, id: string): Promise<Mailbox | null> {
  const { rows } = await db.query<MailboxRow>(`${SELECT} where m.id = $1`, [id]);
  return rows[0] ? toMailbox(rows[0]) : null;
}

export async function listMailboxes(db: Queryable, page: PageRequest): Promise<Page<Mailbox>> {
  const clause = pageClause(page, 1, 'm');
  const { rows } = await db.query<MailboxRow>(`${SELECT} where ${clause.sql}`, clause.values);
  return toPage(rows, page.limit, toMailbox);
}

/** Ids of the mailboxes to poll, with their interval: what the scheduler needs and nothing more. */
export async function listEnabledMailboxes(db: Queryable): Promise<Array<{ id: string; pollIntervalSeconds: number }>> {
  const { rows } = await db.query<{ id: string; poll_interval_seconds: number }>(
    'select id, poll_interval_seconds from mailboxes where enabled order by id',
  );
  return rows.map((r) => ({ id: r.id, pollIntervalSeconds: r.poll_interval_seconds }));
}

export async function findMailboxCredentials(db: Queryable, id: string): Promise<MailboxCredentials | null> {
  const { rows } = await db.query<MailboxRow>(`${SELECT} where m.id = $1`, [id]);
  const row = rows[0];
  if (!row) return null;
  const box = toMailbox(row);
  return {
    mailbox: box,
    imap: { ...box.imap, sealedPassword: row.imap_password_enc },
    smtp: box.smtp && row.smtp_password_enc !== null ? { ...box.smtp, sealedPassword: row.smtp_password_enc } : null,
  };
}

export async function updateMailbox(db: Queryable, id: string, patch: MailboxPatch): Promise<Mailbox | null> {
  const current = await db.query<{ persona_id: string }>('select persona_id from mailboxes where id = $1 for update', [id]);
  const personaId = current.rows[0]?.persona_id;
  if (!personaId) return null;
  if (patch.persona) {
    const set = setClause(patch.persona, { firstName: 'first_name', lastName: 'last_name', gender: 'gender' }, 2);
    if (set) await db.query(`update personas set ${set.sql}, updated_at = now() where id = $1`, [personaId, ...set.values]);
  }
  const flat: Record<string, unknown> = {
    label: patch.label,
    address: patch.address?.toLowerCase(),
    pollIntervalSeconds: patch.pollIntervalSeconds,
    extraFolders: patch.extraFolders,
    probeAddressPattern: patch.probeAddressPattern,
    enabled: patch.enabled,
    imapHost: patch.imap?.host,
    imapPort: patch.imap?.port,
    imapSecure: patch.imap?.secure,
    imapUser: patch.imap?.user,
    imapPassword: patch.imap?.sealedPassword,
  };
  if (patch.smtp === null) {
    Object.assign(flat, { smtpHost: null, smtpPort: null, smtpUser: null, smtpPassword: null });
  } else if (patch.smtp) {
    Object.assign(flat, {
      smtpHost: patch.smtp.host,
      smtpPort: patch.smtp.port,
      smtpSecure: patch.smtp.secure,
      smtpUser: patch.smtp.user,
      smtpPassword: patch.smtp.sealedPassword,
    });
  }
  const set = setClause(flat, MAILBOX_COLUMNS, 2);
  // New connection settings deserve a fresh start: forget the failure streak, the sending fault.
  const connectionChanged = patch.imap !== undefined;
  const sendingChanged = patch.smtp !== undefined;
  if (set || connectionChanged || sendingChanged) {
    await db.query(
      `update mailboxes set ${set ? `${set.sql}, ` : ''}updated_at = now()
         ${connectionChanged ? ', consecutive_failures = 0, last_error = null, last_error_at = null, next_poll_at = null' : ''}
         ${sendingChanged ? ', send_error = null, send_error_at = null' : ''}
       where id = $1`,
      [id, ...(set?.values ?? [])],
    );
  }
  return findMailbox(db, id);
}

const MAILBOX_COLUMNS = {
  label: 'label',
  address: 'address',
  pollIntervalSeconds: 'poll_interval_seconds',
  extraFolders: 'extra_folders',
  probeAddressPattern: 'probe_address_pattern',
  enabled: 'enabled',
  imapHost: 'imap_host',
  imapPort: 'imap_port',
  imapSecure: 'imap_secure',
  imapUser: 'imap_user',
  imapPassword: 'imap_password_enc',
  smtpHost: 'smtp_host',
  smtpPort: 'smtp_port',
  smtpSecure: 'smtp_secure',
  smtpUser: 'smtp_user',
  smtpPassword: 'smtp_password_enc',
};

export async function deleteMailbox(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ persona_id: string }>('delete from mailboxes where id = $1 returning persona_id', [id]);
  const personaId = rows[0]?.persona_id;
  if (!personaId) return false;
  // the persona goes with its last mailbox
  await db.query('delete from personas p where p.id = $1 and not exists (select 1 from mailboxes where persona_id = p.id)', [personaId]);
  return true;
}

/**
 * A fault of the mailbox rather than of one message (a refused SMTP login, no SMTP
 * settings), shown where an auditor looks at the mailbox. The poll's failure streak is left
 * alone: the mailbox still reads fine.
 */
export async function recordMailboxSendError(db: Queryable, mailboxId: string, error: string): Promise<void> {
  await db.query('update mailboxes set send_error = $2, send_error_at = now() where id = $1', [mailboxId, error]);
}

/** The mailbox sent again: its sending fault is over. */
export async function clearMailboxSendError(db: Queryable, mailboxId: string): Promise<void> {
  await db.query('update mailboxes set send_error = null, send_error_at = null where id = $1 and send_error is not null', [mailboxId]);
}
