// What a run's expectations are judged on: the end state of every partition, read through the
// control plane only (lifecycle states, the command partition's outcomes and ledger, each guest's
// actor states and sysfs view) — the same in both runtimes.

import type { Config, Hypervisor } from '../hypervisor/index.js';
import type { CommandPartitionContext } from '../../machines/command-partition.logic.js';
import type { GuestNet } from './net-stats.js';

/** One guest at the end of a run; null fields when it had no host (crashed, off). */
export interface GuestObservation {
  readonly snapshot: Readonly<Record<string, unknown>> | null;
  readonly sysfs: Readonly<Record<string, string>> | null;
}

/** One guest's storage IO as its workloads' ledgers and the disks show it at the end. */
export interface IoStats {
  readonly submitted: number;
  readonly completed: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Resubmissions after DID_RESET (busy requeues not counted). */
  readonly retried: number;
  /** Completions the midlayer received for a request already completed. */
  readonly duplicateCompletions: number;
  /** Blocks whose content is older than their last acknowledged write. */
  readonly lostAckedWrites: number;
  /** Workloads, and those that finished every request. */
  readonly workloads: number;
  readonly finished: number;
}

/** One guest's network traffic at the end (net-stats.ts says what each field counts). */
export interface NetStats {
  readonly sent: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly duplicated: number;
  readonly misdelivered: number;
  readonly linkDownMs: number;
  readonly outOfOrder: number;
  readonly outstanding: number;
  readonly ownershipViolations: number;
  readonly interfaces: number;
  readonly linksUp: number;
  readonly flows: number;
  readonly finishedFlows: number;
}

/** The end of a run. */
export interface Observation {
  readonly config: Config;
  /** Lifecycle state per partition (off, booting, running, hung, crashed, rebooting, shutDown). */
  readonly states: Readonly<Record<string, string>>;
  /** The command partition's outcome effects (`cp.*`) of its current boot, in order. */
  readonly cpOutcomes: readonly { readonly type: string }[];
  /** The command partition's ledger, or null when it has no host. */
  readonly cpContext: CommandPartitionContext | null;
  readonly guests: Readonly<Record<string, GuestObservation>>;
  /** Storage IO per guest (guests without workloads: all zero). */
  readonly io: Readonly<Record<string, IoStats>>;
  /** Network traffic per guest (guests without vnics: all zero). */
  readonly net: Readonly<Record<string, GuestNet>>;
}

/** No IO at all. */
export const NO_IO: IoStats = {
  submitted: 0,
  completed: 0,
  succeeded: 0,
  failed: 0,
  retried: 0,
  duplicateCompletions: 0,
  lostAckedWrites: 0,
  workloads: 0,
  finished: 0,
};

/** The sum of `stats`. */
export function totalIo(stats: readonly IoStats[]): IoStats {
  return sumRecords(NO_IO, stats);
}

/** The field-by-field sum of numeric records shaped like `zero`. */
export function sumRecords<T extends object>(zero: T, items: readonly T[]): T {
  const keys = Object.keys(zero) as (keyof T)[];
  return Object.fromEntries(
    keys.map((k) => [k, items.reduce((sum, s) => sum + (s[k] as number), 0)]),
  ) as T;
}

/** The lifecycle state of every configured partition. */
export function lifecycleStates(config: Config, hypervisor: Hypervisor): Record<string, string> {
  return Object.fromEntries(
    config.partitions.map((p) => {
      const state = hypervisor.state(p.name);
      return [p.name, state.ok ? state.value : 'unknown'];
    }),
  );
}
