/**
 * Test mailboxes. Passwords are write-only: sealed (AES-256-GCM) before they reach
 * the database, and absent from every response schema, which is also the filter
 * that keeps them from leaking.
 */
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  deleteMailbox,
  findMailbox,
  insertMailbox,
  listMailboxes,
  mailboxOAuth2Context,
  mailboxPasswordContext,
  updateMailbox,
  findMailboxCredentials,
  type SealedLogin,
  type SealedOAuth2,
} from '../db/mailboxes.repo.ts';
import type { ServerAddress } from '../mail/server-login.ts';
import { withTransaction } from '../db/pool.ts';
import { defaultScope, OAUTH2_PROVIDERS, tokenEndpoint, type OAuth2Credentials } from '../http/oauth2-token.ts';
import { RefusedHostError, resolveAllowedHost } from '../mail/host-guard.ts';
import { ApiProblem, found } from './problem.ts';
import { Email, IdParams, Nullable, Page, PageQuery, Timestamp, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';
import type { SecretBox } from '../secrets.ts';

const Persona = Type.Object(
  {
    firstName: Type.String({ minLength: 1, maxLength: 100 }),
    lastName: Type.String({ minLength: 1, maxLength: 100 }),
    gender: Type.Optional(Nullable(Type.Union([Type.Literal('female'), Type.Literal('male'), Type.Literal('other')]))),
  },
  { additionalProperties: false },
);

const serverFields = {
  host: Type.String({ minLength: 1, maxLength: 253 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  secure: Type.Boolean({ description: 'TLS from the first byte (993, 465); false for STARTTLS (required unless allowPlaintext)' }),
  user: Type.String({ minLength: 1, maxLength: 320 }),
};
const writeOnly = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, writeOnly: true, description: `${description}; write-only: never returned` });
const Provider = Type.Union(OAUTH2_PROVIDERS.map((p) => Type.Literal(p)), {
  description: '`google` (https://oauth2.googleapis.com/token), `microsoft` (https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token) or `custom` (give tokenUrl)',
});
const OAuth2Input = Type.Object(
  {
    type: Type.Literal('oauth2'),
    provider: Provider,
    tenant: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,200}$', description: 'microsoft only: the directory (tenant id or domain); default `common`' })),
    tokenUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2000, description: 'custom only: the token endpoint (its host must be public, as a mail server\'s)' })),
    scope: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'asked on refresh; Microsoft defaults to the IMAP or SMTP scope with offline_access' })),
    clientId: Type.Optional(writeOnly(500, 'the OAuth2 client id')),
    clientSecret: Type.Optional(writeOnly(2000, 'the OAuth2 client secret')),
    refreshToken: Type.Optional(writeOnly(8000, 'the refresh token obtained by the consent')),
  },
  { additionalProperties: false, description: 'XOAUTH2 login; on a patch, secrets left out are kept' },
);
const AuthInput = Type.Union([Type.Object({ type: Type.Literal('password') }, { additionalProperties: false }), OAuth2Input]);
const allowPlaintext = Type.Boolean({
  description:
    'with secure false: true lets the login go in plain text when the server offers no STARTTLS (a trusted local server only); false (the default) requires STARTTLS',
});
const ServerInput = Type.Object(
  {
    ...serverFields,
    allowPlaintext: Type.Optional(allowPlaintext),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, writeOnly: true, description: 'write-only: never returned' })),
    auth: Type.Optional(AuthInput),
  },
  { additionalProperties: false, description: 'a password, or `auth` of type `oauth2`' },
);
const ServerPatch = Type.Partial(ServerInput);
const ServerAuth = Type.Union([
  Type.Object({ type: Type.Literal('password') }),
  Type.Object({ type: Type.Literal('oauth2'), provider: Provider, tokenUrl: Type.String(), scope: Nullable(Type.String()) }),
]);
const Server = Type.Object({ ...serverFields, allowPlaintext, auth: ServerAuth });
/** SMTP may go without a login: a relay that trusts its network (user, password and auth all absent). */
const SmtpInput = Type.Object(
  { ...ServerInput.properties, user: Type.Optional(serverFields.user) },
  { additionalProperties: false, description: 'user with a password or an oauth2 auth, or none of them for a relay that takes mail without a login' },
);
const SmtpServer = Type.Object({ ...serverFields, user: Nullable(Type.String({ description: 'null: sent without a login' })), allowPlaintext, auth: ServerAuth });
type ServerBody = Partial<Static<typeof ServerInput>>;

