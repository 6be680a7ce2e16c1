#!/usr/bin/env node
// The `sonde` command. TypeScript runs through tsx's loader: no build step, one source of truth.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli.ts');
await run(process.argv);
