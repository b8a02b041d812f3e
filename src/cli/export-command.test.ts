import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine } from 'xstate';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { machineConfigJson, mermaidDiagram } from '../export/index.js';
import { cli as run } from './testing/run-cli.js';
import { parseExportOptions, runExport } from './export-command.js';

let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spar-export-cli-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('spar export', () => {
  test('smoke: --help documents --out with its default, --format and examples', async () => {
    const { code, out } = await run('export', '--help');
    expect(code).toBe(0);
    expect(out).toContain('--out <dir>');
    expect(out).toContain('./machines-export');
    expect(out).toContain('stately, json, mermaid, all');
    expect(out).toContain('Examples:');
  });

  test('writes a .js, .json and .mmd file per machine, one line each, then a summary', async () => {
    const out = join(dir, 'export');
    const result = await run('export', '--out', out);
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    const expected = MACHINES.flatMap((m) => [`${m.id}.js`, `${m.id}.json`, `${m.id}.mmd`]);
    expect((await readdir(out)).sort()).toEqual([...expected].sort());
    const lines = result.out.trimEnd().split('\n');
    expect(lines).toHaveLength(expected.length + 1);
    expect(lines.slice(0, -1).map((l) => l.split(/\s+/)[1])).toEqual(
      expected.map((name) => join(out, name)),
    );
    expect(lines.at(-1)).toBe(
      `exported ${MACHINES.length} machines to ${out}: ${expected.length} files (stately .js, json .json, mermaid .mmd)`,
    );
    expect(lines[0]).toBe(
      `wrote ${join(out, 'command-partition.js')}  (placeholder for inline context)`,
    );
  });

  test('the files hold the config JSON, the Mermaid diagram and a createMachine module', async () => {
    await run('export', '--out', dir);
    for (const { id, machine } of MACHINES) {
      expect(JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8'))).toEqual(
        machineConfigJson(machine).config,
      );
      expect(await readFile(join(dir, `${id}.mmd`), 'utf8')).toBe(mermaidDiagram(machine));
      expect(await readFile(join(dir, `${id}.js`), 'utf8')).toContain(
        'export const machine = createMachine({',
      );
    }
  });

  test('--format picks one kind of file', async () => {
    const result = await run('export', '--out', dir, '--format', 'mermaid');
    expect(result.code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(MACHINES.map((m) => `${m.id}.mmd`).sort());
    expect(result.out).toContain('(mermaid .mmd)');
  });

  test('an unknown --format exits 2 with one line naming the flag and the choices', async () => {
    const bad = await run('export', '--out', dir, '--format', 'svg');
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
    expect(bad.err).toBe(
      "spar: --format: 'svg' is not a format; use stately, json, mermaid, all\n",
    );
    expect(await readdir(dir)).toEqual([]);
  });

  test('--out naming a file, or a path below a file, exits 2 with one line and no stack', async () => {
    const file = join(dir, 'plain.txt');
    await writeFile(file, 'keep');
    for (const out of [file, join(file, 'sub')]) {
      const bad = await run('export', '--out', out);
      expect(bad.code, out).toBe(2);
      expect(bad.err.trimEnd().split('\n'), out).toHaveLength(1);
      expect(bad.err, out).toMatch(/^spar: --out: /);
      expect(bad.err, out).not.toContain('    at ');
    }
    expect(await readFile(file, 'utf8')).toBe('keep');
    expect((await run('export', '--out', '')).code).toBe(2);
  });

  // Node's recursive mkdir loops forever on /proc (mkdir there answers ENOENT): this used to spin.
  test.runIf(process.platform === 'linux')(
    '--out under /proc exits 2 at once with one line, before any mkdir',
    async () => {
      const bad = await run('export', '--out', '/proc/x');
      expect(bad.code).toBe(2);
      expect(bad.err).toBe(
        "spar: --out: cannot write '/proc/x': it is on the kernel's proc file system, not a place for files\n",
      );
    },
  );

  // Root may write anywhere, so the permission check only means something for other users.
  test.skipIf(process.getuid?.() === 0)(
    'an unwritable --out directory exits 2 with one line',
    async () => {
      const locked = join(dir, 'locked');
      await mkdir(locked, { mode: 0o500 });
      const bad = await run('export', '--out', locked);
      expect(bad.code).toBe(2);
      expect(bad.err).toBe(`spar: --out: cannot write '${locked}': permission denied (EACCES)\n`);
    },
  );

  test('a directory standing where a file goes stops the export before any file is replaced', async () => {
    await writeFile(join(dir, 'command-partition.js'), 'old');
    await mkdir(join(dir, 'visorbus.js'));
    const bad = await run('export', '--out', dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('EISDIR');
    expect(await readFile(join(dir, 'command-partition.js'), 'utf8')).toBe('old');
    expect((await readdir(dir)).sort()).toEqual(['command-partition.js', 'visorbus.js']);
  });

  test('files of the same name are replaced, other files are left alone, no temporary file remains', async () => {
    await writeFile(join(dir, 'visornoop.mmd'), 'stale');
    await writeFile(join(dir, 'notes.md'), 'mine');
    expect((await run('export', '--out', dir)).code).toBe(0);
    expect(await readFile(join(dir, 'visornoop.mmd'), 'utf8')).toMatch(/^stateDiagram-v2\n/);
    expect(await readFile(join(dir, 'notes.md'), 'utf8')).toBe('mine');
    expect((await readdir(dir)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  test('the directory is created when missing, nested levels included', async () => {
    const out = join(dir, 'a', 'b');
    expect((await run('export', '--out', out, '--format', 'json')).code).toBe(0);
    expect(await readdir(out)).toHaveLength(MACHINES.length);
  });

  test('runExport writes what it is given; placeholders are reported per file', async () => {
    const machine = createMachine({
      id: 'tiny',
      context: () => ({}),
      initial: 'a',
      states: { a: {} },
    });
    const lines = await runExport(parseExportOptions({ out: dir, format: 'json' }), [
      { id: 'tiny', machine, summary: 'A tiny machine (spar-protocol.md §0).' },
    ]);
    expect(lines).toEqual([
      `wrote ${join(dir, 'tiny.json')}  (placeholder for inline context)`,
      `exported 1 machine to ${dir}: 1 file (json .json)`,
    ]);
  });
});
