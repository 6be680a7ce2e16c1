/** How the service logs into a mailbox's IMAP or SMTP server: one shape for both edges. */

/** A server's address and login, password in clear (opened from its sealed form just before use). */
export interface ServerLogin {
  host: string;
  port: number;
  /** TLS from the first byte (993, 465); false for STARTTLS or plain (143, 587, 25). */
  secure: boolean;
  user: string;
  password: string;
}

/** A login as it is stored: the password sealed by the SecretBox, never in clear. */
export type SealedServerLogin = Omit<ServerLogin, 'password'> & { sealedPassword: string };
