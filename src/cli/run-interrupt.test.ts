// `spar run` as a process: its records stream while it runs (the first one is printed before the
// run ends), and Ctrl-C stops it with what ran, a rerun command and exit code 130 — off and on
// a terminal (a pseudo-terminal from util-linux `script`), leaving no live progress line behind.

import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';

const SPAR = ['bin/spar.js', 'run', 'iosp-reboot-network', '--runtime', 'sim', '--seed', '5'];

interface Ended {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  /** Whether the child was still running when the first record line arrived. */
  readonly runningAtFirstRecord: boolean;
}

const RECORD_LINE = /^\+\s*\d+(\.\d+)? ms\s/m;
const PROGRESS_LINE = /virtual time [\d.]+ m?s · [\d,]+ events \(/;

// Once `child`'s stdout shows `when` (a record line, by default), calls `signal` (Ctrl-C).
function interruptAt(
  child: ChildProcess,
  signal: () => void,
  when: RegExp = RECORD_LINE,
): Promise<Ended> {
  let out = '';
  let err = '';
  let runningAtFirstRecord = false;
  let sent = false;
  return new Promise((resolve) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && when.test(out)) {
        sent = true;
        runningAtFirstRecord = child.exitCode === null;
        signal();
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (code) => resolve({ code, out, err, runningAtFirstRecord }));
  });
}

describe('spar run as a process', () => {
  test('the first record is printed while the run still runs, and Ctrl-C (SIGINT) ends it with what ran, a rerun command and exit code 130', async () => {
    const child = spawn(process.execPath, [...SPAR, '--timeline'], { stdio: 'pipe' });
    const ended = await interruptAt(child, () => child.kill('SIGINT'));
    expect(ended.runningAtFirstRecord).toBe(true);
    expect(ended.code).toBe(130);
    expect(ended.out).toMatch(/^spar run: scenario iosp-reboot-network/);
    expect(ended.out).not.toContain('verdict: pass');
    expect(ended.err).toMatch(
      /spar run: interrupted at [\d.]+ m?s of virtual time after \d+ events; nothing was judged\. Run it again with: spar run scenarios\/iosp-reboot-network\.yaml --runtime sim --seed 5/,
    );
  }, 120_000);

  test('on a terminal, progress is a live line, and Ctrl-C erases it before the closing line', async () => {
    // `script` gives the run a pseudo-terminal; its own stdin stays open so it keeps running.
    const command = ['node', ...SPAR, '--timeline'].join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: 'pipe',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const ended = await interruptAt(
      child,
      // The terminal's Ctrl-C: the interrupt character on the pseudo-terminal's input.
      () => child.stdin?.write('\u0003'),
      PROGRESS_LINE,
    );
    child.stdin?.end();
    expect(ended.code).toBe(130);
    expect(ended.out).toContain('(terms: docs/glossary.md)');
    expect(ended.out).toMatch(/interrupted at .* Run it again with: spar run /);
    // The live line was drawn in place (carriage return, erase line) and erased after it.
    const drawn = ended.out.search(PROGRESS_LINE);
    expect(ended.out.slice(drawn - 5, drawn)).toBe('\r\u001b[2K');
    const closing = ended.out.lastIndexOf('spar run: interrupted at');
    const lastProgress = ended.out.lastIndexOf(' events (');
    expect(lastProgress).toBeLessThan(closing);
    expect(ended.out.slice(lastProgress, closing)).toContain('\r\u001b[2K');
    expect(ended.out.trimEnd().endsWith('--seed 5')).toBe(true);
  }, 120_000);
});
