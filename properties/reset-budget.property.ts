// Reset budget (issue #14 item 4; spar-protocol.md §4.2 "Guarantee to the guest", "Error-handler"):
// one guest writes through one IOSP to one disk whose next commands each outlive sd's 30 s command
// timeout, so the midlayer's error handler aborts them and retries them, again and again; a queue
// held full makes virthba bounce commands busy; an IOSP reboot may land while an abort waits. All
// of storage-recovery's promises hold (storage-recovery.judge.ts), among them
//
//   reset-budget     a request fails for its retry budget exactly when its commands were reset
//                    SD_MAX_RETRIES + 1 times, counted below the midlayer from virthba's
//                    completions and the error handler's task management (never from the
//                    midlayer's own counter); a busy bounce is no reset;
//   slots-released   with no request live at the end, virthba's pending table is empty;
//
// and, so that these are not vacuous over the fixed batch (reset-budget.property.test.ts), some
// request fails for its budget and some command bounces busy.

import fc from 'fast-check';
import { budgetFailures } from '../src/check/index.js';
import type { StorageOutcome } from './storage-recovery.property.js';
import { runStoragePlan } from './storage-recovery.property.js';
import {
  describeStorageCase,
  type StorageCase,
  type StoragePlan,
  storagePlan,
  type WorkloadCase,
} from './storage-recovery.case.js';

/** One case: a small workload, a run of slow commands, an optional busy window and reboot. */
export interface ResetBudgetCase {
  readonly workload: WorkloadCase;
  /**
   * From the workload's `fromSubmit`-th request on, the next `times` commands to the disk take
   * minMs..minMs + spreadMs each (minMs past sd's 30 s timeout).
   */
  readonly slow: {
    readonly minMs: number;
    readonly spreadMs: number;
    readonly times: number;
    readonly fromSubmit: number;
  };
  /** From the workload's first request, the IOSP's command ring is held full for forMs. */
  readonly busy: { readonly forMs: number } | null;
  /** The IOSP reboots `afterMs` after the midlayer's `occurrence`-th task-management request. */
  readonly rebootOnTaskMgmt: {
    readonly occurrence: number;
    readonly afterMs: number;
    readonly downMs: number;
  } | null;
  readonly simSeed: number;
}

/** The case's topology as a storage-recovery case (one IOSP, one guest, one disk; no faults). */
export function storageCaseOf(c: ResetBudgetCase): StorageCase {
  const disk = { iosp: 0, guests: [0], blocks: 64, latencyTenthsMs: [2, 8] as const };
  return {
    iosps: 1,
    guests: 1,
    disks: [{ ...disk, workload: c.workload }],
    faults: [],
    simSeed: c.simSeed,
  };
}

/** The deepest queue a case draws (the scenario schema's maximum is 128). */
const DEPTH_MAX = 80;

const clampTo = (n: number, min: number, max: number) => Math.max(min, Math.min(n, max));
const onSubmit = (occurrence: number) => ({
  actor: 'guest1/block-workload:disk0',
  event: 'workload.submit',
  occurrence,
  after: 0,
});

/**
 * The case's plan: the topology's, with the faults triggered by the workload's and the
 * midlayer's own events (so they meet its requests, not the target scan's). Each slowed command
 * holds the workload at most its service time (the timeout cuts it shorter), the busy window its
 * length, the reboot its outage plus a boot's slack: the heal and the run grow by their sum.
 */
export function resetBudgetPlan(c: ResetBudgetCase): StoragePlan {
  const plan = storagePlan(storageCaseOf(c), DEPTH_MAX);
  const minMs = clampTo(c.slow.minMs, 0, 60_000);
  const maxMs = minMs + clampTo(c.slow.spreadMs, 0, 60_000);
  const times = clampTo(c.slow.times, 1, 200);
  const faults: Record<string, unknown>[] = [
    {
      action: 'disk-slow',
      partition: 'iosp0',
      disk: 'disk0',
      latencyMs: { min: minMs, max: maxMs },
      times,
      when: onSubmit(clampTo(c.slow.fromSubmit, 1, 1_000)),
    },
  ];
  let extraMs = times * maxMs;
  if (c.busy !== null) {
    const forMs = clampTo(c.busy.forMs, 1, 1_000);
    faults.push({ action: 'queue-full', partition: 'iosp0', for: forMs, when: onSubmit(1) });
    extraMs += forMs;
  }
  const r = c.rebootOnTaskMgmt;
  if (r !== null) {
    const when = {
      actor: 'guest1/scsi-midlayer:2:0',
      event: 'hba.taskMgmt',
      occurrence: clampTo(r.occurrence, 1, 20),
      after: clampTo(r.afterMs, 0, 1_000),
    };
    const down = clampTo(r.downMs, 0, 1_000);
    faults.push({ action: 'reboot', partition: 'iosp0', down, when });
    extraMs += when.after + down + 1_000;
  }
  const scenario = { ...plan.scenario, faults } as unknown as StoragePlan['scenario'];
  return {
    ...plan,
    healedByMs: plan.healedByMs + extraMs,
    untilMs: plan.untilMs + extraMs,
    scenario,
    faultOrigin: faults.map(() => -1),
  };
}

