// `spar fuzz` (issue: the CLI): a planted failing property is found, shrunk, saved, and replayed to
// the same failure; the time budget covers the whole command; --until-fail runs campaigns until a
// failure; Ctrl-C (the signal) stops it with the re-run and resume commands; every command ends
// with a summary; bad flags exit 2.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { SparProperty } from '../../properties/registry.js';
import { plantedProperty, recordingProperty } from '../fuzz/testing.js';
import { type FuzzArgs, type FuzzDeps, runFuzzCommand } from './fuzz-command.js';
import { runReplayCommand } from './replay-command.js';
import { fuzzArgs } from './testing/fuzz-args.js';
import { cli } from './testing/run-cli.js';
import { UsageError } from './usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'spar-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const args = (over: Partial<FuzzArgs> = {}): FuzzArgs => fuzzArgs(dir, over);

/** Runs the command on `properties` with a clock the properties may advance; captures output. */
async function fuzz(
  properties: SparProperty<unknown>[],
  over: Partial<FuzzArgs>,
  deps: Partial<FuzzDeps> = {},
) {
  let out = '';
  let err = '';
  const end = await runFuzzCommand(args(over), {
    properties,
    now: () => clock.ms,
    progressStream: null,
    out: (t) => {
      out += t;
    },
    warn: (t) => {
      err += t;
    },
    ...deps,
  });
  return { end, out, err };
}

const clock = { ms: 0 };
/** A property that holds and costs `ms` of wall time per run. */
const slow = (name: string, ms: number): SparProperty<unknown> => ({
  ...recordingProperty([]),
  name,
  run: () => {
    clock.ms += ms;
    return { violations: [], trace: [] };
  },
});

