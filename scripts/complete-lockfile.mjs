#!/usr/bin/env node
// The registry mirror of these machines lacks some foreign-platform builds of
// msgpackr-extract (BullMQ's optional native MessagePack codec). `npm install` then
// leaves them out of package-lock.json, and `npm ci` refuses the lock file as out of
// sync. This records them as optional packages for other platforms: npm ci skips
// them here and fetches them where they apply. Run it after any `npm install`.
// `--check` writes nothing and exits 1 when a build is missing (npm test and .ci/run
// run it so, so that nobody has to remember); `--lock FILE` reads another lock file.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { check: { type: 'boolean', default: false }, lock: { type: 'string' } } });
const file = args.lock ?? new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const parent = lock.packages['node_modules/msgpackr-extract'];
if (!parent) process.exit(0);
const builds = { 'darwin-arm64': ['darwin', 'arm64'], 'darwin-x64': ['darwin', 'x64'], 'linux-arm': ['linux', 'arm'], 'linux-arm64': ['linux', 'arm64'], 'linux-x64': ['linux', 'x64'], 'win32-x64': ['win32', 'x64'] };
let added = 0;
const missing = [];
for (const [name, [os, cpu]] of Object.entries(builds)) {
  const key = `node_modules/@msgpackr-extract/msgpackr-extract-${name}`;
  if (lock.packages[key]) continue;
  missing.push(name);
  lock.packages[key] = { version: parent.version, cpu: [cpu], license: 'MIT', optional: true, os: [os] };
  added++;
}
if (args.check) {
  if (missing.length > 0) {
    process.stderr.write(`package-lock.json lacks the msgpackr-extract build(s) for ${missing.join(', ')}: run node scripts/complete-lockfile.mjs and commit the lock file\n`);
    process.exit(1);
  }
  process.exit(0);
}
if (added > 0) {
  const [root, ...rest] = Object.entries(lock.packages);
  lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  process.stdout.write(`package-lock.json: recorded ${added} foreign-platform build(s) of msgpackr-extract\n`);
}
