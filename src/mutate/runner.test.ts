import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Killer, Mutant } from './mutant.js';
import { runCatalogue } from './runner.js';
import { applyEdits, liveCopies } from './tree-copy.js';

// A toy tree: rule.txt holds the rule; the killer fails (exit 1) when the rule is broken.
const root = mkdtempSync(join(tmpdir(), 'mutate-toy-'));
mkdirSync(join(root, 'src'));
writeFileSync(join(root, 'src/rule.txt'), 'limit = 5\nnote = a\n');
const check: Killer = {
  kind: 'command',
  label: 'toy check',
  argv: [
    'node',
    '-e',
    "process.exit(require('fs').readFileSync('src/rule.txt','utf8').includes('limit = 5') ? 0 : 1)",
  ],
};
const toy = (name: string, search: string, replace: string): Mutant => ({
  name,
  breaks: 'toy',
  edits: [{ file: 'src/rule.txt', search, replace }],
  killers: [check],
  unitTests: [],
});
const options = { root, runs: 1, seed: 1, timeoutMs: 60_000, unit: false };

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('mutation runner', () => {
  test('smoke: an edit applies to a directory, and a missing snippet is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mutate-edit-'));
    writeFileSync(join(dir, 'f.txt'), 'a b a');
    expect(applyEdits(dir, [{ file: 'f.txt', search: 'b', replace: 'c' }])).toBeNull();
    expect(readFileSync(join(dir, 'f.txt'), 'utf8')).toBe('a c a');
    expect(applyEdits(dir, [{ file: 'f.txt', search: 'a', replace: 'x' }])).toMatch(
      /found 2 times/,
    );
    expect(applyEdits(dir, [{ file: 'g.txt', search: 'a', replace: 'x' }])).toMatch(/no such file/);
    rmSync(dir, { recursive: true });
  });

  test('a mutant the check sees is killed, one it cannot see survives, a stale patch is named', async () => {
    const results = await runCatalogue(
      [
        toy('breaks-limit', 'limit = 5', 'limit = 6'),
        toy('harmless', 'note = a', 'note = b'),
        toy('stale', 'limit = 7', 'limit = 8'),
      ],
      options,
    );
    expect(results.map((r) => [r.name, r.verdict])).toEqual([
      ['breaks-limit', 'killed'],
      ['harmless', 'survived'],
      ['stale', 'patch does not apply'],
    ]);
    expect(results[0]?.killedBy).toBe('toy check (killed)');
    expect(results[2]?.killedBy).toMatch(/snippet not found: "limit = 7"/);
  });

  test('the working tree is never written and every copy is removed', async () => {
    await runCatalogue([toy('breaks-limit', 'limit = 5', 'limit = 6')], options);
    expect(readFileSync(join(root, 'src/rule.txt'), 'utf8')).toBe('limit = 5\nnote = a\n');
    expect(liveCopies.size).toBe(0);
    expect(existsSync(join(root, 'node_modules'))).toBe(false);
  });
});
