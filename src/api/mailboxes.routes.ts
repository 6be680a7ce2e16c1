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
} from '../db/mailboxes.repo.ts';
import { withTransaction } from '../db/pool.ts';
import type { SealedServerLogin } from '../mail/server-login.ts';
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
const ServerInput = Type.Object(
  { ...serverFields, password: Type.String({ minLength: 1, maxLength: 1000, writeOnly: true, description: 'write-only: never returned' }) },
  { additionalProperties: false },
);
const ServerPatch = Type.Partial(ServerInput);
const Server = Type.Object(serverFields);

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

  const sealServer = <T extends { password?: string | undefined }>(server: T) => {
    const { password, ...rest } = server;
    return { ...rest, sealedPassword: password === undefined ? undefined : secretBox.seal(password) };
  };

  app.get('/mailboxes', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(Type.Ref('Mailbox')), ...commonErrors } } }, async (request) =>
    listMailboxes(pool, request.query),
  );

  app.post(
    '/mailboxes',
    { config: { writeRole: 'admin' }, schema: { tags, body: MailboxInput, response: { 201: Type.Ref('Mailbox'), ...commonErrors } } },
    async (request, reply) => {
      const body = request.body;
      const imap = sealServer(body.imap) as SealedServerLogin;
      const smtp = body.smtp ? (sealServer(body.smtp) as SealedServerLogin) : null;
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
      if (body.smtp && !(await hasSmtp(request.params.id)) && !isCompleteServer(body.smtp)) {
        throw new ApiProblem(400, 'Bad Request', 'this mailbox has no SMTP settings yet: give host, port, secure, user and password together', {
          errors: [{ field: 'body/smtp', message: 'needs host, port, secure, user and password' }],
        });
      }
      const patch = {
        ...body,
        imap: body.imap && sealServer(body.imap),
        smtp: body.smtp === null ? null : body.smtp && sealServer(body.smtp),
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

  async function hasSmtp(id: string): Promise<boolean> {
    return Boolean((await findMailbox(pool, id))?.smtp);
  }
};

function isCompleteServer(server: Partial<Static<typeof ServerInput>>): boolean {
  return Boolean(server.host && server.port && server.secure !== undefined && server.user && server.password);
}
