/**
 * Test mailboxes and the personas that own them. Passwords are sealed by the
 * caller's SecretBox before they reach SQL and are never part of a `Mailbox`:
 * only `findMailboxCredentials` returns them, for the sync and send jobs.
 */
import type { ServerAddress } from '../mail/server-login.ts';
import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import { setClause } from './sql.ts';

export interface Persona {
  firstName: string;
  lastName: string;
  gender: 'female' | 'male' | 'other' | null;
}

/** How a server login proves itself, as the API shows it: never a secret. */
export type ServerAuth =
  | { type: 'password' }
  | { type: 'oauth2'; provider: 'google' | 'microsoft' | 'custom'; tokenUrl: string; scope: string | null };

/** OAuth2 (XOAUTH2) login as stored: client id, client secret and refresh token sealed together as JSON. */
export interface SealedOAuth2 {
  provider: 'google' | 'microsoft' | 'custom';
  tokenUrl: string;
  scope: string | null;
  sealedCredentials: string;
}

/** A server's sealed login: a password, or OAuth2 credentials. */
export type SealedLogin = { sealedPassword: string; oauth2?: undefined } | { oauth2: SealedOAuth2; sealedPassword?: undefined };

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
  imap: ServerAddress & { auth: ServerAuth };
  /** `user` null: a relay that takes mail without a login. */
  smtp: (Omit<ServerAddress, 'user'> & { user: string | null; auth: ServerAuth }) | null;
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
  /** Chosen by the caller when its passwords are sealed for this row (`mailboxPasswordContext`). */
  id?: string | undefined;
  label: string;
  address: string;
  persona: Persona;
  imap: ServerAddress & SealedLogin;
  smtp?: (ServerAddress & SealedLogin) | null | undefined;
  pollIntervalSeconds?: number | undefined;
  extraFolders?: string[] | undefined;
  probeAddressPattern?: string | null | undefined;
  enabled?: boolean | undefined;
}

export interface MailboxPatch {
  label?: string | undefined;
  address?: string | undefined;
  persona?: Partial<Persona> | undefined;
  imap?: (Partial<ServerAddress> & Partial<SealedLogin>) | undefined;
  smtp?: (Partial<ServerAddress> & Partial<SealedLogin>) | null | undefined;
  pollIntervalSeconds?: number | undefined;
  extraFolders?: string[] | undefined;
  probeAddressPattern?: string | null | undefined;
  enabled?: boolean | undefined;
}

/** The sealed columns of a mailbox: two passwords, two OAuth2 credential sets (client id, secret, refresh token). */
export const MAILBOX_SECRET_COLUMNS = ['imap_password', 'smtp_password', 'imap_oauth2', 'smtp_oauth2'] as const;
export type MailboxSecretColumn = (typeof MAILBOX_SECRET_COLUMNS)[number];

/** The place a mailbox secret is sealed for (GCM additional data): its row and column. */
export function mailboxSecretContext(mailboxId: string, column: MailboxSecretColumn): string {
  return `mailboxes:${mailboxId}:${column}`;
}

/** The place a mailbox's password is sealed for: `mailboxes:<id>:imap_password`. */
export function mailboxPasswordContext(mailboxId: string, edge: 'imap' | 'smtp'): string {
  return mailboxSecretContext(mailboxId, `${edge}_password`);
}

/** The place a mailbox's OAuth2 credentials are sealed for: `mailboxes:<id>:imap_oauth2`. */
export function mailboxOAuth2Context(mailboxId: string, edge: 'imap' | 'smtp'): string {
  return mailboxSecretContext(mailboxId, `${edge}_oauth2`);
}

export interface StoredMailboxSecret {
  id: string;
  column: MailboxSecretColumn;
  sealed: string;
}

const SECRET_SELECT = `select id, ${MAILBOX_SECRET_COLUMNS.map((c) => `${c}_enc`).join(', ')} from mailboxes`;

function storedSecrets(row: Record<string, string | null>): StoredMailboxSecret[] {
  return MAILBOX_SECRET_COLUMNS.flatMap((column) => {
    const sealed = row[`${column}_enc`];
    return sealed ? [{ id: row.id!, column, sealed }] : [];
  });
}

