/** The lock file check that npm test and .ci/run start with: a missing foreign build fails it. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/complete-lockfile.mjs', import.meta.url).pathname;
const LOCK = new URL('../../package-lock.json', import.meta.url).pathname;

describe('complete-lockfile --check', () => {
  it('passes on the project lock file and fails, writing nothing, when a platform build is missing', () => {
    expect(() => execFileSync('node', [SCRIPT, '--check'])).not.toThrow();
    const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
    delete lock.packages['node_modules/@msgpackr-extract/msgpackr-extract-darwin-arm64'];
    const file = join(mkdtempSync(join(tmpdir(), 'sonde-lock-')), 'package-lock.json');
    const text = `${JSON.stringify(lock, null, 2)}\n`;
    writeFileSync(file, text);
    const check = spawnSync('node', [SCRIPT, '--check', '--lock', file], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(/lacks the msgpackr-extract build\(s\) for darwin-arm64/u);
    expect(readFileSync(file, 'utf8')).toBe(text);
    // without --check it completes the file, and the check then passes
    execFileSync('node', [SCRIPT, '--lock', file]);
    expect(spawnSync('node', [SCRIPT, '--check', '--lock', file]).status).toBe(0);
  });
});
