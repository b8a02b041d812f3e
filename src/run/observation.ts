// What a run's expectations are judged on: the end state of every partition, read through the
// control plane only (lifecycle states, each host's view: the command partition's outcomes and
// ledger, each guest's actor states and sysfs), plus each device kind's section built from the
// guests' reports and the run's hardware — the same in both runtimes.

import type { CommandPartitionContext } from '../../machines/command-partition.logic.js';
import type { Config, Hypervisor } from '../hypervisor/index.js';
import { KINDS, type RunHardware } from '../kinds/index.js';
import type { CommandPartitionOutcome } from '../partition/command-host.js';
import type { HostView } from '../partition/partition-host.js';

/** One guest at the end of a run; null fields when it had no running host (crashed, off). */
export interface GuestObservation {
  readonly snapshot: Readonly<Record<string, unknown>> | null;
  readonly sysfs: Readonly<Record<string, string>> | null;
}

/**
 * The device kinds' sections of an observation, by section name: each kind with a `report`
 * declares its own here (module augmentation, e.g. src/kinds/vhba/report.ts adds `io`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: kinds augment it with their sections.
export interface ObservationSections {}

/** The end of a run. */
export interface Observation extends ObservationSections {
  readonly config: Config;
  /** Lifecycle state per partition (off, booting, running, hung, crashed, rebooting, shutDown). */
  readonly states: Readonly<Record<string, string>>;
  /** The command partition's outcome effects (`cp.*`) of its current boot, in order. */
  readonly cpOutcomes: readonly CommandPartitionOutcome[];
  /** The command partition's ledger, or null when it has no host. */
  readonly cpContext: CommandPartitionContext | null;
  readonly guests: Readonly<Record<string, GuestObservation>>;
  /**
   * When the last fired fault healed (its time plus its stated down time, faults.ts `healedAtMs`),
   * null if none fired: the liveness checks ask for progress after it.
   */
  readonly faultsHealedAtMs: number | null;
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

/**
 * The observation of a run from its lifecycle states, each live host's view (null: no host; a
 * hung host still has one), the run's hardware and when its last fault healed. Only running hosts count for the command
 * partition's ledger and the guests' actors; every live guest's reports feed the kinds' sections.
 */
export function observe(
  config: Config,
  states: Readonly<Record<string, string>>,
  views: Readonly<Record<string, HostView | null>>,
  hardware: RunHardware,
  faultsHealedAtMs: number | null,
): Observation {
  const running = (name: string) => (states[name] === 'running' ? (views[name] ?? null) : null);
  const cp = config.partitions.find((p) => p.kind === 'command');
  const command = cp === undefined ? null : (running(cp.name)?.command ?? null);
  const guestNames = config.partitions.filter((p) => p.kind === 'guest').map((p) => p.name);
  const guests = Object.fromEntries(
    guestNames.map((g) => {
      const view = running(g);
      return [g, { snapshot: view?.snapshot ?? null, sysfs: view?.sysfs ?? null }];
    }),
  );
  const base = {
    config,
    states,
    cpOutcomes: command?.outcomes ?? [],
    cpContext: command?.context ?? null,
    guests,
    faultsHealedAtMs,
  };
  return { ...base, ...kindSections(guestNames, views, hardware) };
}

/** A kind's section of `o` by name, as its kind reads it back. */
export function sectionOf(o: Observation, section: string): unknown {
  return Reflect.get(o, section);
}

// Each kind with a report builds its section from every guest's part (null: no host).
function kindSections(
  guests: readonly string[],
  views: Readonly<Record<string, HostView | null>>,
  hardware: RunHardware,
): ObservationSections {
  const sections: Record<string, unknown> = {};
  for (const kind of KINDS) {
    if (kind.report === undefined) continue;
    const parts = Object.fromEntries(
      guests.map((g) => [
        g,
        views[g] === undefined || views[g] === null ? null : (views[g].reports[kind.name] ?? null),
      ]),
    );
    sections[kind.report.section] = kind.report.observe(parts, hardware.get(kind.name));
  }
  // Each kind fills the section it declares in ObservationSections.
  return sections as unknown as ObservationSections;
}