const editable = {
  label: Type.String({ minLength: 1, maxLength: 200 }),
  address: Email,
  pollIntervalSeconds: Type.Integer({ minimum: 5, maximum: 86_400 }),
  extraFolders: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 20, description: 'folders synced besides INBOX and Junk' }),
  probeAddressPattern: Nullable(
    Type.String({
      pattern: '\\{token\\}',
      maxLength: 320,
      description: 'where the mailbox receives a whole domain: each probe\'s own address, e.g. "marie.dupont.{token}@example.fr"',
    }),
  ),
  enabled: Type.Boolean(),
};

const FolderState = Type.Object({
  path: Type.String(),
  specialUse: Nullable(Type.String()),
  uidValidity: Nullable(Type.Number()),
  lastUid: Type.Number(),
  highestModseq: Nullable(Type.String()),
  syncedAt: Nullable(Timestamp),
});

export const Mailbox = Type.Object(
  {
    id: Uuid,
    ...editable,
    personaId: Uuid,
    persona: Type.Object({ firstName: Type.String(), lastName: Type.String(), gender: Nullable(Type.String()) }),
    imap: Server,
    smtp: Nullable(SmtpServer),
    syncState: Type.Object({
      uidValidity: Nullable(Type.Number()),
      lastUid: Type.Number(),
      lastPolledAt: Nullable(Timestamp),
      lastError: Nullable(Type.String()),
      lastErrorAt: Nullable(Timestamp),
      consecutiveFailures: Type.Integer(),
      // after a failed poll: no poll, scheduled or asked through the API, runs before this time (the backoff)
      nextPollAt: Nullable(Timestamp),
      folders: Type.Array(FolderState),
    }),
    sendState: Type.Object(
      { lastError: Nullable(Type.String()), lastErrorAt: Nullable(Timestamp) },
      { description: 'the last sending fault (refused SMTP login, no SMTP settings); cleared by the next successful send' },
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Mailbox' },
);

const MailboxInput = Type.Object(
  {
    label: editable.label,
    address: editable.address,
    persona: Persona,
    imap: ServerInput,
    smtp: Type.Optional(Nullable(SmtpInput)),
    pollIntervalSeconds: Type.Optional(editable.pollIntervalSeconds),
    extraFolders: Type.Optional(editable.extraFolders),
    probeAddressPattern: Type.Optional(editable.probeAddressPattern),
    enabled: Type.Optional(editable.enabled),
  },
  { additionalProperties: false },
);

const MailboxPatch = Type.Object(
  {
    ...Type.Partial(Type.Object(editable)).properties,
    persona: Type.Optional(Type.Partial(Persona)),
    imap: Type.Optional(ServerPatch),
    smtp: Type.Optional(Nullable(ServerPatch)),
  },
  { additionalProperties: false },
);

const tags = ['mailboxes'];

/** What the routes read. */
export interface MailboxesRouteOptions {
  pool: Pool;
  secretBox: SecretBox;
  /** Asks for a mailbox to be polled now; absent when no queue is wired. */
  requestSync?: ((mailboxId: string) => Promise<{ jobId: string }>) | undefined;
}

export const mailboxesRoutes: FastifyPluginAsyncTypebox<MailboxesRouteOptions> = async (app, { pool, secretBox, requestSync }) => {

  /**
   * A server's settings with its login sealed for its row and column (a sealed value copied
   * elsewhere does not open). `current` is the stored OAuth2 login on a patch: secrets left
   * out of an oauth2 patch are kept from it.
   */
  const sealServer = <T extends ServerBody>(channel: 'imap' | 'smtp', server: T, mailboxId: string, mode: 'create' | 'patch', current: SealedOAuth2 | null = null) => {
    const { password, auth, ...rest } = server;
    const field = `body/${channel}`;
    const bad = (message: string, at = field) => new ApiProblem(400, 'Bad Request', `${channel}: ${message}`, { errors: [{ field: at, message }] });
    if (auth?.type === 'oauth2') {
      if (password !== undefined) throw bad('give a password or an oauth2 auth, not both', `${field}/password`);
      if (auth.provider !== 'custom' && auth.tokenUrl) throw bad('tokenUrl is for the custom provider; google and microsoft have theirs', `${field}/auth/tokenUrl`);
      if (auth.provider !== 'microsoft' && auth.tenant) throw bad('tenant is for the microsoft provider', `${field}/auth/tenant`);
      if (auth.provider === 'custom' && !auth.tokenUrl) throw bad('the custom provider needs its tokenUrl', `${field}/auth/tokenUrl`);
      if (auth.tokenUrl && !/^https?:\/\//i.test(auth.tokenUrl)) throw bad('tokenUrl must be an http or https URL', `${field}/auth/tokenUrl`);
      const context = mailboxOAuth2Context(mailboxId, channel);
      const kept: Partial<OAuth2Credentials> = current ? (JSON.parse(secretBox.open(current.sealedCredentials, context)) as OAuth2Credentials) : {};
      const credentials = { clientId: auth.clientId ?? kept.clientId, clientSecret: auth.clientSecret ?? kept.clientSecret, refreshToken: auth.refreshToken ?? kept.refreshToken };
      const missing = Object.entries(credentials).filter(([, v]) => !v).map(([k]) => k);
      if (missing.length > 0) throw bad(`an oauth2 login needs ${missing.join(', ')}`, `${field}/auth/${missing[0]}`);
      const oauth2: SealedOAuth2 = {
        provider: auth.provider,
        tokenUrl: tokenEndpoint(auth.provider, { tenant: auth.tenant, tokenUrl: auth.tokenUrl }),
        scope: auth.scope ?? defaultScope(auth.provider, channel),
        sealedCredentials: secretBox.seal(JSON.stringify(credentials), context),
      };
      return { ...rest, oauth2 };
    }
    // an SMTP relay that trusts its network: no user, no password, no login
    const noLogin = channel === 'smtp' && mode === 'create' && !rest.user && password === undefined;
    if (password === undefined && !noLogin && (mode === 'create' || auth?.type === 'password')) {
      throw bad('needs a password (or an auth of type oauth2)', `${field}/password`);
    }
    return { ...rest, ...(password === undefined ? {} : { sealedPassword: secretBox.seal(password, mailboxPasswordContext(mailboxId, channel)) }) };
  };

  app.get('/mailboxes', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(Type.Ref('Mailbox')), ...commonErrors } } }, async (request) =>
    listMailboxes(pool, request.query),
  );

  app.post(
    '/mailboxes',
    { config: { writeRole: 'admin' }, schema: { tags, body: MailboxInput, response: { 201: Type.Ref('Mailbox'), ...commonErrors } } },
    async (request, reply) => {
      const body = request.body;
      if (body.smtp) refuseHalfLogin(body.smtp);
      await checkHosts(body);
      const id = randomUUID();
      const imap = sealServer('imap', body.imap, id, 'create') as ServerAddress & SealedLogin;
      const smtp = body.smtp ? (sealServer('smtp', body.smtp, id, 'create') as ServerAddress & SealedLogin) : null;
      const mailbox = await withTransaction(pool, (tx) =>
        insertMailbox(tx, { ...body, id, persona: { ...body.persona, gender: body.persona.gender ?? null }, imap, smtp }),
      );
      return reply.code(201).send(mailbox);
    },
  );

  app.get('/mailboxes/:id', { schema: { tags, params: IdParams, response: { 200: Type.Ref('Mailbox'), ...commonErrors } } }, async (request) =>
    found(await findMailbox(pool, request.params.id), 'mailbox', request.params.id),
  );

  app.patch(
    '/mailboxes/:id',
    { config: { writeRole: 'admin' }, schema: { tags, params: IdParams, body: MailboxPatch, response: { 200: Type.Ref('Mailbox'), ...commonErrors } } },
    async (request) => {
      const body: Static<typeof MailboxPatch> = request.body;
      await checkHosts(body);
      const stored = body.imap || body.smtp ? await findMailboxCredentials(pool, request.params.id) : null;
      if (body.smtp && stored && !stored.smtp && !isCompleteServer(body.smtp)) {
        throw new ApiProblem(400, 'Bad Request', 'this mailbox has no SMTP settings yet: give host, port and secure, with user and a password or an oauth2 auth (or none of them for a relay that takes mail without a login)', {
          errors: [{ field: 'body/smtp', message: 'needs host, port and secure, with user and a password or an oauth2 auth together, or neither' }],
        });
      }
      const patch = {
        ...body,
        imap: body.imap && sealServer('imap', body.imap, request.params.id, 'patch', stored?.imap.oauth2 ?? null),
        smtp: body.smtp === null ? null : body.smtp && sealServer('smtp', body.smtp, request.params.id, stored?.smtp ? 'patch' : 'create', stored?.smtp?.oauth2 ?? null),
      };
      const updated = await withTransaction(pool, (tx) => updateMailbox(tx, request.params.id, patch));
      return found(updated, 'mailbox', request.params.id);
    },
  );

  app.delete(
    '/mailboxes/:id',
    { config: { writeRole: 'admin' }, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...commonErrors } } },
    async (request, reply) => {
      found((await withTransaction(pool, (tx) => deleteMailbox(tx, request.params.id))) || null, 'mailbox', request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/mailboxes/:id/sync',
    {
      config: { writeRole: 'auditor' },
      schema: {
        tags,
        params: IdParams,
        response: { 202: Type.Object({ mailboxId: Uuid, jobId: Type.String(), status: Type.Literal('queued') }), ...commonErrors },
      },
    },
    async (request, reply) => {
      found(await findMailbox(pool, request.params.id), 'mailbox', request.params.id);
      if (!requestSync) throw new ApiProblem(503, 'Service Unavailable', 'no job queue is wired to this API process');
      const { jobId } = await requestSync(request.params.id).catch((err: unknown) => {
        request.log.warn({ err }, 'could not queue a sync');
        throw new ApiProblem(503, 'Service Unavailable', 'the job queue (Redis) cannot be reached; try again shortly');
      });
      return reply.code(202).send({ mailboxId: request.params.id, jobId, status: 'queued' as const });
    },
  );
};

