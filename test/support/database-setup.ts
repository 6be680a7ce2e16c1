/** Vitest global setup: one migrated template database per test run. */
import type { TestProject } from 'vitest/node';
import { createTemplate, dropDatabase } from './database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = await createTemplate();
  project.provide('databaseTemplate', template);
  return async () => dropDatabase(template);
}
