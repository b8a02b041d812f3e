// `spar run` through the CLI (issue: the CLI): the default scenario passes in both runtimes, the
// sim runtime repeats its trace hash for a seed, input mistakes exit 2 with their location.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cli as run } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'spar-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  scenario: string;
  runtime: string;
  seed: number;
  verdict: string;
  expectations: { name: string; ok: boolean; detail: string }[];
  partitions: { name: string; kind: string; state: string }[];
  faults: Record<string, number>;
  stats: { events: number; virtualMs: number; wallMs: number };
  traceHash: string;
}

describe('spar run', () => {
  test('--json on the default scenario in the sim runtime passes, and the same seed gives the same traceHash', async () => {
    const first = await run('run', '--runtime', 'sim', '--seed', '11', '--json');
    expect(first.code).toBe(0);
    const a = JSON.parse(first.out) as Report;
    expect(a).toMatchObject({
      scenario: 'boot-minimal',
      runtime: 'sim',
      seed: 11,
      verdict: 'pass',
      faults: {},
    });
    expect(a.partitions.map((p) => p.state)).toEqual(['running', 'running']);
    expect(a.expectations.every((e) => e.ok)).toBe(true);
    expect(a.stats.virtualMs).toBe(2_000);
    expect((a as unknown as { io: { total: { submitted: number } } }).io.total.submitted).toBe(0);
    const quirked = JSON.parse(
      (
        await run(
          'run',
          '--runtime',
          'sim',
          '--seed',
          '11',
          '--json',
          '--quirk',
          'clientbus-vhba-rc-positive',
        )
      ).out,
    ) as Report & { quirks: string[] };
    expect(quirked.quirks).toEqual(['clientbus-vhba-rc-positive']);
    const b = JSON.parse(
      (await run('run', '--runtime', 'sim', '--seed', '11', '--json')).out,
    ) as Report;
    expect(b.traceHash).toBe(a.traceHash);
  });

  test('--json on the default scenario in the worker runtime passes', async () => {
    const r = await run('run', '--json', '--until', '500ms');
    expect(r.err).toBe('');
    const report = JSON.parse(r.out) as Report;
    expect(report).toMatchObject({ runtime: 'workers', verdict: 'pass' });
  }, 60_000);

  test('the text form prints options first, a timeline, one line per expectation, the verdict and how to reproduce', async () => {
    const trace = join(dir, 'trace.jsonl');
    const r = await run(
      'run',
      'guest-crash-reboot',
      '--runtime',
      'sim',
      '--seed',
      '3',
      '--trace',
      trace,
    );
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(
      'spar run: scenario guest-crash-reboot (scenarios/guest-crash-reboot.yaml), runtime sim, seed 3, until 1s of virtual time from boot',
    );
    expect(r.out).toMatch(/guest1\/lifecycle\s+CRASH\s+crashed/);
    expect(r.out).toContain('ok    guests-running: 1 guest(s) running');
    expect(r.out).toContain('verdict: pass');
    expect(r.out).toContain(
      'reproduce with: spar run scenarios/guest-crash-reboot.yaml --runtime sim --seed 3',
    );
    const records = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(records[0] ?? {})).toEqual(
      expect.arrayContaining(['atMs', 'partition', 'actor', 'event', 'state']),
    );
  });

  test('a failing expectation exits 1 and names it, with whether it is safety or liveness', async () => {
    const file = join(dir, 'crash.yaml');
    writeFileSync(
      file,
      readFileSync('scenarios/guest-crash-reboot.yaml', 'utf8').replace(
        / {2}- action: reboot[\s\S]*?down: 100ms\n/,
        '',
      ),
    );
    const r = await run('run', file, '--runtime', 'sim', '--quiet');
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL  guests-running (liveness): guest1 is crashed');
  });

  test('a summary by default, every record with --timeline, and only the matching ones with filters', async () => {
    const scenario = ['run', 'iosp-hang-watchdog', '--runtime', 'sim', '--until', '1500ms'];
    const records = (out: string) => out.split('\n').filter((l) => /^\+\s/.test(l));
    const summary = records((await run(...scenario)).out);
    expect(summary.some((l) => / iosp0\/lifecycle\s+HANG /.test(l))).toBe(true);
    expect(summary.some((l) => l.includes('scsi.complete'))).toBe(false);
    const timeline = records((await run(...scenario, '--timeline')).out);
    expect(timeline.length).toBeGreaterThan(summary.length * 10);
    const filtered = records(
      (await run(...scenario, '--partition', 'guest1', '--grep', 'suspend')).out,
    );
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((l) => / guest1\//.test(l) && l.includes('suspend'))).toBe(true);
    expect(filtered).toEqual(timeline.filter((l) => / guest1\//.test(l) && l.includes('suspend')));
  });

  test('a workers run the machine cannot hold is refused before any worker starts, with the limit and why', async () => {
    // 2,000 guests: tens of GB as worker threads (src/run/limits.ts), more than any machine here.
    const guests = Array.from({ length: 2_000 }, (_, i) => `  - name: g${i}\n    kind: guest\n`);
    const file = join(dir, 'huge.yaml');
    writeFileSync(
      file,
      `until: 1ms\npartitions:\n  - name: cp\n    kind: command\n${guests.join('')}expect: []\n`,
    );
    const refused = await run('run', file);
    expect(refused.code).toBe(2);
    expect(refused.out).toBe(''); // not even the header: nothing started
    expect(refused.err).toMatch(
      new RegExp(
        `^spar: ${file}: 2001 partitions need about [\\d.]+ GB in the workers runtime \\(one worker thread each, ≈\\d+ MB each\\), more than the [\\d.]+ GB this machine has available \\(of [\\d.]+ GB; at most \\d+ partitions fit\\); run it with --runtime sim, which held 300 guests in [\\d.]+ GB\n$`,
      ),
    );
  });

  test('mistakes are one line each on stderr with exit 2: scenario errors with file:line:col, bad flags with the flag', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'until: 1s\npartitions:\n  - name: cp\n    kind: command\n    color: blue\n',
    );
    const bad = await run('run', file);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(`spar: ${file}:5:5: partitions[0].color: unknown key "color"\n`);
    expect(await run('run', '--runtime', 'vm')).toMatchObject({
      code: 2,
      err: "spar: --runtime: 'vm' is not a runtime; use workers or sim\n",
    });
    expect((await run('run', '--seed', '-1', '--runtime', 'sim')).code).toBe(2);
    expect((await run('run', '--until', 'soon', '--runtime', 'sim')).err).toContain('--until');
    expect((await run('run', 'no-such-scenario')).err).toContain('shipped: boot-minimal');
    expect((await run('run', dir)).err).toContain('is a directory');
    expect((await run('run', '--runtime', 'sim', '--partition', 'guest9')).err).toBe(
      "spar: --partition: no partition 'guest9' in this scenario (it has cp, guest1)\n",
    );
    expect((await run('run', '--runtime', 'sim', '--grep', '(')).err).toMatch(
      /^spar: --grep: '\(' is not a regular expression: .*\n$/,
    );
    const quirk = (await run('run', '--quirk', 'nope', '--runtime', 'sim')).err;
    expect(quirk).toMatch(/^spar: --quirk: unknown quirk 'nope'; known: [a-z-]+(, [a-z-]+)*\n$/);
    expect(quirk).toContain('visorhba-resume-no-complete, lose-pending-on-pause');
  });

  test.each([
    [
      'malformed YAML (a duplicate key)',
      'until: 1s\npartitions:\n  - name: cp\n    kind: command\n    name: cp2\n',
      /:5:5: YAML: Map keys must be unique$/,
    ],
    [
      'a wrong type',
      'until: 1s\npartitions:\n  - name: cp\n    kind: command\n    index: first\n',
      /:5:12: partitions\[0\]\.index: expected number, received string$/,
    ],
    [
      'an unknown key',
      'until: 1s\nlimit: 3\npartitions:\n  - name: cp\n    kind: command\n',
      /:2:1: limit: unknown key "limit"$/,
    ],
    [
      'a missing reference',
      'until: 1s\npartitions:\n  - name: cp\n    kind: command\nfaults:\n  - { action: crash, partition: guest9, at: 5 }\n',
      /:6:33: faults\[0\]\.partition: no partition named "guest9"/,
    ],
  ])(
    '%s in a scenario: exit 2, one line naming file, line and column',
    async (_what, text, pattern) => {
      const file = join(dir, 'case.yaml');
      writeFileSync(file, text);
      const r = await run('run', file, '--runtime', 'sim');
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.err.trimEnd()).toMatch(
        new RegExp(`^spar: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}${pattern.source}`),
      );
    },
  );
});