/**
 * A host that resolves to a loopback, private, link-local… address is refused with a 422
 * saying what to do (the same check runs again at each connection, against DNS rebinding).
 * A custom OAuth2 token endpoint's host is held to the same rule (and the same
 * SONDE_ALLOW_PRIVATE_HOSTS), checked here and at each token request (`http/guarded-fetch.ts`). A name that does not resolve now is
 * accepted: DNS may be down, and the sync will say so.
 */
async function checkHosts(body: { imap?: ServerBody | undefined; smtp?: ServerBody | null | undefined }): Promise<void> {
  const hosts: Array<[string, string | undefined]> = [];
  for (const channel of ['imap', 'smtp'] as const) {
    const server = body[channel];
    hosts.push([`body/${channel}/host`, server?.host]);
    if (server?.auth?.type === 'oauth2' && server.auth.tokenUrl) hosts.push([`body/${channel}/auth/tokenUrl`, tokenUrlHost(server.auth.tokenUrl)]);
  }
  for (const [field, host] of hosts) {
    if (!host) continue;
    const refusal = await resolveAllowedHost(host).then(
      () => null,
      (err: unknown) => (err instanceof RefusedHostError ? err : null),
    );
    if (refusal) {
      throw new ApiProblem(422, 'Unprocessable Entity', refusal.message, { errors: [{ field, message: refusal.message }] });
    }
  }
}

