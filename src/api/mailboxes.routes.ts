/**
 * Test mailboxes. Passwords are write-only: sealed (AES-256-GCM) before they reach
 * the database, and absent from every response schema, which is also the filter
 * that keeps them from leaking.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  deleteMailbox,
  findMailbox,
  insertMailbox,
  listMailboxes,
  updateMailbox,
  findMailboxCredentials,
  type SealedLogin,
  type SealedOAuth2,
} from '../db/mailboxes.repo.ts';
import type { ServerAddress } from '../mail/server-login.ts';
import { withTransaction } from '../db/pool.ts';
import { defaultScope, OAUTH2_PROVIDERS, tokenEndpoint, type OAuth2Credentials } from '../http/oauth2-token.ts';
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
  secure: Type.Boolean({ description: 'TLS from the first byte (993, 465); false for plain or STARTTLS' }),
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
    tokenUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2000, description: 'custom only: the token endpoint' })),
    scope: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'asked on refresh; Microsoft defaults to the IMAP or SMTP scope with offline_access' })),
    clientId: Type.Optional(writeOnly(500, 'the OAuth2 client id')),
    clientSecret: Type.Optional(writeOnly(2000, 'the OAuth2 client secret')),
    refreshToken: Type.Optional(writeOnly(8000, 'the refresh token obtained by the consent')),
  },
  { additionalProperties: false, description: 'XOAUTH2 login; on a patch, secrets left out are kept' },
);
const AuthInput = Type.Union([Type.Object({ type: Type.Literal('password') }, { additionalProperties: false }), OAuth2Input]);
const ServerInput = Type.Object(
  {
    ...serverFields,
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, writeOnly: true, description: 'write-only: never returned' })),
    auth: Type.Optional(AuthInput),
  },
  { additionalProperties: false, description: 'a password, or `auth` of type `oauth2`' },
);
const ServerPatch = Type.Partial(ServerInput);
const Server = Type.Object({
  ...serverFields,
  auth: Type.Union([
    Type.Object({ type: Type.Literal('password') }),
    Type.Object({ type: Type.Literal('oauth2'), provider: Provider, tokenUrl: Type.String(), scope: Nullable(Type.String()) }),
  ]),
});
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
    smtp: Nullable(Server),
    syncState: Type.Object({
      uidValidity: Nullable(Type.Number()),
      lastUid: Type.Number(),
      lastPolledAt: Nullable(Timestamp),
      lastError: Nullable(Type.String()),
      lastErrorAt: Nullable(Timestamp),
      consecutiveFailures: Type.Integer(),
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
    smtp: Type.Optional(Nullable(ServerInput)),
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
   * A server's settings with its login sealed. `current` is the stored OAuth2 login on a
   * patch: secrets left out of an oauth2 patch are kept from it.
   */
  const sealServer = <T extends ServerBody>(channel: 'imap' | 'smtp', server: T, mode: 'create' | 'patch', current: SealedOAuth2 | null = null) => {
    const { password, auth, ...rest } = server;
    const field = `body/${channel}`;
    const bad = (message: string, at = field) => new ApiProblem(400, 'Bad Request', `${channel}: ${message}`, { errors: [{ field: at, message }] });
    if (auth?.type === 'oauth2') {
      if (password !== undefined) throw bad('give a password or an oauth2 auth, not both', `${field}/password`);
      if (auth.provider !== 'custom' && auth.tokenUrl) throw bad('tokenUrl is for the custom provider; google and microsoft have theirs', `${field}/auth/tokenUrl`);
      if (auth.provider !== 'microsoft' && auth.tenant) throw bad('tenant is for the microsoft provider', `${field}/auth/tenant`);
      if (auth.provider === 'custom' && !auth.tokenUrl) throw bad('the custom provider needs its tokenUrl', `${field}/auth/tokenUrl`);
      if (auth.tokenUrl && !/^https?:\/\//i.test(auth.tokenUrl)) throw bad('tokenUrl must be an http or https URL', `${field}/auth/tokenUrl`);
      const kept: Partial<OAuth2Credentials> = current ? (JSON.parse(secretBox.open(current.sealedCredentials)) as OAuth2Credentials) : {};
      const credentials = { clientId: auth.clientId ?? kept.clientId, clientSecret: auth.clientSecret ?? kept.clientSecret, refreshToken: auth.refreshToken ?? kept.refreshToken };
      const missing = Object.entries(credentials).filter(([, v]) => !v).map(([k]) => k);
      if (missing.length > 0) throw bad(`an oauth2 login needs ${missing.join(', ')}`, `${field}/auth/${missing[0]}`);
      const oauth2: SealedOAuth2 = {
        provider: auth.provider,
        tokenUrl: tokenEndpoint(auth.provider, { tenant: auth.tenant, tokenUrl: auth.tokenUrl }),
        scope: auth.scope ?? defaultScope(auth.provider, channel),
        sealedCredentials: secretBox.seal(JSON.stringify(credentials)),
      };
      return { ...rest, oauth2 };
    }
    if (password === undefined && (mode === 'create' || auth?.type === 'password')) {
      throw bad('needs a password (or an auth of type oauth2)', `${field}/password`);
    }
    return { ...rest, ...(password === undefined ? {} : { sealedPassword: secretBox.seal(password) }) };
  };

  app.get('/mailboxes', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(Type.Ref('Mailbox')), ...commonErrors } } }, async (request) =>
    listMailboxes(pool, request.query),
  );

  app.post(
    '/mailboxes',
    { config: { writeRole: 'admin' }, schema: { tags, body: MailboxInput, response: { 201: Type.Ref('Mailbox'), ...commonErrors } } },
    async (request, reply) => {
      const body = request.body;
      const imap = sealServer('imap', body.imap, 'create') as ServerAddress & SealedLogin;
      const smtp = body.smtp ? (sealServer('smtp', body.smtp, 'create') as ServerAddress & SealedLogin) : null;
      const mailbox = await withTransaction(pool, (tx) =>
        insertMailbox(tx, { ...body, persona: { ...body.persona, gender: body.persona.gender ?? null }, imap, smtp }),
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
      const stored = body.imap || body.smtp ? await findMailboxCredentials(pool, request.params.id) : null;
      if (body.smtp && stored && !stored.smtp && !isCompleteServer(body.smtp)) {
        throw new ApiProblem(400, 'Bad Request', 'this mailbox has no SMTP settings yet: give host, port, secure, user and a password or an oauth2 auth together', {
          errors: [{ field: 'body/smtp', message: 'needs host, port, secure, user and a password or an oauth2 auth' }],
        });
      }
      const patch = {
        ...body,
        imap: body.imap && sealServer('imap', body.imap, 'patch', stored?.imap.oauth2 ?? null),
        smtp: body.smtp === null ? null : body.smtp && sealServer('smtp', body.smtp, stored?.smtp ? 'patch' : 'create', stored?.smtp?.oauth2 ?? null),
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

function isCompleteServer(server: Partial<Static<typeof ServerInput>>): boolean {
  return Boolean(server.host && server.port && server.secure !== undefined && server.user && (server.password || server.auth?.type === 'oauth2'));
}
