/**
 * What the ingest benchmark runs against, all its own and all removed at the end: a
 * private Dovecot, a freshly migrated database `sonde_bench_ingest_<random>`, the Redis
 * that holds the poll locks (keys under a random prefix), and the worker's own pieces
 * (connection cache, secret box, silent logger). Brands, mailboxes and probes go in
 * through the repositories, as the API would put them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { insertBrand } from '../../src/db/brands.repo.ts';
import { insertCampaign } from '../../src/db/campaigns.repo.ts';
import { insertMailbox, mailboxPasswordContext } from '../../src/db/mailboxes.repo.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool, withTransaction, type Pool } from '../../src/db/pool.ts';
import { insertProbe } from '../../src/db/probes.repo.ts';
import { insertSector } from '../../src/db/sectors.repo.ts';
import { createLogger } from '../../src/logger.ts';
import { PreparePool } from '../../src/flow/prepare-pool.ts';
import { MailboxSync } from '../../src/flow/sync-mailbox.ts';
import { setHostPolicy } from '../../src/mail/host-guard.ts';
import { ImapConnectionCache } from '../../src/mail/imap-client.ts';
import type { PollDeps } from '../../src/queue/poll-mailbox.job.ts';
import { createSecretBox } from '../../src/secrets.ts';
import { databaseUrl, dropDatabase } from '../../test/support/database.ts';
import { startDovecot, type DovecotServer, type MailUser } from '../../test/support/dovecot.ts';
import type { BenchBrand, BenchPersona, BenchProbe } from './mailbox-corpus.ts';

/** Messages up to this size are fetched whole, as the worker's default setting does. */
const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export interface IngestBench {
  dovecot: DovecotServer;
  databaseName: string;
  pool: Pool;
  /** The worker's poll dependencies, its sync engine (connection cache included) among them. */
  deps: PollDeps;
  /** The size cap the sync fetches whole messages up to. */
  maxMessageBytes: number;
  /** The key the mailbox passwords are sealed with, and the Redis the bench's keys live in, under `keyPrefix`: for a worker of its own (the IDLE figures). */
  secretKey: Buffer;
  redisUrl: string;
  keyPrefix: string;
  /** A brand in a sector, with a campaign (default norms, business hours, timezone). */
  seedBrand(brand: BenchBrand): Promise<{ brandId: string; campaignId: string }>;
  /** A test mailbox on the private Dovecot: a new IMAP user, and its mailbox row. */
  createMailbox(label: string, persona: Omit<BenchPersona, 'address'>, options?: { pollIntervalSeconds?: number }): Promise<{ mailboxId: string; user: MailUser }>;
  /** Probes sent from the mailbox to the brand, in one transaction. */
  insertProbes(target: { campaignId: string; brandId: string; mailboxId: string; recipient: string; personaAddress: string }, probes: readonly BenchProbe[]): Promise<string[]>;
  /** Stops everything this bench started and drops its database; safe to call twice. */
  close(): Promise<void>;
}

export async function openIngestBench(): Promise<IngestBench> {
  // the bench's Dovecot listens on loopback
  setHostPolicy({ allowPrivateHosts: true });
  const databaseName = `sonde_bench_ingest_${randomBytes(4).toString('hex')}`;
  const lockPrefix = `sonde-bench-ingest-${randomBytes(4).toString('hex')}`;
  const undo: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const step of undo.splice(0).reverse()) await step().catch((err: unknown) => console.error('cleanup failed:', err));
  };
  try {
    const dovecot = await startDovecot();
    undo.push(() => dovecot.stop());
    undo.push(() => dropDatabase(databaseName));
    await migrate(databaseUrl(databaseName));
    const pool = createPool(databaseUrl(databaseName), 10);
    undo.push(() => pool.end());
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
    await redis.connect();
    undo.push(async () => {
      const keys = await redis.keys(`${lockPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });
    const connections = new ImapConnectionCache();
    undo.push(() => connections.close());
    const secretKey = randomBytes(32);
    const secretBox = createSecretBox(secretKey);
    // as the worker role runs it: parsing on a worker thread
    const preparer = new PreparePool();
    undo.push(() => preparer.close());
    const sync = new MailboxSync({ pool, secretBox, connections, preparer, maxMessageBytes: MAX_MESSAGE_BYTES });
    const deps: PollDeps = { redis, logger: createLogger('silent'), lockPrefix, sync };

    return {
      dovecot,
      databaseName,
      pool,
      deps,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      secretKey,
      redisUrl,
      keyPrefix: lockPrefix,
      async seedBrand(brand) {
        const sector = await insertSector(pool, { name: 'Ameublement' });
        const { id: brandId } = await insertBrand(pool, {
          sectorId: sector.id,
          name: brand.name,
          contactAddresses: [brand.contactAddress],
          senderDomains: [brand.domain, brand.helpdeskDomain],
          vocabulary: [],
          charter: { logoHints: ['logo'], colors: ['#1a4b8c'] },
        });
        const workdays = { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' };
        const campaign = await withTransaction(pool, (tx) =>
          insertCampaign(tx, {
            name: 'Baromètre ameublement',
            startsAt: null,
            endsAt: null,
            timezone: 'Europe/Paris',
            businessHours: workdays,
            sendWindow: workdays,
            norms: [4, 24],
            reminder: { afterHours: 24, max: 1 },
            probesPerBrand: 1,
            seed: 1,
            brandIds: [brandId],
            scenarioIds: [],
            mailboxIds: [],
          }),
        );
        return { brandId, campaignId: campaign.id };
      },
      async createMailbox(label, persona, options = {}) {
        const user = await dovecot.createUser('bench');
        const id = randomUUID();
        const mailbox = await insertMailbox(pool, {
          id,
          label,
          address: user.address,
          persona: { firstName: persona.firstName, lastName: persona.lastName, gender: 'female' },
          pollIntervalSeconds: options.pollIntervalSeconds,
          imap: { host: dovecot.host, port: dovecot.port, secure: false, allowPlaintext: true, user: user.user, sealedPassword: secretBox.seal(user.password, mailboxPasswordContext(id, 'imap')) },
        });
        return { mailboxId: mailbox.id, user };
      },
      insertProbes(target, probes) {
        return withTransaction(pool, async (tx) => {
          const ids: string[] = [];
          for (const probe of probes) {
            const inserted = await insertProbe(tx, {
              ...target,
              channel: 'email',
              subject: probe.subject,
              body: probe.body,
              messageId: probe.messageId,
              sentAt: probe.sentAt,
              status: 'sent',
            });
            ids.push(inserted.id);
          }
          return ids;
        });
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
