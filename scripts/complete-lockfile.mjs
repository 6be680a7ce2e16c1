#!/usr/bin/env node
// The registry mirror of these machines lacks some foreign-platform builds of
// msgpackr-extract (BullMQ's optional native MessagePack codec). `npm install` then
// leaves them out of package-lock.json, and `npm ci` refuses the lock file as out of
// sync. This records them as optional packages for other platforms: npm ci skips
// them here and fetches them where they apply. Run it after any `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const parent = lock.packages['node_modules/msgpackr-extract'];
if (!parent) process.exit(0);
const builds = { 'darwin-arm64': ['darwin', 'arm64'], 'darwin-x64': ['darwin', 'x64'], 'linux-arm': ['linux', 'arm'], 'linux-arm64': ['linux', 'arm64'], 'linux-x64': ['linux', 'x64'], 'win32-x64': ['win32', 'x64'] };
let added = 0;
for (const [name, [os, cpu]] of Object.entries(builds)) {
  const key = `node_modules/@msgpackr-extract/msgpackr-extract-${name}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = { version: parent.version, cpu: [cpu], license: 'MIT', optional: true, os: [os] };
  added++;
}
if (added > 0) {
  const [root, ...rest] = Object.entries(lock.packages);
  lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  process.stdout.write(`package-lock.json: recorded ${added} foreign-platform build(s) of msgpackr-extract\n`);
}
