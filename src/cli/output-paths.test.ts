// Output paths checked before a command starts (issue 13, item 3): every refusal is one line
// naming the path, the reason and the flag; a path that passes is left exactly as it was (no
// file created, none truncated); kernel file systems are refused without looping; a missing
// directory is made only when asked.

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { checkWritableDir, checkWritableFile } from './output-paths.js';
import { UsageError } from './usage-error.js';

let dir = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spar-output-paths-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The refusal `check` throws, as the one line spar prints: `<flag>: <message>`. */
function refusal(check: () => void): string {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const { where, message } = error as UsageError;
    expect(message).not.toContain('\n');
    return `${where}: ${message}`;
  }
  throw new Error('the check passed');
}

const onLinux = process.platform === 'linux';

describe('checkWritableFile', () => {
  test('smoke: a new name in a writable directory passes and nothing is created', () => {
    const file = join(dir, 'trace.jsonl');
    checkWritableFile(file, '--trace');
    expect(existsSync(file)).toBe(false);
  });

  test('an existing file passes untouched: same content, same size, same modification time', () => {
    const file = join(dir, 'kept.jsonl');
    writeFileSync(file, 'mine\n');
    const before = statSync(file);
    checkWritableFile(file, '--trace');
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
  });

  test('a device the user may write (/dev/null) passes', () => {
    expect(() => checkWritableFile('/dev/null', '--trace')).not.toThrow();
  });

  test('a missing directory, a file in the path, a directory, an empty name: one line each', () => {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'keep');
    const cases: [string, string][] = [
      [join(dir, 'no', 't.jsonl'), `the directory '${join(dir, 'no')}' does not exist`],
      [join(file, 't.jsonl'), `'${file}' is a file, not a directory`],
      [join(file, 'a', 't.jsonl'), `'${file}' is a file, not a directory`],
      [dir, 'it is a directory'],
    ];
    for (const [path, reason] of cases) {
      expect(refusal(() => checkWritableFile(path, '--trace'))).toBe(
        `--trace: cannot write '${path}': ${reason}`,
      );
    }
    expect(refusal(() => checkWritableFile('', '--trace'))).toBe('--trace: the file name is empty');
    expect(readFileSync(file, 'utf8')).toBe('keep');
  });

  test.runIf(onLinux)('a new or existing file on /proc or /sys is refused', () => {
    for (const [path, fs] of [
      ['/proc/x', 'proc'],
      ['/proc/self/status', 'proc'],
      ['/sys/spar-trace', 'sysfs'],
    ]) {
      expect(refusal(() => checkWritableFile(path ?? '', '--trace'))).toBe(
        `--trace: cannot write '${path}': it is on the kernel's ${fs} file system, not a place for files`,
      );
    }
  });
});

describe('checkWritableDir', () => {
  test('smoke: an existing writable directory passes', () => {
    expect(() => checkWritableDir(dir, '--failures')).not.toThrow();
  });

  test('a missing directory passes without being made, and is made (all levels) with create', () => {
    const nested = join(dir, 'a', 'b', 'c');
    checkWritableDir(nested, '--failures');
    expect(existsSync(join(dir, 'a'))).toBe(false);
    checkWritableDir(nested, '--failures', { create: true });
    expect(statSync(nested).isDirectory()).toBe(true);
  });

  test('a file, a path below a file, an empty name: one line each, the file kept', () => {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'keep');
    expect(refusal(() => checkWritableDir(file, '--out', { create: true }))).toBe(
      `--out: cannot write '${file}': it is a file, not a directory`,
    );
    const below = join(file, 'sub');
    expect(refusal(() => checkWritableDir(below, '--out', { create: true }))).toBe(
      `--out: cannot write '${below}': '${file}' is a file, not a directory`,
    );
    expect(refusal(() => checkWritableDir('', '--out'))).toBe('--out: the directory name is empty');
    expect(readFileSync(file, 'utf8')).toBe('keep');
  });

  test.runIf(onLinux)('/proc/x is refused at once instead of looping in mkdir', () => {
    for (const path of ['/proc/x', '/proc/x/y', '/proc']) {
      expect(refusal(() => checkWritableDir(path, '--out', { create: true }))).toBe(
        `--out: cannot write '${path}': it is on the kernel's proc file system, not a place for files`,
      );
    }
  });

  // Root may write anywhere, so the permission check runs as user nobody when the test is root.
  test.runIf(onLinux)(
    'a directory without write permission is refused for files and directories',
    () => {
      chmodSync(dir, 0o755);
      const locked = join(dir, 'locked');
      mkdirSync(locked, { mode: 0o555 });
      chmodSync(locked, 0o555);
      const lines = refusalsAsUnprivileged([
        ['file', join(locked, 't.jsonl')],
        ['dir', join(locked, 'failures')],
        ['dir', locked],
      ]);
      expect(lines).toEqual([
        `--flag: cannot write '${join(locked, 't.jsonl')}': permission denied (EACCES)`,
        `--flag: cannot write '${join(locked, 'failures')}': permission denied (EACCES)`,
        `--flag: cannot write '${locked}': permission denied (EACCES)`,
      ]);
      expect(existsSync(join(locked, 'failures'))).toBe(false);
    },
  );
});

/** Runs the checks (in a child as user nobody when this process is root); one line each. */
function refusalsAsUnprivileged(checks: readonly (readonly ['file' | 'dir', string])[]): string[] {
  const module = pathToFileURL(join(import.meta.dirname, 'output-paths.ts')).href;
  const script = `
    const { checkWritableFile, checkWritableDir } = await import(${JSON.stringify(module)});
    for (const [kind, path] of ${JSON.stringify(checks)}) {
      try {
        kind === 'file' ? checkWritableFile(path, '--flag') : checkWritableDir(path, '--flag', { create: true });
        console.log('passed ' + path);
      } catch (e) { console.log(e.where + ': ' + e.message); }
    }`;
  const root = process.getuid?.() === 0;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
      ...(root ? { uid: 65534, gid: 65534 } : {}),
    },
  );
  expect(child.stderr).toBe('');
  return child.stdout.trimEnd().split('\n');
}
