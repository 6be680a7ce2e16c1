/**
 * The servers every drill starts before its service: a private Dovecot, a private Redis, a
 * database of its own and, when asked, a counting SMTP peer; each removed by the drill's
 * cleanup. The drill then starts the service processes it needs on `settings`.
 */
import { drillDatabase, serviceSettings, type Drill, type DrillDatabase, type ServiceSettings } from './drill-harness.ts';
import { startDrillDovecot, startRedis, type DrillDovecot, type RedisServer } from './drill-servers.ts';
import { startSmtpPeer, type SmtpPeer } from './drill-smtp.ts';

export interface DrillServers {
  logDir: string;
  dovecot: DrillDovecot;
  redis: RedisServer;
  db: DrillDatabase;
  settings: ServiceSettings;
}

export async function startDrillServers(drill: Drill, env?: Record<string, string>): Promise<DrillServers>;
export async function startDrillServers(drill: Drill, env: Record<string, string> | undefined, options: { smtp: true }): Promise<DrillServers & { peer: SmtpPeer }>;
export async function startDrillServers(drill: Drill, env: Record<string, string> = {}, options: { smtp?: boolean } = {}): Promise<DrillServers & { peer?: SmtpPeer }> {
  const logDir = await drill.dir();
  const dovecot = await startDrillDovecot();
  drill.defer(() => dovecot.stop());
  let peer: SmtpPeer | undefined;
  if (options.smtp) {
    const started = await startSmtpPeer();
    drill.defer(() => started.close());
    peer = started;
  }
  const redis = await startRedis();
  drill.defer(() => redis.destroy());
  const db = drillDatabase(drill);
  return { logDir, dovecot, redis, db, settings: serviceSettings(db, redis.url, env), ...(peer && { peer }) };
}
