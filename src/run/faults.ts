// A scenario's fault schedule, applied through the hypervisor (the same calls in both runtimes).
// A fault fires at its time, or once at the first trace record matching its `when` (plus its
// delay). The hypervisor may refuse one (a crash of a partition that is off): that is reported,
// not an error of the run.

import type { Hypervisor } from '../hypervisor/index.js';
import type { TraceRecord } from '../partition/environment.js';
import type { ScenarioFault } from '../scenario/schema.js';

/** What became of one fault. */
export interface FaultRecord {
  readonly index: number;
  readonly action: ScenarioFault['action'];
  readonly partition: string;
  /** When it fired (ms since the start), or null if it never fired. */
  readonly atMs: number | null;
  /** Set when the hypervisor refused it. */
  readonly refused: string | null;
}

/** True when `record` meets every field of the fault's condition. */
export function matches(when: NonNullable<ScenarioFault['when']>, record: TraceRecord): boolean {
  if (when.partition !== undefined && record.partition !== when.partition) return false;
  if (when.actor !== undefined && record.actor !== when.actor) return false;
  return record.event === when.event;
}

/** Applies `fault` now; returns the hypervisor's refusal, if any. */
export function applyFault(hypervisor: Hypervisor, fault: ScenarioFault): string | null {
  const name = fault.partition;
  const result =
    fault.action === 'reboot' ? hypervisor.reboot(name, fault.down)
    : fault.action === 'crash' ? hypervisor.crash(name)
    : fault.action === 'hang' ? hypervisor.hang(name)
    : fault.action === 'shutdown' ? hypervisor.shutdown(name)
    : hypervisor.boot(name);
  return result.ok ? null : result.error.message;
}

/** Counts of fired faults per action (refused ones are not counted). */
export function faultCounts(records: readonly FaultRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) if (r.atMs !== null && r.refused === null) counts[r.action] = (counts[r.action] ?? 0) + 1;
  return counts;
}
