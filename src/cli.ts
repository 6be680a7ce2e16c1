/**
 * `sonde`: the operator's commands. `sonde start` (what `npm start` runs) starts the
 * service; the others do one thing and exit.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { migrate } from './db/migrate.ts';
import { createPool } from './db/pool.ts';
import { API_ROLES, createApiKey, type ApiRole } from './db/api-keys.repo.ts';
import { DependencyError, startService } from './main.ts';
import { PROCESS_SHUTDOWN } from './shutdown.ts';
import { rotateStoredSecrets } from './flow/mailbox-logins.ts';
import { SecretKeyConfigError, SecretKeyMismatchError, createSecretBox, decodeKey, resolveSecretKey } from './secrets.ts';
import { analyseFile, type AnalyseOptions } from './cli-analyse.ts';
import { demoCommand, parseBrandCount, parsePort, type DemoCommandOptions } from './demo/demo-command.ts';
import { ReportCommandError, writeReport, type ReportCommandOptions } from './cli-report.ts';

function setup(): { config: Config; logger: Logger } {
  const config = loadConfig();
  return { config, logger: createLogger(config.logLevel) };
}

const program = new Command('sonde').description('E-mail response-quality auditing').showHelpAfterError();

program
  .command('start', { isDefault: true })
  .description('run the service: API, worker and scheduler roles (SONDE_ROLE picks some)')
  .action(async () => {
    const { config, logger } = setup();
    const service = await startService(config, logger);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, boundS: config.shutdownTimeoutMs / 1000 }, 'stopping');
      const done = service.stop().then(
        () => 0,
        async (err: unknown) => {
          logger.error({ err }, 'the stop failed');
          // even then, never exit between a send's SMTP acceptance and its record
          await PROCESS_SHUTDOWN.idle();
          return 1;
        },
      );
      process.exit(await Promise.race([done, forcedExit(config.shutdownTimeoutMs, done, logger)]));
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('uncaughtException', (err) => {
      logger.fatal({ err }, 'uncaught exception');
      process.exit(1);
    });
  });

program
  .command('migrate')
  .description('apply the database migrations (also done at every start)')
  .action(async () => {
    const { config, logger } = setup();
    const applied = await migrate(config.databaseUrl, logger);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
  });

program
  .command('analyse')
  .alias('analyze')
  .description('analyse raw messages (.eml): one JSON line per file, no database needed')
  .argument('<files...>', 'raw messages')
  .option('--persona <name>', 'the persona, e.g. "Marie Dupont": checks the greeting and personalisation')
  .option('--brand-domain <domain...>', "the brand's sender domains")
  .option('--brand-name <name>', "the brand's name (accepted by the speller)")
  .addOption(new Option('--lang <lang>', 'language when the reply\'s own cannot be told').choices(['fr', 'en']))
  .action(async (files: string[], options: AnalyseOptions) => {
    for (const file of files) process.stdout.write(`${JSON.stringify(await analyseFile(file, options))}\n`);
  });

program
  .command('demo')
  .description('a whole campaign against simulated brands in about a minute, ending with the results table (needs what npm test needs)')
  .option('--brands <count>', 'simulated brands, one behaviour each in turn', parseBrandCount, 12)
  .option('--port <port>', 'where the API listens (default: a free port)', parsePort)
  .option('--keep', 'keep the service running after the table, until Ctrl-C')
  .action(async (options: DemoCommandOptions) => demoCommand(setup().config, options));

program
  .command('report')
  .description("write a campaign's report, or one brand's evidence pack, as PDF (default) or HTML")
  .argument('<campaignId>', 'the campaign')
  .option('--brand <brandId>', "only this brand's evidence pack")
  .addOption(new Option('--format <format>', 'pdf or html (default: pdf, or html for an --out ending in .html)').choices(['pdf', 'html']))
  .option('--out <file>', 'where to write it (default: report-<campaign>.pdf in the current folder)')
  .addOption(new Option('--lang <lang>', "fr or en (default: the scenarios' language, French first)").choices(['fr', 'en']))
  .action(async (campaignId: string, options: ReportCommandOptions) => {
    const { path, report } = await writeReport(setup().config, campaignId, options);
    process.stdout.write(`${path}\n`);
    process.stderr.write(`wrote ${report.title} (${report.format}${report.pages === null ? '' : `, ${report.pages} pages`})\n`);
  });

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description('create an API key and print it once')
  .addOption(new Option('--role <role>', 'admin, auditor or reader').choices(API_ROLES).makeOptionMandatory())
  .option('--label <label>', 'what the key is for', 'created from the CLI')
  .action(async (options: { role: ApiRole; label: string }) => {
    const { config, logger } = setup();
    await migrate(config.databaseUrl, logger);
    const pool = createPool(config.databaseUrl, 1);
    try {
      const key = await createApiKey(pool, { label: options.label, role: options.role });
      process.stdout.write(`${key.key}\n`);
      process.stderr.write(`created ${key.role} key ${key.id} ("${key.label}"); it is shown once, keep it now\n`);
    } finally {
      await pool.end();
    }
  });

const secrets = program.command('secrets').description('the key that seals mailbox passwords');
secrets
  .command('rotate')
  .description(
    're-seal every stored secret (mailbox passwords and OAuth2 credentials, webhook secrets) with a new key, in one transaction: the current key from SONDE_SECRET_KEY (or its file), ' +
      'the new one from SONDE_NEW_SECRET_KEY or --new-key-file; then start the service with the new key',
  )
  .option('--new-key-file <file>', 'a file holding the new key (32 bytes in base64), instead of SONDE_NEW_SECRET_KEY')
  .action(async (options: { newKeyFile?: string }) => {
    const { config, logger } = setup();
    const text = options.newKeyFile ? readFileSync(options.newKeyFile, 'utf8').trim() : process.env.SONDE_NEW_SECRET_KEY;
    if (!text) throw new ConfigError('give the new key in SONDE_NEW_SECRET_KEY or --new-key-file (openssl rand -base64 32)');
    const current = createSecretBox(resolveSecretKey({ ...config, roles: [] }, logger));
    const next = createSecretBox(decodeKey(text, options.newKeyFile ?? 'SONDE_NEW_SECRET_KEY'));
    await migrate(config.databaseUrl, logger);
    const pool = createPool(config.databaseUrl, 1);
    try {
      const { resealed } = await rotateStoredSecrets(pool, current, next);
      process.stdout.write(`re-sealed ${resealed} secret(s) with key ${next.keyId} (was ${current.keyId}); start the service with the new SONDE_SECRET_KEY now\n`);
    } finally {
      await pool.end();
    }
  });

/**
 * The bound of a stop: past `boundMs` the process exits (1) without waiting for the rest of the
 * running jobs, except a send between its SMTP conversation and its record, which is waited
 * for however long it takes (`PROCESS_SHUTDOWN`); once it is recorded the stop gets a few more
 * seconds to end by itself.
 */
async function forcedExit(boundMs: number, done: Promise<number>, logger: Logger): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, boundMs).unref());
  if (PROCESS_SHUTDOWN.critical.length > 0) {
    logger.warn({ sending: PROCESS_SHUTDOWN.critical }, 'stop bound reached: waiting for the sends under way to be recorded');
    await PROCESS_SHUTDOWN.idle();
    const grace = await Promise.race([done, new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000).unref())]);
    if (grace !== null) return grace;
  }
  logger.warn('stop bound reached: exiting without waiting for the running jobs');
  return 1;
}

export async function run(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (
      err instanceof ConfigError ||
      err instanceof DependencyError ||
      err instanceof ReportCommandError ||
      err instanceof SecretKeyConfigError ||
      err instanceof SecretKeyMismatchError
    ) {
      process.stderr.write(`sonde: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export { program };
