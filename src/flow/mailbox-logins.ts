/**
 * A mailbox's logins, opened: the one place where sealed secrets are opened (for the
 * sync and the send jobs), just before use. A password login gets its password; an
 * OAuth2 login gets an access token from the process's token cache (refreshed before it
 * expires, see `AccessTokenCache`). What is opened never reaches a log line or the API.
 */
import { findMailboxCredentials, type Mailbox, type SealedLogin } from '../db/mailboxes.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { AccessTokenCache } from '../http/oauth2-token.ts';
import type { ServerAddress, ServerLogin } from '../mail/server-login.ts';
import type { SecretBox } from '../secrets.ts';
import { accessTokenFor } from './oauth2-logins.ts';

export interface MailboxLogins {
  mailbox: Mailbox;
  imap: ServerLogin;
  /** Null when the mailbox has no SMTP settings: it reads, it cannot send. */
  smtp: ServerLogin | null;
  /** Which logins are OAuth2 ones (a refused login is then worth a fresh token). */
  oauth2: { imap: boolean; smtp: boolean };
}

export interface OpenLoginOptions {
  /** The access tokens of this process; a shared one when absent. */
  tokens?: AccessTokenCache | undefined;
  /** Refresh the access tokens whatever the cache holds (the server refused the last one). */
  fresh?: boolean | undefined;
  /** Open the IMAP login only (the sync): `smtp` is then null, and an SMTP fault never stops a sync. */
  imapOnly?: boolean | undefined;
}

/** One token cache per process for the callers that bring none (the sending). */
export const PROCESS_TOKENS = new AccessTokenCache();

/** The mailbox with its IMAP and SMTP logins opened; null when it does not exist. */
export async function openMailboxLogins(db: Queryable, secretBox: SecretBox, mailboxId: string, options: OpenLoginOptions = {}): Promise<MailboxLogins | null> {
  const credentials = await findMailboxCredentials(db, mailboxId);
  if (!credentials) return null;
  const deps = { db, secretBox, tokens: options.tokens ?? PROCESS_TOKENS };
  const open = async (channel: 'imap' | 'smtp', stored: ServerAddress & SealedLogin): Promise<ServerLogin> => {
    const { host, port, secure, user } = stored;
    if (stored.oauth2) {
      const accessToken = await accessTokenFor(deps, { mailboxId, channel, sealed: stored.oauth2 }, { fresh: options.fresh ?? false });
      return { host, port, secure, user, accessToken };
    }
    return { host, port, secure, user, password: secretBox.open(stored.sealedPassword) };
  };
  return {
    mailbox: credentials.mailbox,
    imap: await open('imap', credentials.imap),
    smtp: credentials.smtp && !options.imapOnly ? await open('smtp', credentials.smtp) : null,
    oauth2: { imap: Boolean(credentials.imap.oauth2), smtp: Boolean(credentials.smtp?.oauth2) },
  };
}
