// The storage-recovery promises no-lost-acked-write, exactly-once-completion and
// guests-stay-running in the worker runtime (one worker thread per partition, real time, the same
// scenario as the sim runs): a handful of fixed cases, each judged on the end of its run.
// io-completes-after-heal and channel-invariants stay sim-only: the bound is virtual time (a
// rebooted worker takes about a second to load its sources here), and sampling every ms needs the
// sim's scheduler. Worker runs end early once quiescent; each still starts 3–5 workers (~1 s each),
// hence the generous timeout.
//
// Choice: no read disk errors here. The end-of-run lost-write count (`io-stats.ts`) reads each
// block through `Disk.read`, which fails — and consumes — a read medium error still pending, so
// the block counts as lost (reported as a checker bug; the sim runner reads the bytes directly).

import { describe, expect, test } from 'vitest';
import { runWorkers } from '../src/run/run-workers.js';
import { loadPlan, storagePlan, type StorageCase } from './storage-recovery.case.js';
import { endViolations, type StoragePromise } from './storage-recovery.judge.js';

/** Wall ms added to the sim bound per IOSP crash or reboot (a fresh worker loads in ~1 s), and once. */
const WORKER_MS_PER_IOSP_FAULT = 3_000;
const WORKER_SLACK_MS = 3_000;
const JUDGED: readonly StoragePromise[] = [
  'no-lost-acked-write',
  'exactly-once-completion',
  'guests-stay-running',
];

/** Runs `c` in the worker runtime; returns the violations of the judged promises. */
async function runInWorkers(c: StorageCase): Promise<string[]> {
  const plan = storagePlan(c);
  const iospFaults = plan.scenario.faults.filter((f) => f.action !== 'disk-error').length;
  const untilMs = plan.untilMs + iospFaults * WORKER_MS_PER_IOSP_FAULT + WORKER_SLACK_MS;
  const result = await runWorkers(loadPlan(plan, []), c.simSeed, untilMs);
  return endViolations(plan, result.observation, result.faults).filter((v) =>
    JUDGED.some((p) => v.startsWith(`${p}: `)),
  );
}

const workload = (ops: number, writePercent: number) => ({
  queueDepth: 4,
  ops,
  writePercent,
  maxBlocks: 4,
});

const CASES: readonly { readonly name: string; readonly value: StorageCase }[] = [
  {
    name: 'one guest writes through an IOSP reboot',
    value: {
      disks: [
        { iosp: 0, guests: [0], blocks: 64, latencyTenthsMs: [5, 10], workload: workload(200, 60) },
      ],
      guests: 1,
      iosps: 1,
      faults: [{ kind: 'reboot', iosp: 0, atMs: 30, downMs: 50 }],
      simSeed: 1,
    },
  },
  {
    name: 'two guests share a disk of iosp0 while iosp1 crashes and reboots and the shared disk fails writes',
    value: {
      disks: [
        {
          iosp: 0,
          guests: [0, 1],
          blocks: 64,
          latencyTenthsMs: [5, 10],
          workload: workload(200, 50),
        },
        { iosp: 1, guests: [1], blocks: 64, latencyTenthsMs: [5, 10], workload: workload(200, 70) },
      ],
      guests: 2,
      iosps: 2,
      faults: [
        { kind: 'crash-then-reboot', iosp: 1, atMs: 20, gapMs: 10, downMs: 30 },
        { kind: 'disk-error', disk: 0, op: 'write', lba: 0, count: 16, times: 2, atMs: 10 },
      ],
      simSeed: 2,
    },
  },
  {
    name: 'an IOSP serving two guests reboots again during its recovery',
    value: {
      disks: [
        {
          iosp: 0,
          guests: [0, 1],
          blocks: 64,
          latencyTenthsMs: [5, 10],
          workload: workload(200, 60),
        },
      ],
      guests: 2,
      iosps: 1,
      faults: [
        { kind: 'reboot', iosp: 0, atMs: 20, downMs: 20 },
        { kind: 'reboot-during-recovery', iosp: 0, bootedOccurrence: 2, afterMs: 5, downMs: 20 },
      ],
      simSeed: 3,
    },
  },
];

describe('storage recovery in the worker runtime', () => {
  for (const { name, value } of CASES) {
    test(`${name}: no lost acknowledged write, exactly-once completion, every guest running`, async () => {
      expect(await runInWorkers(value)).toEqual([]);
    }, 120_000);
  }
});
