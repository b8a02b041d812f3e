// Ctrl-C during `spar fuzz` on a terminal (issue: the CLI, "Interrupts and limits"): the real
// `spar` process runs under a pseudo-terminal (util-linux `script`), gets a Ctrl-C once its
// progress bar is drawn, and must show the cursor and turn line wrap back on, print the re-run
// line and the summary, and exit 130.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const hasScript = spawnSync('script', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'spar-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SPAR = resolve(import.meta.dirname, '../../bin/spar.js');

/** Runs `command` under a pseudo-terminal; types Ctrl-C once `ready` is in its output. */
function underTerminal(
  command: string,
  ready: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: 'pipe' });
    let out = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (!sent && out.includes(ready)) {
        sent = true;
        child.stdin.write('\x03'); // the terminal turns it into SIGINT for the foreground job
      }
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, out }));
  });
}

describe('spar fuzz under a terminal', () => {
  test.skipIf(!hasScript)(
    'Ctrl-C restores the cursor and line wrap, prints the re-run line and the summary, exits 130',
    async () => {
      const { code, out } = await underTerminal(
        `node ${SPAR} fuzz control-plane-convergence --runs 100000 --seed 1 --failures ${dir}`,
        'runs |',
      );
      expect(code).toBe(130);
      const hidden = out.lastIndexOf('\x1b[?25l');
      const wrapOff = out.lastIndexOf('\x1b[?7l');
      expect(hidden).toBeGreaterThanOrEqual(0);
      expect(out.indexOf('\x1b[?25h', hidden)).toBeGreaterThan(hidden);
      expect(out.indexOf('\x1b[?7h', wrapOff)).toBeGreaterThan(wrapOff);
      expect(out).toMatch(/interrupted \(Ctrl-C\) after \d+s, campaign seed 1\r\n/);
      expect(out).toContain(
        `re-run this campaign: spar fuzz control-plane-convergence --runs 100000 --seed 1 --failures ${dir}\r\n`,
      );
      expect(out).toMatch(
        / control-plane-convergence +\d+ runs .* \(interrupted\)\r\nverdict: interrupted\r\n$/,
      );
    },
    120_000,
  );
});
