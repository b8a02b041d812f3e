// `spar fuzz` and `spar replay` (issue: the CLI): a planted failing property is found, shrunk,
// saved, and replayed to the same failure; the registry's real property runs clean; bad flags
// exit 2.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { plantedProperty } from '../fuzz/testing.js';
import { runFuzzCommand, type FuzzArgs } from './fuzz-command.js';
import { cli } from './testing/run-cli.js';
import { runReplayCommand } from './replay-command.js';
import { UsageError } from './usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'spar-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const args = (over: Partial<FuzzArgs> = {}): FuzzArgs => ({
  property: undefined,
  runs: '300',
  seed: '5',
  shard: '1/1',
  timeBudget: undefined,
  quirk: [],
  json: false,
  failures: dir,
  ...over,
});

describe('spar fuzz and replay', () => {
  test('finds the planted failure, shrinks it to 50, saves it, prints the replay command; replay reproduces it', () => {
    let out = '';
    const held = runFuzzCommand(args(), {
      properties: [plantedProperty],
      now: () => 0,
      progressStream: null,
      out: (t) => {
        out += t;
      },
    });
    expect(held).toBe(false);
    expect(out).toContain('FAIL  planted-below-50 (safety)');
    expect(out).toContain('    n = 50');
    const saved = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(saved).toHaveLength(1);
    const file = join(dir, saved[0] ?? '');
    expect(out).toContain(`reproduce with: spar replay ${file}`);
    const replay = runReplayCommand({ file, trace: undefined, colour: false }, [plantedProperty]);
    expect(replay.fails).toBe(true);
    expect(replay.lines).toContain('FAIL  50 is not below 50');
    expect(replay.lines.some((l) => /test\/planted\s+drew/.test(l))).toBe(true);
  });

  test('--json prints the outcome object with the counterexample and the replay command', () => {
    let out = '';
    runFuzzCommand(args({ json: true }), {
      properties: [plantedProperty],
      now: () => 0,
      progressStream: null,
      out: (t) => {
        out += t;
      },
    });
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(json).toMatchObject({
      property: 'planted-below-50',
      seed: 5,
      verdict: 'fail',
      counterexample: { value: 50 },
    });
    expect(String(json['replay'])).toMatch(/^spar replay .*planted-below-50-\d+(-\d+)?\.json$/);
  });

  test('the registered control-plane property holds for a short campaign through the CLI (exit 0)', async () => {
    const { code, out } = await cli(
      ...['fuzz', 'control-plane-convergence', '--runs', '20', '--seed', '1', '--failures', dir],
    );
    expect(code).toBe(0);
    expect(out).toMatch(/ok {4}control-plane-convergence: 20 runs held/);
  }, 60_000);

  test('bad flags are usage errors naming the flag', () => {
    const deps = {
      properties: [plantedProperty],
      now: () => 0,
      progressStream: null,
      out: () => {},
    };
    const flagOf = (over: Partial<FuzzArgs>) => {
      try {
        runFuzzCommand(args(over), deps);
      } catch (e) {
        return e instanceof UsageError ? e.where : 'not a usage error';
      }
      return 'no error';
    };
    expect(flagOf({ runs: '0' })).toBe('--runs');
    expect(flagOf({ shard: '3/2' })).toBe('--shard');
    expect(flagOf({ timeBudget: 'forever' })).toBe('--time-budget');
    expect(flagOf({ quirk: ['nope'] })).toBe('--quirk');
    expect(flagOf({ property: 'nope' })).toBe('property');
  });
});