function tokenUrlHost(url: string): string | undefined {
  try {
    // an IPv6 literal comes bracketed
    return new URL(url).hostname.replace(/^\[(.*)\]$/u, '$1');
  } catch {
    return undefined; // refused as a bad URL by sealServer
  }
}

function isCompleteServer(server: Partial<Static<typeof ServerInput>>): boolean {
  if (!(server.host && server.port && server.secure !== undefined)) return false;
  if (server.auth?.type === 'oauth2') return Boolean(server.user);
  return Boolean(server.user) === Boolean(server.password);
}

function refuseHalfLogin(smtp: { user?: string | undefined; password?: string | undefined; auth?: { type: string } | undefined }): void {
  if (smtp.auth?.type === 'oauth2') {
    if (smtp.user) return;
    throw new ApiProblem(400, 'Bad Request', 'body/smtp/user is required with an oauth2 auth', { errors: [{ field: 'body/smtp/user', message: 'an oauth2 login needs its user' }] });
  }
  if (Boolean(smtp.user) === Boolean(smtp.password)) return;
  const missing = smtp.user ? 'password' : 'user';
  throw new ApiProblem(400, 'Bad Request', `body/smtp/${missing} is required with body/smtp/${missing === 'user' ? 'password' : 'user'}; give both, or neither for a relay without login`, {
    errors: [{ field: `body/smtp/${missing}`, message: 'user and password go together' }],
  });
}
