// A bug inside spar-sim during a run (STYLE §10): an exception thrown inside a machine's action,
// or by host code a timer runs, ends the run at once with verdict `error`, the place and the
// error, and the report and trace of what ran so far; `spar run` prints them and exits 3 — never
// a bare stack, never exit 1. The bugs are injected by mocking one function each: a rule the
// block workload's action calls to issue each request, and the IOSP's heartbeat write.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { cli } from '../cli/testing/run-cli.js';
import { runStorageCase } from '../../properties/storage-recovery.property.js';
import { runScenario } from './run-scenario.js';
import { loadShipped, ROOT } from './testing/shipped.js';

const bomb = vi.hoisted(() => ({ action: Number.POSITIVE_INFINITY, heartbeat: false, calls: 0 }));

vi.mock('../../machines/block-workload.logic.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../machines/block-workload.logic.js')>();
  return {
    ...original,
    issueNext: (...args: Parameters<typeof original.issueNext>) => {
      bomb.calls++;
      if (bomb.calls > bomb.action) throw new Error('injected: a bug in an action');
      return original.issueNext(...args);
    },
  };
});

vi.mock('../hypervisor/heartbeats.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../hypervisor/heartbeats.js')>();
  return {
    ...original,
    beat: (page: SharedArrayBuffer) => {
      if (bomb.heartbeat) throw new Error('injected: a bug in host code');
      original.beat(page);
    },
  };
});

afterEach(() => {
  bomb.action = Number.POSITIVE_INFINITY;
  bomb.heartbeat = false;
  bomb.calls = 0;
});

const FILE = 'scenarios/iosp-reboot-storage.yaml';
const storage = () => loadShipped('iosp-reboot-storage');

const options = { runtime: 'sim', seed: 1, untilMs: 15_000, wallClock: () => 0 } as const;

describe('a bug inside spar-sim ends the run with what ran so far', () => {
  test('an exception in an action: verdict error naming the partition, the trace up to it, nothing after', async () => {
    const clean = await runScenario(storage(), options);
    expect(clean.report.verdict).toBe('pass');
    bomb.calls = 0;
    bomb.action = 300;
    const { report, trace } = await runScenario(storage(), options);
    expect(report.verdict).toBe('error');
    expect(report.failure?.where).toBe('guest1/guest-partition');
    expect(report.failure?.message).toBe('injected: a bug in an action');
    expect(report.failure?.stack).toContain('internal-failure.test.ts');
    // It stopped where the bug was: some IO done, the run cut short, no record after the bug.
    const at = report.failure?.atMs ?? -1;
    expect(at).toBeGreaterThan(0);
    expect(report.stats.virtualMs).toBe(at);
    expect(report.stats.virtualMs).toBeLessThan(clean.report.stats.virtualMs);
    expect(report.io.total.completed).toBeGreaterThan(0);
    expect(trace.length).toBeGreaterThan(0);
    expect(trace.every((r) => r.atMs <= at)).toBe(true);
    // Up to the bug the run is the clean run: the same records in the same order.
    expect(trace).toEqual(clean.trace.slice(0, trace.length));
  });

  test('an exception in host code a timer runs: verdict error naming the timer', async () => {
    bomb.heartbeat = true;
    const { report } = await runScenario(storage(), options);
    expect(report.verdict).toBe('error');
    expect(report.failure?.where).toMatch(/^iosp0\//);
    expect(report.failure?.message).toBe('injected: a bug in host code');
  });

  test("a property's case fails with the bug, not with a verdict on the system", () => {
    bomb.action = 50;
    const c = {
      disks: [
        {
          iosp: 0,
          guests: [0],
          blocks: 64,
          latencyTenthsMs: [2, 8] as const,
          workload: { queueDepth: 4, ops: 100, writePercent: 50, maxBlocks: 4 },
        },
      ],
      guests: 1,
      iosps: 1,
      faults: [],
      simSeed: 1,
    };
    expect(() => runStorageCase(c, [])).toThrow(
      /^a bug inside spar-sim, in guest1\/guest-partition at [\d.]+ ms: injected: a bug in an action$/,
    );
  });

  test('spar run prints the report, then one line saying where on stderr, and exits 3', async () => {
    bomb.action = 300;
    const json = await cli('run', FILE, '--runtime', 'sim', '--json');
    expect(json.code).toBe(3);
    const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8'));
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema);
    expect(validate(JSON.parse(json.out)), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.parse(json.out)).toMatchObject({
      verdict: 'error',
      failure: { where: 'guest1/guest-partition' },
    });
    expect(json.err.split('\n')[0]).toMatch(
      /^spar: internal error in guest1\/guest-partition at [\d.]+ ms \(a bug in spar-sim, please report it\): injected: a bug in an action$/,
    );
    bomb.calls = 0;
    const text = await cli('run', FILE, '--runtime', 'sim', '--quiet');
    expect(text.code).toBe(3);
    expect(text.out).toMatch(
      /ERROR the run stopped at [\d.]+ ms: guest1\/guest-partition: injected/,
    );
    expect(text.out).toContain('verdict: error');
  });
});
