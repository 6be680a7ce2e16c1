/**
 * OAuth2 logins of mailboxes, opened: the sealed client id, client secret and refresh
 * token give an access token (cached per process, see `AccessTokenCache`), and a login
 * the server refused is tried once more with a fresh token. A refresh token the provider
 * rotated is sealed again and stored in place of the old one.
 */
import { mailboxOAuth2Context, saveRotatedRefreshToken, type SealedOAuth2 } from '../db/mailboxes.repo.ts';
import type { Queryable } from '../db/pool.ts';
import type { AccessTokenCache, OAuth2Credentials, OAuth2Login } from '../http/oauth2-token.ts';
import type { SecretBox } from '../secrets.ts';

export interface OAuth2Deps {
  db: Queryable;
  secretBox: SecretBox;
  tokens: AccessTokenCache;
}

/** `context`: the place the credentials are sealed for (`mailboxOAuth2Context`). */
export function openOAuth2Login(secretBox: SecretBox, sealed: SealedOAuth2, context: string): OAuth2Login {
  return { tokenUrl: sealed.tokenUrl, scope: sealed.scope, credentials: JSON.parse(secretBox.open(sealed.sealedCredentials, context)) as OAuth2Credentials };
}

/** An access token for one server of a mailbox; `fresh` after the server refused the last one. */
export async function accessTokenFor(
  deps: OAuth2Deps,
  target: { mailboxId: string; channel: 'imap' | 'smtp'; sealed: SealedOAuth2 },
  options: { fresh?: boolean } = {},
): Promise<string> {
  const context = mailboxOAuth2Context(target.mailboxId, target.channel);
  const login = openOAuth2Login(deps.secretBox, target.sealed, context);
  if (options.fresh) deps.tokens.forget(login);
  const token = await deps.tokens.get(login, options);
  if (token.refreshToken) {
    const credentials = { ...login.credentials, refreshToken: token.refreshToken };
    await saveRotatedRefreshToken(deps.db, target.mailboxId, target.channel, target.sealed.sealedCredentials, deps.secretBox.seal(JSON.stringify(credentials), context));
  }
  return token.accessToken;
}

/** The server said no to the login itself (not a network fault): a fresh token may help. */
export function isLoginRefused(err: unknown): boolean {
  const e = err as { authenticationFailed?: boolean; code?: string; responseCode?: number };
  return e.authenticationFailed === true || e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 534;
}

/**
 * Runs `work` with a login; when the login is OAuth2 and the server refused it, once more
 * with a freshly refreshed access token (the cached one may have been revoked early).
 */
export async function withLoginRetry<L, T>(
  open: (fresh: boolean) => Promise<{ login: L; oauth2: boolean }>,
  work: (login: L) => Promise<T>,
): Promise<T> {
  const first = await open(false);
  try {
    return await work(first.login);
  } catch (err) {
    if (!first.oauth2 || !isLoginRefused(err)) throw err;
    const again = await open(true);
    return work(again.login);
  }
}
