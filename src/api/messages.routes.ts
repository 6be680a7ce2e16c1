/**
 * Everything found in the test mailboxes. `?matched=false` is the review queue;
 * `POST /:id/assign` attaches a message to a probe by hand.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findMessage, listMessages, type MessageKind } from '../db/messages.repo.ts';
import { findProbe } from '../db/probes.repo.ts';
import { assignMessage } from '../flow/assign-message.ts';
import { found, unprocessable } from './problem.ts';
import { Kind, presentMessage } from './message-schema.ts';
import { IdParams, Nullable, Page, PageQuery, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';


const tags = ['messages'];

/** What the routes read. */
export interface MessagesRouteOptions {
  pool: Pool;
}

export const messagesRoutes: FastifyPluginAsyncTypebox<MessagesRouteOptions> = async (app, { pool }) => {
  const db = pool;

  app.get(
    '/messages',
    {
      schema: {
        tags,
        querystring: Type.Object({
          ...PageQuery,
          mailboxId: Type.Optional(Uuid),
          probeId: Type.Optional(Uuid),
          matched: Type.Optional(Type.Boolean({ description: 'false: the review queue' })),
          kind: Type.Optional(Kind),
        }),
        response: { 200: Page(Type.Ref('Message')), ...commonErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listMessages(db, q, { mailboxId: q.mailboxId, probeId: q.probeId, matched: q.matched, kind: q.kind as MessageKind | undefined });
      return { ...page, items: page.items.map(presentMessage) };
    },
  );

  app.get('/messages/:id', { schema: { tags, params: IdParams, response: { 200: Type.Ref('Message'), ...commonErrors } } }, async (request) =>
    presentMessage(found(await findMessage(db, request.params.id), 'message', request.params.id)),
  );

  app.post(
    '/messages/:id/assign',
    {
      config: { writeRole: 'auditor' },
      schema: {
        tags,
        params: IdParams,
        body: Type.Object(
          {
            probeId: Nullable(Uuid),
            kind: Type.Optional(Kind),
          },
          { additionalProperties: false, description: 'probeId null takes the message back to the review queue' },
        ),
        response: { 200: Type.Ref('Message'), ...commonErrors },
      },
    },
    async (request) => {
      const message = found(await findMessage(db, request.params.id), 'message', request.params.id);
      const { probeId, kind } = request.body;
      if (probeId) {
        const probe = await findProbe(db, probeId);
        if (!probe) throw unprocessable(`probeId ${probeId} does not exist`, [{ field: 'body/probeId', message: 'no probe has this id' }]);
        if (probe.mailboxId !== message.mailboxId) {
          throw unprocessable('the probe was sent from another mailbox than the one this message was found in', [
            { field: 'body/probeId', message: 'must be a probe of the message\'s mailbox' },
          ]);
        }
      }
      await assignMessage(db, { messageId: message.id, probeId, kind: kind as MessageKind | undefined, by: request.caller?.label ?? 'unknown' });
      return presentMessage((await findMessage(db, message.id))!);
    },
  );
};