describe('spar fuzz', () => {
  test('finds the planted failure, shrinks it to 50, saves it, prints the replay command and a summary; replay reproduces it', async () => {
    const { end, out } = await fuzz([plantedProperty], {});
    expect(end).toBe('failed');
    expect(out).toContain('FAIL  planted-below-50 (safety)');
    expect(out).toContain('    n = 50');
    const saved = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(saved).toHaveLength(1);
    const file = join(dir, saved[0] ?? '');
    expect(out).toContain(`reproduce with: spar replay ${file}`);
    expect(out).toMatch(
      /\n {2}planted-below-50 +\d+ runs +[\d.]+ seeds\/s {2}fail\nverdict: fail\n$/,
    );
    const replay = await runReplayCommand({ file, trace: undefined, colour: false }, [
      plantedProperty,
    ]);
    expect(replay.fails).toBe(true);
    expect(replay.lines).toContain('FAIL  50 is not below 50');
  });

  test('the time budget covers the whole command: two properties share it instead of taking it each', async () => {
    clock.ms = 0;
    const { end, out } = await fuzz([slow('first', 10), slow('second', 10)], {
      runs: '100000',
      timeBudget: '1s',
    });
    expect(end).toBe('held');
    const runs = [...out.matchAll(/^ok {4}(\w+): (\d+) runs held/gm)].map((m) => Number(m[2]));
    expect(runs).toHaveLength(2);
    expect(runs.every((n) => n > 0)).toBe(true);
    // One budget of 1 s at 10 ms a run is about 100 runs in all; per property it would be 200.
    expect((runs[0] ?? 0) + (runs[1] ?? 0)).toBeLessThanOrEqual(102);
    expect(out).toContain('time budget 1000 ms in all');
    expect(out).toMatch(/ first +\d+ runs +[\d.]+ seeds\/s {2}pass so far \(time budget\)/);
  });

  test('--failures that cannot be written is one line before the first run, not when a failure is saved', async () => {
    let ran = 0;
    const counting: SparProperty<unknown> = {
      ...slow('p', 0),
      run: () => {
        ran++;
        return { violations: [], trace: [] };
      },
    };
    await expect(fuzz([counting], { failures: '/proc/spar-failures' })).rejects.toThrow(
      new UsageError(
        "cannot write '/proc/spar-failures': it is on the kernel's proc file system, not a place for files",
        '--failures',
      ),
    );
    expect(ran).toBe(0);
  });

  test('--shard without --seed warns that shards overlap; with a seed it does not', async () => {
    const unseeded = await fuzz([slow('p', 0)], { runs: '10', seed: undefined, shard: '2/4' });
    expect(unseeded.err).toMatch(/^spar: warning: --shard 2\/4 without --seed: .*same --seed\n$/);
    const seeded = await fuzz([slow('p', 0)], { runs: '10', shard: '2/4' });
    expect(seeded.err).toBe('');
  });

  test('plain progress lines show runs, seeds/s, elapsed time and the ETA', async () => {
    clock.ms = 0;
    const { out } = await fuzz([slow('p', 100)], { runs: '100' });
    expect(out).toContain('      p: 10/100 runs, 10.0 seeds/s, 1s elapsed, ETA 9s\n');
    expect(out).toContain('      p: 90/100 runs, 10.0 seeds/s, 9s elapsed, ETA 1s\n');
  });

  test('--until-fail runs campaigns on fresh seeds, printing each, until one fails', async () => {
    let calls = 0;
    const failsLate: SparProperty<unknown> = {
      ...plantedProperty,
      name: 'fails-late',
      run: () => ({ violations: ++calls > 250 ? ['late'] : [], trace: [] }),
    };
    const { end, out } = await fuzz([failsLate], { runs: '100', untilFail: true });
    expect(end).toBe('failed');
    expect(out).toContain('campaign 1: seed 5\n');
    expect(out).toContain('campaign 2: seed 6\n');
    expect(out).toContain('campaign 3: seed 7\n');
    expect(out).not.toContain('campaign 4');
    expect(out).toContain('FAIL  fails-late (safety) after 51 runs');
    expect(out).toContain('summary (3 campaigns, last campaign seed 7, shard 1/1');
  });

  test('an interrupt stops the command: what ran, the re-run and resume commands, the summary', async () => {
    const controller = new AbortController();
    const seen: unknown[] = [];
    const stopping: SparProperty<unknown> = {
      ...recordingProperty(seen),
      run: (v) => {
        seen.push(v);
        if (seen.length === 250) controller.abort();
        return { violations: [], trace: [] };
      },
    };
    const { end, out } = await fuzz(
      [stopping, slow('later', 0)],
      { runs: '1000', shard: '2/3', quirk: [] },
      { signal: controller.signal },
    );
    expect(end).toBe('interrupted');
    expect(out).toMatch(/\ninterrupted \(Ctrl-C\) after \d+s, campaign seed 5\n/);
    expect(out).toContain(
      `re-run this campaign: spar fuzz --runs 1000 --seed 5 --shard 2/3 --failures ${dir}\n`,
    );
    // Two blocks of 100 done: the resume starts at block 2 (seed 5 + 2·3) with 800 runs left.
    expect(out).toContain(
      `resume: spar fuzz recording --runs 800 --seed 11 --shard 2/3 --failures ${dir}\n`,
    );
    expect(out).toContain(
      `resume: spar fuzz later --runs 1000 --seed 5 --shard 2/3 --failures ${dir}\n`,
    );
    expect(out).toMatch(/ recording +250 runs +[\d.]+ seeds\/s {2}pass so far \(interrupted\)\n/);
    expect(out).toMatch(
      / later +0 runs +— seeds\/s {2}not run \(interrupted\)\nverdict: interrupted\n$/,
    );
  });

  test('--until-fail interrupted between campaigns resumes at the next campaign', async () => {
    const controller = new AbortController();
    let calls = 0;
    const stopping: SparProperty<unknown> = {
      ...recordingProperty([]),
      run: () => {
        if (++calls === 200) controller.abort(); // the last run of campaign 2
        return { violations: [], trace: [] };
      },
    };
    const { end, out } = await fuzz(
      [stopping],
      { runs: '100', untilFail: true },
      { signal: controller.signal },
    );
    expect(end).toBe('interrupted');
    expect(out).not.toContain('campaign 3');
    expect(out).toContain(
      `re-run this campaign: spar fuzz --until-fail --runs 100 --seed 6 --failures ${dir}\n`,
    );
    expect(out).toContain(`resume: spar fuzz --until-fail --runs 100 --seed 7 --failures ${dir}\n`);
  });

  test('the registered control-plane property holds for a short campaign through the CLI (exit 0)', async () => {
    const { code, out } = await cli(
      ...['fuzz', 'control-plane-convergence', '--runs', '20', '--seed', '1', '--failures', dir],
    );
    expect(code).toBe(0);
    expect(out).toMatch(/ok {4}control-plane-convergence: 20 runs held/);
  }, 60_000);

  test('bad flags are usage errors naming the flag', async () => {
    const flagOf = async (over: Partial<FuzzArgs>) => {
      try {
        await fuzz([plantedProperty], over);
      } catch (e) {
        return e instanceof UsageError ? e.where : 'not a usage error';
      }
      return 'no error';
    };
    expect(await flagOf({ runs: '0' })).toBe('--runs');
    expect(await flagOf({ shard: '3/2' })).toBe('--shard');
    expect(await flagOf({ timeBudget: 'forever' })).toBe('--time-budget');
    expect(await flagOf({ quirk: ['nope'] })).toBe('--quirk');
    expect(await flagOf({ property: 'nope' })).toBe('property');
  });
});
