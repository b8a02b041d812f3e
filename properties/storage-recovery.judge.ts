// The storage-recovery property's end-of-run judging (spar-protocol.md §4.2 "Guarantee to the
// guest"), shared by both runtimes: the sim runner (storage-recovery.property.ts) and the worker
// runner (storage-recovery.workers.property.test.ts). The checks are src/check's oracles; this
// file words each finding under the promise it breaks.

import {
  completionFindings,
  completionText,
  diskErrorsBound,
  type FiredDiskError,
  failureAccounting,
  heldSlotFindings,
  overdueRequests,
  resetBudgetFindings,
  staleReads,
  unfinishedWork,
  workloadCompletionFindings,
} from '../src/check/index.js';
import { storageIsolationLines } from '../src/kinds/vhba/expectations.js';
import type { VhbaGuestReport } from '../src/kinds/vhba/guest.js';
import type { IoStats } from '../src/kinds/vhba/report.js';
import type { FaultRecord } from '../src/run/faults.js';
import type { Observation } from '../src/run/observation.js';
import type { StoragePlan } from './storage-recovery.case.js';

/** The promises, by the name each violation starts with. */
export const STORAGE_PROMISES = {
  'no-lost-acked-write':
    'No acknowledged write is lost (every block holds its last acknowledged write or a later one; no writer read older data).',
  'exactly-once-completion':
    'Every request completes to its workload exactly once; failures are explicit and only from disk errors or an exhausted retry budget.',
  'guests-stay-running': 'Every guest partition stays running.',
  'io-completes-after-heal':
    'Once the last fault healed, all outstanding IO completes within the bound.',
  'storage-isolation':
    "Each guest's vhba shows exactly the disks shared with it: its scan finds each shared disk at its address and no other, and a READ to an address with no disk is answered no-disk.",
  'reset-budget':
    'A request fails for its retry budget (SD_MAX_RETRIES) exactly when its commands were reset once more than the budget: DID_RESET completions and error-handler recoveries, counted below the midlayer; a busy bounce is no reset.',
  'slots-released':
    "With no request live at the end, virthba's pending table is empty: every command and task-management request gave its slot back.",
  'channel-invariants':
    'At every virtual ms and virthba channel operation each vhba queue has num_sent − num_received = occupancy ≤ max_slots − 1, and client states change only along §1.3.',
} as const;

/** One of {@link STORAGE_PROMISES}. */
export type StoragePromise = keyof typeof STORAGE_PROMISES;

/** What only the sim runtime sees at the end of a run, for {@link endViolations}. */
export interface SimEnd {
  /** Each guest's workload and midlayer ledgers: writer reads verified, unknown answers, totals. */
  readonly reports: ReadonlyMap<string, VhbaGuestReport | null>;
  /** Per guest, the write ledger on the disks as the run left them (replaces `io.lostAckedWrites`). */
  readonly lost: ReadonlyMap<string, number>;
  /** Per disk, the medium errors it returned: failures a disk error explains. */
  readonly diskErrors: ReadonlyMap<string, number>;
}

/**
 * The promises judged on the end of a run (both runtimes): no-lost-acked-write,
 * exactly-once-completion, guests-stay-running (at the end), io-completes-after-heal,
 * storage-isolation. Without
 * `sim` (the worker runtime) a failed request is explained by any operation a fired disk-error
 * fault on its disks could fail (`times`), and lost writes are `io.lostAckedWrites`.
 */
export function endViolations(
  plan: StoragePlan,
  o: Observation,
  faults: readonly FaultRecord[],
  sim: SimEnd | null = null,
): string[] {
  const out: string[] = [];
  const v = (promise: StoragePromise, text: string) => out.push(`${promise}: ${text}`);
  for (const g of plan.guests) {
    const io: IoStats | undefined = o.io[g];
    const mine = plan.disks.filter((d) => d.sharedWith.includes(g));
    if (o.states[g] !== 'running')
      v('guests-stay-running', `${g} is ${o.states[g] ?? 'unknown'} at the end`);
    if (io === undefined) continue;
    const lost = sim?.lost.get(g) ?? io.lostAckedWrites;
    if (lost > 0) v('no-lost-acked-write', `${g}: ${lost} block(s) lost an acknowledged write`);
    const report = sim?.reports.get(g) ?? null;
    for (const line of resetBudgetFindings(report?.resets ?? {}))
      v('reset-budget', `${g}: ${line}`);
    for (const line of heldSlotFindings(report?.hbas ?? [])) v('slots-released', `${g}: ${line}`);
    for (const w of report?.workloads ?? []) {
      const disk = plan.disks.find((d) => d.name === w.name);
      const stale = staleReads(w, disk?.sharedWith[0] === g);
      if (stale > 0)
        v(
          'no-lost-acked-write',
          `${g}: ${stale} read(s) of ${w.name} returned data older than an acknowledged write`,
        );
      const ops = mine.find((d) => d.name === w.name)?.workload.ops;
      for (const f of workloadCompletionFindings(w, ops))
        v('exactly-once-completion', completionText(g, f));
    }
    for (const f of completionFindings(io)) v('exactly-once-completion', completionText(g, f));
    const diskErrors =
      sim === null
        ? diskErrorsBound(
            firedDiskErrors(plan, faults),
            mine.map((d) => d.name),
          )
        : mine.reduce((n, d) => n + (sim.diskErrors.get(d.name) ?? 0), 0);
    const unexplained = failureAccounting(io, diskErrors);
    if (unexplained !== null) v('exactly-once-completion', completionText(g, unexplained));
    const overdue =
      io.atMs === null ? null : overdueRequests(io.outstandingSinceMs, io.atMs, o.faultsHealedAtMs);
    if (overdue !== null) v('exactly-once-completion', completionText(g, overdue));
    if (io.staleReads > 0)
      v(
        'no-lost-acked-write',
        `${g}: ${io.staleReads} read(s) returned data older than an acknowledged write`,
      );
    const left = unfinishedWork(io, mine.length);
    if (left !== null)
      v(
        'io-completes-after-heal',
        `${g}: ${left.unfinished} of ${left.expected} workload(s) unfinished at ${plan.untilMs} ms (faults healed by ${plan.healedByMs} ms), ${left.outstanding} request(s) outstanding`,
      );
  }
  for (const line of storageIsolationLines(o)) v('storage-isolation', line);
  return out;
}

// The disk-error faults that fired (the worker runtime's bound on the medium errors returned).
function firedDiskErrors(plan: StoragePlan, faults: readonly FaultRecord[]): FiredDiskError[] {
  return faults
    .filter((f) => f.action === 'disk-error' && f.atMs !== null && f.refused === null)
    .flatMap((f) => {
      const fault = plan.scenario.faults[f.index];
      return fault?.action === 'disk-error' ? [{ disk: fault.disk, times: fault.times }] : [];
    });
}
