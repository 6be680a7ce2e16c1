/** How the service logs into a mailbox's IMAP or SMTP server: one shape for both edges. */

/** A server's address and user: what the API shows of a login. */
export interface ServerAddress {
  host: string;
  port: number;
  /** TLS from the first byte (993, 465); false for STARTTLS or plain (143, 587, 25). */
  secure: boolean;
  /**
   * With `secure` false: true lets the login go in plain text when the server offers no
   * STARTTLS (a trusted local server); false (the default) requires STARTTLS.
   */
  allowPlaintext?: boolean | undefined;
  user: string;
}

/**
 * A server's login in clear, opened from its sealed form just before use: a password, or
 * an OAuth2 access token (XOAUTH2 / OAUTHBEARER).
 */
export type ServerLogin = ServerAddress & ({ password: string; accessToken?: undefined } | { accessToken: string; password?: undefined });

/** A password login as it is stored: the password sealed by the SecretBox, never in clear. */
export type SealedServerLogin = ServerAddress & { sealedPassword: string };
