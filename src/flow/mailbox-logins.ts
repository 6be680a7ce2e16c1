/**
 * A mailbox's logins, opened: the one place where sealed passwords are opened (for the
 * sync and the send jobs), just before use. The opened passwords never reach a log line or
 * the API.
 */
import {
  findMailboxCredentials,
  findOneSealedPassword,
  lockSealedPasswords,
  mailboxPasswordContext,
  updateSealedPasswords,
  type Mailbox,
} from '../db/mailboxes.repo.ts';
import { withTransaction, type Pool, type Queryable } from '../db/pool.ts';
import type { ServerLogin } from '../mail/server-login.ts';
import { SecretKeyMismatchError, type SecretBox } from '../secrets.ts';

export interface MailboxLogins {
  mailbox: Mailbox;
  imap: ServerLogin;
  /** Null when the mailbox has no SMTP settings: it reads, it cannot send. */
  smtp: ServerLogin | null;
}

/** The mailbox with its IMAP and SMTP logins opened; null when it does not exist. */
export async function openMailboxLogins(db: Queryable, secretBox: SecretBox, mailboxId: string): Promise<MailboxLogins | null> {
  const credentials = await findMailboxCredentials(db, mailboxId);
  if (!credentials) return null;
  const open = ({ sealedPassword, ...login }: { sealedPassword: string } & Omit<ServerLogin, 'password'>, edge: 'imap' | 'smtp'): ServerLogin => ({
    ...login,
    // an SMTP relay without a login has no password to open
    password: sealedPassword === '' ? '' : secretBox.open(sealedPassword, mailboxPasswordContext(mailboxId, edge)),
  });
  return { mailbox: credentials.mailbox, imap: open(credentials.imap, 'imap'), smtp: credentials.smtp ? open(credentials.smtp, 'smtp') : null };
}

/**
 * Whether this process's key opens the stored secrets, tried on one sealed password at
 * start: 'none' when no mailbox is stored yet. A key mismatch is returned, not thrown, for
 * the caller to log (every poll would otherwise fail with a cryptic GCM message).
 */
export async function checkStoredSecrets(db: Queryable, secretBox: SecretBox): Promise<'ok' | 'none' | SecretKeyMismatchError> {
  const one = await findOneSealedPassword(db);
  if (!one) return 'none';
  try {
    secretBox.open(one.sealed, mailboxPasswordContext(one.id, 'imap'));
    return 'ok';
  } catch (err) {
    if (err instanceof SecretKeyMismatchError) return err;
    return 'ok'; // a damaged or moved value is that mailbox's own fault, reported on its sync
  }
}

/**
 * Re-seals every stored password under `next`, bound to its place, in one transaction:
 * all or nothing. A value already sealed by `next` (a rotation run twice) is re-sealed too.
 */
export async function rotateStoredSecrets(pool: Pool, current: SecretBox, next: SecretBox): Promise<{ resealed: number }> {
  return withTransaction(pool, async (tx) => {
    let resealed = 0;
    for (const row of await lockSealedPasswords(tx)) {
      const reseal = (sealed: string, edge: 'imap' | 'smtp') => {
        const context = mailboxPasswordContext(row.id, edge);
        const opener = sealed.startsWith(`v2:${next.keyId}:`) ? next : current;
        return next.seal(opener.open(sealed, context), context);
      };
      await updateSealedPasswords(tx, row.id, { imap: reseal(row.imap, 'imap'), smtp: row.smtp === null ? null : reseal(row.smtp, 'smtp') });
      resealed += row.smtp === null ? 1 : 2;
    }
    return { resealed };
  });
}
