/**
 * Vitest global setup of the integration project: runs once per test run, in
 * the main process, and `provide`s to the test workers what they need to reach
 * the shared services. Each resource pushes its own teardown, undone in reverse.
 */
import type { TestProject } from 'vitest/node';
import { startDovecot, type DovecotHandle } from './dovecot.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's one Dovecot; each test file makes its own users with `createMailUser`. */
    dovecot: DovecotHandle;
  }
}

type Teardown = () => Promise<void>;

const teardowns: Teardown[] = [];

export async function setup(project: TestProject): Promise<void> {
  teardowns.push(await provideDovecot(project));
}

/** Exported on its own rather than returned by `setup`, so it also runs when `setup` failed half-way. */
export async function teardown(): Promise<void> {
  const failures: unknown[] = [];
  for (const undo of teardowns.splice(0).reverse()) await undo().catch((err: unknown) => failures.push(err));
  if (failures.length > 0) throw new AggregateError(failures, 'global teardown failed');
}

export async function provideDovecot(project: TestProject): Promise<Teardown> {
  const dovecot = await startDovecot();
  const { host, port, baseDir, configFile, passwdDir, mailUid, mailGid } = dovecot;
  project.provide('dovecot', { host, port, baseDir, configFile, passwdDir, mailUid, mailGid });
  return dovecot.stop;
}