/** Runs one case; every broken promise, the trace and the faults. */
export function runResetBudgetCase(c: ResetBudgetCase, quirks: readonly string[]): StorageOutcome {
  return runStoragePlan(resetBudgetPlan(c), c.simSeed, quirks);
}

/** What makes a case's promises non-vacuous: requests failed for the budget, busy bounces. */
export function exercised(outcome: StorageOutcome): { budgetFailed: number; busy: number } {
  let budgetFailed = 0;
  let busy = 0;
  for (const report of outcome.reports.values()) {
    budgetFailed += budgetFailures(report?.resets ?? {});
    busy += (report?.midlayers ?? []).reduce((n, m) => n + m.busyRequeues, 0);
  }
  return { budgetFailed, busy };
}

/** The registered property (`properties/registry.ts`). */
export const resetBudget = {
  name: 'reset-budget',
  promise:
    'For one guest writing to a disk whose next commands outlive the 30 s command timeout (aborted and retried by the error handler), with busy bounces and an IOSP reboot while an abort waits: ' +
    "(reset-budget) a request fails for its retry budget exactly when its commands were reset SD_MAX_RETRIES + 1 times, counted below the midlayer; a busy bounce is no reset; (slots-released) with no request live, virthba's table is empty; and storage-recovery's promises hold.",
  kind: 'safety' as const,
  arbitrary: fc.record({
    // Shallow: one request meets slow command after slow command (its budget runs out). Deep
    // (more than a ring's 63 slots): the held ring bounces commands busy, and many slow commands
    // at once reset the bounced ones too.
    workload: fc.oneof(
      fc.record({
        queueDepth: fc.integer({ min: 1, max: 2 }),
        ops: fc.integer({ min: 3, max: 20 }),
        writePercent: fc.integer({ min: 0, max: 100 }),
        maxBlocks: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({
        queueDepth: fc.integer({ min: 64, max: 80 }),
        ops: fc.integer({ min: 81, max: 100 }),
        writePercent: fc.integer({ min: 0, max: 100 }),
        maxBlocks: fc.integer({ min: 1, max: 4 }),
      }),
    ),
    slow: fc.record({
      minMs: fc.integer({ min: 30_001, max: 35_000 }),
      spreadMs: fc.integer({ min: 0, max: 5_000 }),
      times: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 60, max: 120 })),
      fromSubmit: fc.integer({ min: 1, max: 3 }),
    }),
    busy: fc.option(fc.record({ forMs: fc.integer({ min: 1, max: 40 }) })),
    rebootOnTaskMgmt: fc.option(
      fc.record({
        occurrence: fc.integer({ min: 1, max: 6 }),
        afterMs: fc.integer({ min: 0, max: 2 }),
        downMs: fc.integer({ min: 0, max: 100 }),
      }),
    ),
    simSeed: fc.nat(20),
  }),
  run: runResetBudgetCase,
  describe: (c: ResetBudgetCase) => {
    const r = c.rebootOnTaskMgmt;
    const reboot =
      r === null
        ? ''
        : `\nreboot iosp0 ${r.afterMs} ms after task-management request #${r.occurrence}, down ${r.downMs} ms`;
    const { minMs, spreadMs, times, fromSubmit } = c.slow;
    const slow = `\ndisk-slow disk0 ${minMs}–${minMs + spreadMs} ms ×${times} from request #${fromSubmit}`;
    const busy = c.busy === null ? '' : `\nqueue-full iosp0 from request #1 for ${c.busy.forMs} ms`;
    return `${describeStorageCase(storageCaseOf(c))}${slow}${busy}${reboot}`;
  },
  testRuns: 6,
};
