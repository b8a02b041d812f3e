// The fuzzing campaign: finds and shrinks a planted failure, slices the seed space disjointly
// across shards, and stops at the time budget.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCampaign, type FuzzOptions } from './campaign.js';
import {
  counterexampleFile,
  readCounterexample,
  saveCounterexample,
} from './counterexample-file.js';
import { plantedProperty, recordingProperty } from './testing.js';

let clock = 0;
const options = (over: Partial<FuzzOptions> = {}): FuzzOptions => ({
  runs: 500,
  seed: 7,
  shard: { k: 1, n: 1 },
  timeBudgetMs: null,
  quirks: [],
  now: () => clock,
  ...over,
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'spar-fuzz-'));
  dirs.push(d);
  return d;
};

describe('fuzz campaign', () => {
  test('finds the planted failure and shrinks it to the smallest failing value, 50', () => {
    const outcome = runCampaign(plantedProperty, options());
    expect(outcome.verdict).toBe('fail');
    expect(outcome.counterexample?.value).toBe(50);
    expect(outcome.counterexample?.violations).toEqual(['50 is not below 50']);
    expect(outcome.counterexample?.shrinks).toBeGreaterThan(0);
  });

  test('quirks reach the property: a passing case fails with the quirk switched on', () => {
    const outcome = runCampaign(
      {
        ...plantedProperty,
        arbitrary: plantedProperty.arbitrary.filter((n) => (n as number) < 50),
      },
      options({ quirks: ['always-fail'] }),
    );
    expect(outcome.verdict).toBe('fail');
    expect(outcome.counterexample?.value).toBe(0);
  });

  test('shards 1/2 and 2/2 run the requested counts on disjoint campaigns; 1/1 sees both', () => {
    const a: unknown[] = [];
    const b: unknown[] = [];
    const whole: unknown[] = [];
    expect(
      runCampaign(recordingProperty(a), options({ runs: 200, shard: { k: 1, n: 2 } })).runs,
    ).toBe(200);
    runCampaign(recordingProperty(b), options({ runs: 200, shard: { k: 2, n: 2 } }));
    runCampaign(recordingProperty(whole), options({ runs: 400 }));
    expect(whole).toEqual([
      ...a.slice(0, 100),
      ...b.slice(0, 100),
      ...a.slice(100),
      ...b.slice(100),
    ]);
  });

  test('the time budget stops the campaign early and says so', () => {
    clock = 0;
    const slow = recordingProperty([]);
    const ticking = {
      ...slow,
      run: (v: unknown) => {
        clock += 10;
        return slow.run(v, []);
      },
    };
    const outcome = runCampaign(ticking, options({ runs: 10_000, timeBudgetMs: 1_000 }));
    expect(outcome.interrupted).toBe(true);
    expect(outcome.runs).toBeLessThan(10_000);
    expect(outcome.verdict).toBe('pass');
  });
});

describe('counterexample files', () => {
  const failure = () => {
    const outcome = runCampaign(plantedProperty, options());
    if (outcome.counterexample === null) throw new Error('planted property passed');
    return counterexampleFile(plantedProperty.name, [], outcome.counterexample, 'n = 50');
  };

  test('saving never overwrites: a second save of the same failure gets a new name; both read back', () => {
    const dir = tempDir();
    const first = saveCounterexample(dir, failure());
    const second = saveCounterexample(dir, failure());
    expect(second).not.toBe(first);
    expect(readdirSync(dir).sort()).toEqual(
      [first, second].map((p) => p.slice(dir.length + 1)).sort(),
    );
    const read = readCounterexample(first);
    expect(read.ok && read.value.value).toBe(50);
  });

  test('a file that is not a counterexample gives a typed error naming the problem', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"spar-counterexample/1","property":3}');
    const read = readCounterexample(bad);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.error.message).toMatch(/^not a spar counterexample \(property: /);
    const missing = readCounterexample(join(dir, 'none.json'));
    expect(!missing.ok && missing.error.message).toBe('cannot read: ENOENT');
    writeFileSync(bad, '{');
    const broken = readCounterexample(bad);
    expect(!broken.ok && broken.error.message).toMatch(/^not JSON: /);
  });
});
