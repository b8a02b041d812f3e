// The fuzzing campaign: finds and shrinks a planted failure, slices the seed space disjointly
// across shards, and stops at the time budget.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { resumeSeed, runCampaign, type FuzzOptions } from './campaign.js';
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
  test('finds the planted failure and shrinks it to the smallest failing value, 50', async () => {
    const outcome = await runCampaign(plantedProperty, options());
    expect(outcome.verdict).toBe('fail');
    expect(outcome.counterexample?.value).toBe(50);
    expect(outcome.counterexample?.violations).toEqual(['50 is not below 50']);
    expect(outcome.counterexample?.shrinks).toBeGreaterThan(0);
  });

  test('quirks reach the property: a passing case fails with the quirk switched on', async () => {
    const outcome = await runCampaign(
      {
        ...plantedProperty,
        arbitrary: plantedProperty.arbitrary.filter((n) => (n as number) < 50),
      },
      options({ quirks: ['always-fail'] }),
    );
    expect(outcome.verdict).toBe('fail');
    expect(outcome.counterexample?.value).toBe(0);
  });

  test('shards 1/2 and 2/2 run the requested counts on disjoint campaigns; 1/1 sees both', async () => {
    const a: unknown[] = [];
    const b: unknown[] = [];
    const whole: unknown[] = [];
    const first = await runCampaign(
      recordingProperty(a),
      options({ runs: 200, shard: { k: 1, n: 2 } }),
    );
    expect(first.runs).toBe(200);
    await runCampaign(recordingProperty(b), options({ runs: 200, shard: { k: 2, n: 2 } }));
    await runCampaign(recordingProperty(whole), options({ runs: 400 }));
    expect(whole).toEqual([
      ...a.slice(0, 100),
      ...b.slice(0, 100),
      ...a.slice(100),
      ...b.slice(100),
    ]);
  });

  test('the time budget stops the campaign early and says so', async () => {
    clock = 0;
    const slow = recordingProperty([]);
    const ticking = {
      ...slow,
      run: (v: unknown) => {
        clock += 10;
        return slow.run(v, []);
      },
    };
    const outcome = await runCampaign(ticking, options({ runs: 10_000, timeBudgetMs: 1_000 }));
    expect(outcome.stopped).toBe('time-budget');
    expect(outcome.runs).toBeLessThan(10_000);
    expect(outcome.verdict).toBe('pass');
  });
});

describe('fuzz campaign: yielding, interrupts and resuming', () => {
  test('a seed draws the same cases and the same shrunk counterexample as a synchronous fc.check', async () => {
    const seen: unknown[] = [];
    await runCampaign(recordingProperty(seen), options({ runs: 250 }));
    const sync: unknown[] = [];
    for (const [seed, numRuns] of [
      [7, 100],
      [8, 100],
      [9, 50],
    ] as const) {
      const record = (v: unknown) => {
        sync.push(v);
        return true;
      };
      fc.check(fc.property(plantedProperty.arbitrary, record), { seed, numRuns });
    }
    expect(seen).toEqual(sync);
    const outcome = await runCampaign(plantedProperty, options());
    const details = fc.check(
      fc.property(plantedProperty.arbitrary, (v) => (v as number) < 50),
      { seed: 7, numRuns: 100 },
    );
    expect(outcome.counterexample?.path).toBe(details.counterexamplePath);
    expect(outcome.runs).toBe(details.numRuns);
  });

  test('with a yield hook, an abort signalled from the event loop stops the campaign early', async () => {
    clock = 0;
    const controller = new AbortController();
    const ticking = {
      ...recordingProperty([]),
      run: () => {
        clock += 10;
        return { violations: [], trace: [] };
      },
    };
    setImmediate(() => controller.abort());
    const outcome = await runCampaign(
      ticking,
      options({
        runs: 10_000,
        signal: controller.signal,
        yieldToEventLoop: () => new Promise((resolve) => setImmediate(resolve)),
      }),
    );
    expect(outcome.stopped).toBe('interrupt');
    expect(outcome.runs).toBeLessThan(10_000);
    expect(outcome.verdict).toBe('pass');
  });

  test('resumeSeed continues an interrupted campaign at its first unfinished block, same cases', async () => {
    const whole: unknown[] = [];
    const shard = { k: 2, n: 3 };
    await runCampaign(recordingProperty(whole), options({ runs: 400, shard }));
    const controller = new AbortController();
    const part: unknown[] = [];
    const stopping = {
      ...recordingProperty(part),
      run: (v: unknown) => {
        part.push(v);
        if (part.length === 250) controller.abort();
        return { violations: [], trace: [] };
      },
    };
    const stopped = await runCampaign(
      stopping,
      options({ runs: 400, shard, signal: controller.signal }),
    );
    expect(stopped).toMatchObject({ runs: 250, blocksDone: 2, stopped: 'interrupt' });
    const rest: unknown[] = [];
    const seed = resumeSeed(7, shard, stopped.blocksDone);
    await runCampaign(recordingProperty(rest), options({ runs: 200, seed, shard }));
    expect(rest).toEqual(whole.slice(200));
  });
});

describe('counterexample files', () => {
  const failure = async () => {
    const outcome = await runCampaign(plantedProperty, options());
    if (outcome.counterexample === null) throw new Error('planted property passed');
    return counterexampleFile(plantedProperty.name, [], outcome.counterexample, 'n = 50');
  };

  test('saving never overwrites: a second save of the same failure gets a new name; both read back', async () => {
    const dir = tempDir();
    const first = saveCounterexample(dir, await failure());
    const second = saveCounterexample(dir, await failure());
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
