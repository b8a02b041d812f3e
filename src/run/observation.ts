// What a run's expectations are judged on: the end state of every partition, read through the
// control plane only (lifecycle states, the command partition's outcomes and ledger, each guest's
// actor states and sysfs view) — the same in both runtimes.

import type { Config, Hypervisor } from '../hypervisor/index.js';
import type { CommandPartitionContext } from '../../machines/command-partition.logic.js';

/** One guest at the end of a run; null fields when it had no host (crashed, off). */
export interface GuestObservation {
  readonly snapshot: Readonly<Record<string, unknown>> | null;
  readonly sysfs: Readonly<Record<string, string>> | null;
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
