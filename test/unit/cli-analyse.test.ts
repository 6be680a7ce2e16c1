/** `sonde analyse`: one JSON line per file, in order, and a broken or missing file never stops the others. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => `test/fixtures/${name}`;

describe('sonde analyse', () => {
  it('prints one JSON line per file, in the order given, with an error line for what cannot be read', async () => {
    const files = [fixture('eml/gmail-fr-answer.eml'), 'test/fixtures/does-not-exist.eml', fixture('eml/broken-missing-boundary.eml'), fixture('eml/ack-auto-submitted-fr.eml'), fixture('eml/bounce-postfix-dsn.eml')];
    const { stdout } = await run('node', ['bin/sonde.js', 'analyse', ...files, '--persona', 'Marie Dupont', '--lang', 'fr'], { cwd: root, timeout: 60_000 });
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => l.file)).toEqual(files);
    expect(lines[0]).toMatchObject({ kind: 'answer', language: 'fr' });
    expect(lines[0]!.replyText).toEqual(expect.any(String));
    expect(lines[0]!.form).toMatchObject({ greeting: { present: true } });
    expect(lines[1]).toEqual({ file: files[1], error: expect.stringMatching(/cannot read the file/) });
    expect(lines[2]!.parseError).toEqual(expect.any(String));
    expect(lines[2]!.error).toBeUndefined();
    expect(lines[3]).toMatchObject({ kind: 'acknowledgement', signals: expect.arrayContaining([expect.stringMatching(/^header:auto-submitted/)]) });
    expect(lines[4]).toMatchObject({ kind: 'bounce' });
    for (const line of lines.filter((l) => !l.error)) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['kind', 'signals', 'language', 'replyText', 'signature', 'spelling', 'typography', 'form', 'wordCount']));
    }
  }, 60_000);

  it('finds typos with their offsets in the reply text and suggestions', async () => {
    const { stdout } = await run('node', ['bin/sonde.js', 'analyse', fixture('analysis/fr-gmail-agent.eml'), '--persona', 'Marie Dupont'], { cwd: root, timeout: 60_000 });
    const line = JSON.parse(stdout) as { replyText: string; spelling: { errors: { word: string; offset: number; part: string }[] } };
    for (const error of line.spelling.errors.filter((e) => e.part === 'reply')) {
      expect(line.replyText.slice(error.offset, error.offset + error.word.length)).toBe(error.word);
    }
  }, 60_000);
});
