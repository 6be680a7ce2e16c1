/**
 * A mailbox's logins, opened: the one place where sealed secrets are opened (for the
 * sync and the send jobs), just before use. A password login gets its password; an
 * OAuth2 login gets an access token from the process's token cache (refreshed before it
 * expires, see `AccessTokenCache`). What is opened never reaches a log line or the API.
 */
import {
  findMailboxCredentials,
  findOneSealedPassword,
  lockSealedPasswords,
  mailboxPasswordContext,
  mailboxSecretContext,
  updateSealedSecret,
  type Mailbox,
  type SealedLogin,
} from '../db/mailboxes.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../db/pool.ts';
import { findOneSealedWebhookSecret, lockSealedWebhookSecrets, updateSealedWebhookSecret, webhookSecretContext } from '../db/webhooks.repo.ts';
import { AccessTokenCache } from '../http/oauth2-token.ts';
import type { ServerAddress, ServerLogin } from '../mail/server-login.ts';
import { SecretKeyMismatchError, type SecretBox } from '../secrets.ts';
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
    const { host, port, secure, allowPlaintext, user } = stored;
    if (stored.oauth2) {
      const accessToken = await accessTokenFor(deps, { mailboxId, channel, sealed: stored.oauth2 }, { fresh: options.fresh ?? false });
      return { host, port, secure, allowPlaintext, user, accessToken };
    }
    // an SMTP relay without a login has no password to open
    const password = stored.sealedPassword === '' ? '' : secretBox.open(stored.sealedPassword, mailboxPasswordContext(mailboxId, channel));
    return { host, port, secure, allowPlaintext, user, password };
  };
  return {
    mailbox: credentials.mailbox,
    imap: await open('imap', credentials.imap),
    smtp: credentials.smtp && !options.imapOnly ? await open('smtp', credentials.smtp) : null,
    oauth2: { imap: Boolean(credentials.imap.oauth2), smtp: Boolean(credentials.smtp?.oauth2) },
  };
}

/**
 * Whether this process's key opens the stored secrets, tried on one sealed mailbox secret
 * (or, without mailboxes, one webhook secret) at start: 'none' when none is stored yet. A
 * key mismatch is returned, not thrown, for the caller to log (every poll would otherwise
 * fail with a cryptic GCM message).
 */
export async function checkStoredSecrets(db: Queryable, secretBox: SecretBox): Promise<'ok' | 'none' | SecretKeyMismatchError> {
  const mailbox = await findOneSealedPassword(db);
  const webhook = mailbox ? null : await findOneSealedWebhookSecret(db);
  const one = mailbox
    ? { sealed: mailbox.sealed, context: mailboxSecretContext(mailbox.id, mailbox.column) }
    : webhook
      ? { sealed: webhook.sealed, context: webhookSecretContext(webhook.id) }
      : null;
  if (!one) return 'none';
  try {
    secretBox.open(one.sealed, one.context);
    return 'ok';
  } catch (err) {
    if (err instanceof SecretKeyMismatchError) return err;
    return 'ok'; // a damaged or moved value is that row's own fault, reported when it is used
  }
}

/**
 * Re-seals every stored secret under `next`, bound to its place, in one transaction: all
 * or nothing. That is the mailbox passwords, their OAuth2 credentials and the webhook
 * secrets. A value already sealed by `next` (a rotation run twice) is re-sealed too.
 */
export async function rotateStoredSecrets(pool: Pool, current: SecretBox, next: SecretBox): Promise<{ resealed: number }> {
  return withTransaction(pool, async (tx) => {
    const reseal = (sealed: string, context: string) => {
      const opener = sealed.startsWith(`v2:${next.keyId}:`) ? next : current;
      return next.seal(opener.open(sealed, context), context);
    };
    let resealed = 0;
    for (const secret of await lockSealedPasswords(tx)) {
      await updateSealedSecret(tx, { ...secret, sealed: reseal(secret.sealed, mailboxSecretContext(secret.id, secret.column)) });
      resealed += 1;
    }
    for (const secret of await lockSealedWebhookSecrets(tx)) {
      await updateSealedWebhookSecret(tx, secret.id, reseal(secret.sealed, webhookSecretContext(secret.id)));
      resealed += 1;
    }
    return { resealed };
  });
}