/** Every sealed mailbox secret (null columns left out: an OAuth2 login has no password), locked for update: what a key rotation re-seals. */
export async function lockSealedPasswords(db: Queryable): Promise<StoredMailboxSecret[]> {
  const { rows } = await db.query<Record<string, string | null>>(`${SECRET_SELECT} order by id for update`);
  return rows.flatMap(storedSecrets);
}

export async function updateSealedSecret(db: Queryable, secret: StoredMailboxSecret): Promise<void> {
  if (!MAILBOX_SECRET_COLUMNS.includes(secret.column)) throw new Error(`not a mailbox secret column: ${secret.column}`);
  await db.query(`update mailboxes set ${secret.column}_enc = $2 where id = $1`, [secret.id, secret.sealed]);
}

/** One sealed mailbox secret, to check at start that this key opens the stored secrets; null when none is stored. */
export async function findOneSealedPassword(db: Queryable): Promise<StoredMailboxSecret | null> {
  const { rows } = await db.query<Record<string, string | null>>(`${SECRET_SELECT} order by updated_at desc limit 1`);
  return rows[0] ? (storedSecrets(rows[0])[0] ?? null) : null;
}

/** A mailbox with its sealed logins: for the sync and send jobs only, never for the API. */
export interface MailboxCredentials {
  mailbox: Mailbox;
  imap: ServerAddress & SealedLogin;
  smtp: (ServerAddress & SealedLogin) | null;
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
  imap_password_enc: string | null;
  imap_auth_type: 'password' | 'oauth2';
  imap_oauth2_enc: string | null;
  imap_oauth2_provider: SealedOAuth2['provider'] | null;
  imap_oauth2_token_url: string | null;
  imap_oauth2_scope: string | null;
  smtp_auth_type: 'password' | 'oauth2';
  smtp_oauth2_enc: string | null;
  smtp_oauth2_provider: SealedOAuth2['provider'] | null;
  smtp_oauth2_token_url: string | null;
  smtp_oauth2_scope: string | null;
  imap_allow_plaintext: boolean;
  smtp_allow_plaintext: boolean;
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
    imap: {
      host: row.imap_host,
      port: row.imap_port,
      secure: row.imap_secure,
      allowPlaintext: row.imap_allow_plaintext,
      user: row.imap_user,
      auth: authOf(sealedOAuth2(row, 'imap')),
    },
    smtp:
      row.smtp_host && row.smtp_port
        ? {
            host: row.smtp_host,
            port: row.smtp_port,
            secure: row.smtp_secure,
            allowPlaintext: row.smtp_allow_plaintext,
            user: row.smtp_user,
            auth: authOf(sealedOAuth2(row, 'smtp')),
          }
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

function sealedOAuth2(row: MailboxRow, side: 'imap' | 'smtp'): SealedOAuth2 | null {
  const r = row as unknown as Record<string, string | null>;
  if (r[`${side}_auth_type`] !== 'oauth2' || !r[`${side}_oauth2_enc`] || !r[`${side}_oauth2_token_url`]) return null;
  return {
    provider: (r[`${side}_oauth2_provider`] ?? 'custom') as SealedOAuth2['provider'],
    tokenUrl: r[`${side}_oauth2_token_url`]!,
    scope: r[`${side}_oauth2_scope`] ?? null,
    sealedCredentials: r[`${side}_oauth2_enc`]!,
  };
}

function sealedLogin(sealedPassword: string | null, oauth2: SealedOAuth2 | null): SealedLogin | null {
  if (oauth2) return { oauth2 };
  return sealedPassword === null ? null : { sealedPassword };
}

function withLogin<T extends ServerAddress>(server: T, login: SealedLogin | null): (T & SealedLogin) | null {
  return login ? { ...server, ...login } : null;
}

function authOf(oauth2: SealedOAuth2 | null): ServerAuth {
  return oauth2 ? { type: 'oauth2', provider: oauth2.provider, tokenUrl: oauth2.tokenUrl, scope: oauth2.scope } : { type: 'password' };
}

/** The columns of one server's login, for an insert or an update: the other kind's columns cleared. */
function loginColumns(side: 'imap' | 'smtp', login: Partial<SealedLogin> | undefined): Record<string, unknown> {
  if (login?.oauth2) {
    return {
      [`${side}AuthType`]: 'oauth2',
      [`${side}Password`]: null,
      [`${side}OAuth2`]: login.oauth2.sealedCredentials,
      [`${side}OAuth2Provider`]: login.oauth2.provider,
      [`${side}OAuth2TokenUrl`]: login.oauth2.tokenUrl,
      [`${side}OAuth2Scope`]: login.oauth2.scope,
    };
  }
  if (login?.sealedPassword !== undefined) {
    return {
      [`${side}AuthType`]: 'password',
      [`${side}Password`]: login.sealedPassword,
      [`${side}OAuth2`]: null,
      [`${side}OAuth2Provider`]: null,
      [`${side}OAuth2TokenUrl`]: null,
      [`${side}OAuth2Scope`]: null,
    };
  }
  return {};
}

export async function insertMailbox(db: Queryable, input: MailboxInput): Promise<Mailbox> {
  const persona = await db.query<{ id: string }>(
    'insert into personas (first_name, last_name, gender) values ($1, $2, $3) returning id',
    [input.persona.firstName, input.persona.lastName, input.persona.gender ?? null],
  );
  const fields: Record<string, unknown> = {
    id: input.id,
    label: input.label,
    address: input.address.toLowerCase(),
    personaId: persona.rows[0]!.id,
    imapHost: input.imap.host,
    imapPort: input.imap.port,
    imapSecure: input.imap.secure,
    imapUser: input.imap.user,
    imapAllowPlaintext: input.imap.allowPlaintext ?? false,
    ...loginColumns('imap', input.imap),
    smtpHost: input.smtp?.host ?? null,
    smtpPort: input.smtp?.port ?? null,
    smtpSecure: input.smtp?.secure ?? true,
    smtpUser: input.smtp?.user || null,
    smtpAllowPlaintext: input.smtp?.allowPlaintext ?? false,
    ...(input.smtp ? loginColumns('smtp', input.smtp) : {}),
    pollIntervalSeconds: input.pollIntervalSeconds ?? 60,
    extraFolders: input.extraFolders ?? [],
    probeAddressPattern: input.probeAddressPattern ?? null,
    enabled: input.enabled ?? true,
  };
  const columns = Object.keys(fields).filter((f) => fields[f] !== undefined);
  const { rows } = await db.query<{ id: string }>(
    `insert into mailboxes (${columns.map((f) => INSERT_COLUMNS[f]).join(', ')})
     values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) returning id`,
    columns.map((f) => fields[f]),
  );
  const id = rows[0]!.id;
  return (await findMailbox(db, id))!;
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
/** `updatedAt` moves with every change of the mailbox's settings (the IDLE watch reconnects on it). */
export async function listEnabledMailboxes(db: Queryable): Promise<Array<{ id: string; pollIntervalSeconds: number; updatedAt: Date }>> {
  const { rows } = await db.query<{ id: string; poll_interval_seconds: number; updated_at: Date }>(
    'select id, poll_interval_seconds, updated_at from mailboxes where enabled order by id',
  );
  return rows.map((r) => ({ id: r.id, pollIntervalSeconds: r.poll_interval_seconds, updatedAt: r.updated_at }));
}

export async function findMailboxCredentials(db: Queryable, id: string): Promise<MailboxCredentials | null> {
  const { rows } = await db.query<MailboxRow>(`${SELECT} where m.id = $1`, [id]);
  const row = rows[0];
  if (!row) return null;
  const box = toMailbox(row);
  return {
    mailbox: box,
    imap: { ...box.imap, ...sealedLogin(row.imap_password_enc, sealedOAuth2(row, 'imap'))! },
    // no login (a relay that trusts its network): user and password empty
    smtp: box.smtp
      ? { ...box.smtp, user: box.smtp.user ?? '', ...(sealedLogin(row.smtp_password_enc, sealedOAuth2(row, 'smtp')) ?? { sealedPassword: '' }) }
      : null,
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
    imapAllowPlaintext: patch.imap?.allowPlaintext,
    ...loginColumns('imap', patch.imap),
  };
  if (patch.smtp === null) {
    Object.assign(flat, { smtpHost: null, smtpPort: null, smtpUser: null, smtpPassword: null, smtpAuthType: 'password', smtpOAuth2: null, smtpOAuth2Provider: null, smtpOAuth2TokenUrl: null, smtpOAuth2Scope: null });
  } else if (patch.smtp) {
    Object.assign(flat, {
      smtpHost: patch.smtp.host,
      smtpPort: patch.smtp.port,
      smtpSecure: patch.smtp.secure,
      smtpUser: patch.smtp.user,
      smtpAllowPlaintext: patch.smtp.allowPlaintext,
      ...loginColumns('smtp', patch.smtp),
    });
  }
  const set = setClause(flat, MAILBOX_COLUMNS, 2);
  // New connection settings deserve a fresh start: forget the failure streak, the sending fault;
  // and what the old settings read says nothing of the new account (reminders wait for a read of it).
  const connectionChanged = patch.imap !== undefined;
  const sendingChanged = patch.smtp !== undefined;
  if (set || connectionChanged || sendingChanged) {
    await db.query(
      `update mailboxes set ${set ? `${set.sql}, ` : ''}updated_at = now()
         ${connectionChanged ? ', consecutive_failures = 0, last_error = null, last_error_at = null, next_poll_at = null, read_through = null' : ''}
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
  imapAllowPlaintext: 'imap_allow_plaintext',
  smtpAllowPlaintext: 'smtp_allow_plaintext',
  imapPassword: 'imap_password_enc',
  smtpHost: 'smtp_host',
  smtpPort: 'smtp_port',
  smtpSecure: 'smtp_secure',
  smtpUser: 'smtp_user',
  smtpPassword: 'smtp_password_enc',
  imapAuthType: 'imap_auth_type',
  imapOAuth2: 'imap_oauth2_enc',
  imapOAuth2Provider: 'imap_oauth2_provider',
  imapOAuth2TokenUrl: 'imap_oauth2_token_url',
  imapOAuth2Scope: 'imap_oauth2_scope',
  smtpAuthType: 'smtp_auth_type',
  smtpOAuth2: 'smtp_oauth2_enc',
  smtpOAuth2Provider: 'smtp_oauth2_provider',
  smtpOAuth2TokenUrl: 'smtp_oauth2_token_url',
  smtpOAuth2Scope: 'smtp_oauth2_scope',
};

const INSERT_COLUMNS: Record<string, string> = { ...MAILBOX_COLUMNS, id: 'id', personaId: 'persona_id' };

export async function deleteMailbox(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ persona_id: string }>('delete from mailboxes where id = $1 returning persona_id', [id]);
  const personaId = rows[0]?.persona_id;
  if (!personaId) return false;
  // the persona goes with its last mailbox
  await db.query('delete from personas p where p.id = $1 and not exists (select 1 from mailboxes where persona_id = p.id)', [personaId]);
  return true;
}


/**
 * Stores the OAuth2 credentials sealed again with a rotated refresh token, only if the
 * stored ones are still those the token was obtained with (a patch meanwhile wins).
 */
export async function saveRotatedRefreshToken(db: Queryable, mailboxId: string, channel: 'imap' | 'smtp', previousSealed: string, sealed: string): Promise<void> {
  const column = channel === 'imap' ? 'imap_oauth2_enc' : 'smtp_oauth2_enc';
  await db.query(`update mailboxes set ${column} = $3 where id = $1 and ${column} = $2`, [mailboxId, previousSealed, sealed]);
}

/**
 * A fault of the mailbox rather than of one message (a refused SMTP login, no SMTP
 * settings), shown where an auditor looks at the mailbox. The poll's failure streak is left
 * alone: the mailbox still reads fine.
 */
export async function recordMailboxSendError(db: Queryable, mailboxId: string, error: string): Promise<{ wasFailing: boolean }> {
  const { rows } = await db.query<{ was_failing: boolean }>(
    `with before as (select id, send_error is not null as was_failing from mailboxes where id = $1 for update)
     update mailboxes m set send_error = $2, send_error_at = now() from before where m.id = before.id returning before.was_failing`,
    [mailboxId, error],
  );
  return { wasFailing: rows[0]?.was_failing ?? false };
}

/** The mailbox sent again: its sending fault is over. */
export async function clearMailboxSendError(db: Queryable, mailboxId: string): Promise<{ wasFailing: boolean }> {
  const result = await db.query('update mailboxes set send_error = null, send_error_at = null where id = $1 and send_error is not null', [mailboxId]);
  return { wasFailing: (result.rowCount ?? 0) > 0 };
}
