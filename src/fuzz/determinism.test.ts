// The determinism self-check: the first diverging record of two traces (a record, or one trace
// ending early), its violation text, and the proof through a campaign that a property whose run
// depends on a module-level counter fails as `nondeterministic`, is shrunk and replays the failure.

import { describe, expect, test } from 'vitest';
import type { TraceRecord } from '../partition/environment.js';
import { runCampaign } from './campaign.js';
import {
  checkingDeterminism,
  determinismViolation,
  divergenceText,
  firstDivergence,
  recordsEqual,
} from './determinism.js';
import { nondeterministicProperty, plantedProperty } from './testing.js';

const rec = (atMs: number, over: Partial<TraceRecord> = {}): TraceRecord => ({
  atMs,
  partition: 'cp',
  actor: 'cp/visorchipset',
  event: 'poll',
  state: 'running',
  ...over,
});

const campaign = { seed: 3, shard: { k: 1, n: 1 }, timeBudgetMs: null, now: () => 0 } as const;

describe('determinism', () => {
  test('smoke: equal traces have no divergence', () => {
    const t = [rec(0), rec(1, { detail: { handle: 7, ok: true } })];
    expect(
      firstDivergence(
        t,
        t.map((r) => ({ ...r })),
      ),
    ).toBeNull();
    expect(firstDivergence([], [])).toBeNull();
  });

  test('every compared field makes records differ; detail key order does not', () => {
    const base = rec(5, { detail: { queue: 1, status: 'ok' } });
    expect(recordsEqual(base, rec(5, { detail: { status: 'ok', queue: 1 } }))).toBe(true);
    const changed: Partial<TraceRecord>[] = [
      { atMs: 6 },
      { partition: 'guest1' },
      { actor: 'cp/visorbus' },
      { event: 'boot' },
      { state: 'paused' },
      { detail: { queue: 2, status: 'ok' } },
      { detail: { queue: 1 } },
      { detail: { queue: 1, status: 'ok', extra: 0 } },
    ];
    for (const over of changed)
      expect(recordsEqual(base, { ...base, ...over }), JSON.stringify(over)).toBe(false);
    expect(recordsEqual(base, rec(5))).toBe(false);
  });

  test('the first differing record is reported with both records', () => {
    const a = [rec(0), rec(1), rec(2), rec(3)];
    const b = [rec(0), rec(1), rec(2, { state: 'paused' }), rec(9)];
    expect(firstDivergence(a, b)).toEqual({ index: 2, a: a[2], b: b[2] });
    expect(divergenceText({ index: 2, a: rec(2), b: rec(2, { state: 'paused' }) }, 4, 4)).toBe(
      `nondeterministic: first divergence at record 2: ${JSON.stringify(rec(2))} vs ${JSON.stringify(rec(2, { state: 'paused' }))}`,
    );
  });

  test('a trace that ends early diverges where it ends, and the text gives both lengths', () => {
    const a = [rec(0), rec(1), rec(2)];
    const b = [rec(0)];
    expect(firstDivergence(a, b)).toEqual({ index: 1, a: a[1] });
    expect(firstDivergence(b, a)).toEqual({ index: 1, b: a[1] });
    expect(divergenceText({ index: 1, b: rec(1) }, 1, 3)).toBe(
      `nondeterministic: first divergence at record 1 (traces of 1 and 3 records): end of trace (1 records) vs ${JSON.stringify(rec(1))}`,
    );
  });

  test('the same trace judged differently is nondeterministic too', () => {
    const trace = [rec(0)];
    expect(determinismViolation({ violations: [], trace }, { violations: [], trace })).toBeNull();
    expect(determinismViolation({ violations: [], trace }, { violations: ['x: y'], trace })).toBe(
      'nondeterministic: the same trace judged differently: [] vs ["x: y"]',
    );
  });

  test('a checked deterministic property keeps its own verdict and first trace', () => {
    const checked = checkingDeterminism(plantedProperty);
    expect(checked.run(3, [])).toEqual(plantedProperty.run(3, []));
    expect(checked.run(70, []).violations).toEqual(['70 is not below 50']);
  });

  test('through a campaign, a property whose run counts its calls fails as nondeterministic, shrunk to the smallest case', async () => {
    const plain = await runCampaign(nondeterministicProperty, {
      ...campaign,
      runs: 50,
      quirks: [],
    });
    expect(plain.verdict, 'unchecked, the planted property holds').toBe('pass');
    const outcome = await runCampaign(nondeterministicProperty, {
      ...campaign,
      runs: 50,
      quirks: [],
      checkDeterminism: true,
    });
    expect(outcome.verdict).toBe('fail');
    expect(outcome.runs).toBe(1);
    expect(outcome.counterexample?.value).toBe(0);
    expect(outcome.counterexample?.violations).toEqual([
      expect.stringMatching(
        /^nondeterministic: first divergence at record 1: \{.*"calls":\d+.*\} vs \{.*"calls":\d+.*\}$/,
      ),
    ]);
  });

  test('checking determinism leaves a deterministic failure as it was', async () => {
    const opts = { ...campaign, runs: 300, quirks: [] };
    const plain = await runCampaign(plantedProperty, opts);
    const checked = await runCampaign(plantedProperty, { ...opts, checkDeterminism: true });
    expect(checked.counterexample).toEqual(plain.counterexample);
    expect(checked.counterexample?.violations).toEqual(['50 is not below 50']);
  });
});
