/**
 * `sonde demo [--brands N] [--port P] [--keep]`: runs the demo in the terminal, then says
 * where to explore the same data, and tears everything down (at once, or at Ctrl-C with
 * `--keep`). Ctrl-C during the run removes everything too.
 */
import { InvalidArgumentError } from 'commander';
import type { Config } from '../config.ts';
import { MAX_DEMO_BRANDS } from './demo-world.ts';
import { runDemo, type DemoRun } from './run-demo.ts';

export interface DemoCommandOptions {
  brands: number;
  port?: number;
  keep?: boolean;
}

export function parseBrandCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEMO_BRANDS) throw new InvalidArgumentError(`a whole number from 1 to ${MAX_DEMO_BRANDS}`);
  return count;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('a port number, 0 for a free one');
  return port;
}

export async function demoCommand(config: Config, options: DemoCommandOptions): Promise<void> {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const started = Date.now();
  const interrupted = new AbortController();
  // a first Ctrl-C tears down cleanly; a second one, should the teardown hang, quits at once
  const interrupt = () => (interrupted.signal.aborted ? process.exit(130) : interrupted.abort(new Error('interrupted')));
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  let run: DemoRun;
  try {
    run = await runDemo({ config, brands: options.brands, ...(options.port !== undefined && { port: options.port }), write, signal: interrupted.signal });
  } catch (err) {
    if (interrupted.signal.aborted) {
      write('\nInterrupted: everything the demo made is removed.');
      process.exitCode = 130;
    } else {
      process.stderr.write(`sonde demo: ${describe(err)}\n`);
      process.exitCode = 1;
    }
    return;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }

  const stats = `${run.apiUrl}/v1/stats?campaignId=${run.campaignId}&groupBy=brand`;
  write('');
  write(options.keep ? 'Explore the same data through the API:' : 'To explore the same data through the API, run `sonde demo --keep`; this run had:');
  write(`  API        ${run.apiUrl}  (OpenAPI documentation at ${run.apiUrl}/docs)`);
  write(`  admin key  ${run.adminKey}`);
  write(`  curl -s -H "Authorization: Bearer ${run.adminKey}" "${stats}"`);
  if (options.keep) {
    write('');
    write(`Ready in ${seconds(started)} s. The service keeps running; Ctrl-C stops it and removes everything the demo made.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    write('');
  }
  await run.stop();
  write(`Done in ${seconds(started)} s: the service is stopped; its database, mail server and queue keys are removed.`);
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(0);
}

function describe(err: unknown): string {
  if (err instanceof AggregateError) return `${err.message}:\n  ${err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('\n  ')}`;
  return err instanceof Error ? err.message : String(err);
}
