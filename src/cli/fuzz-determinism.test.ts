// `spar fuzz --check-determinism` end to end: a planted property whose trace depends on a
// module-level counter holds when each case runs once, fails as `nondeterministic` when each runs
// twice, is saved with the flag, and `spar replay` of the file runs the case twice again and
// fails the same way; the re-run command line keeps the flag.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { SparProperty } from '../../properties/registry.js';
import { nondeterministicProperty } from '../fuzz/testing.js';
import { type FuzzArgs, type FuzzEnd, runFuzzCommand } from './fuzz-command.js';
import { fuzzCommandLine, type FuzzPlan } from './fuzz-report.js';
import { runReplayCommand } from './replay-command.js';
import { fuzzArgs } from './testing/fuzz-args.js';

const dir = mkdtempSync(join(tmpdir(), 'spar-fuzz-determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const registry: SparProperty<unknown>[] = [nondeterministicProperty];

async function fuzz(over: Partial<FuzzArgs>): Promise<{ end: FuzzEnd; out: string }> {
  let out = '';
  const end = await runFuzzCommand(fuzzArgs(dir, { runs: '50', ...over }), {
    properties: registry,
    now: () => 0,
    progressStream: null,
    out: (t) => {
      out += t;
    },
    warn: () => {},
  });
  return { end, out };
}

describe('spar fuzz --check-determinism', () => {
  test('smoke: without the flag the planted nondeterministic property holds', async () => {
    const { end, out } = await fuzz({});
    expect(end).toBe('held');
    expect(out).not.toMatch(/determinism/);
  });

  test('with it, the case fails as nondeterministic, is saved with the flag, and replays twice', async () => {
    const { end, out } = await fuzz({ checkDeterminism: true });
    expect(end).toBe('failed');
    expect(out).toMatch(/determinism checked \(each case run twice\)/);
    expect(out).toMatch(/broken: nondeterministic: first divergence at record 1: /);
    const file = /saved: (.*\.json)/.exec(out)?.[1] ?? '';
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ checkDeterminism: true, value: 0 });

    const replay = await runReplayCommand({ file, trace: undefined, colour: false }, registry);
    expect(replay.fails).toBe(true);
    expect(replay.lines[0]).toMatch(/determinism checked \(the case runs twice\)/);
    expect(replay.lines).toContainEqual(
      expect.stringMatching(/^FAIL {2}nondeterministic: first divergence at record 1: /),
    );
    const json = await runReplayCommand(
      { file, trace: undefined, colour: false, json: true },
      registry,
    );
    expect(JSON.parse(json.lines.join('\n'))).toMatchObject({
      checkDeterminism: true,
      brokenPromises: ['nondeterministic'],
    });
  });

  test('the re-run command line keeps --check-determinism', () => {
    const plan: FuzzPlan = {
      property: undefined,
      runs: 100,
      seed: 4,
      shard: { k: 1, n: 1 },
      timeBudgetMs: null,
      quirks: [],
      failures: 'failures',
      untilFail: false,
      checkDeterminism: true,
    };
    expect(fuzzCommandLine(plan)).toBe('spar fuzz --check-determinism --runs 100 --seed 4');
    expect(fuzzCommandLine({ ...plan, checkDeterminism: false })).toBe(
      'spar fuzz --runs 100 --seed 4',
    );
  });
});
