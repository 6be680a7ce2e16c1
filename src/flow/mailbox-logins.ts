/**
 * A mailbox's logins, opened: the one place where sealed passwords are opened (for the
 * sync and the send jobs), just before use. The opened passwords never reach a log line or
 * the API.
 */
import { findMailboxCredentials, type Mailbox } from '../db/mailboxes.repo.ts';
import type { Queryable } from '../db/pool.ts';
import type { ServerLogin } from '../mail/server-login.ts';
import type { SecretBox } from '../secrets.ts';

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
  const open = ({ sealedPassword, ...login }: { sealedPassword: string } & Omit<ServerLogin, 'password'>): ServerLogin => ({
    ...login,
    password: secretBox.open(sealedPassword),
  });
  return { mailbox: credentials.mailbox, imap: open(credentials.imap), smtp: credentials.smtp ? open(credentials.smtp) : null };
}
