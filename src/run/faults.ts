// A scenario's fault schedule, applied through the hypervisor (the same calls in both runtimes).
// A fault fires at its time, or once at the first trace record matching its `when` (plus its
// delay). The hypervisor may refuse one (a crash of a partition that is off): that is reported,
// not an error of the run.

import type { Disk } from '../devices/disk.js';
import type { Hypervisor, NicLinks } from '../hypervisor/index.js';
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

/** A disk-error fault: the next `times` operations `op` on blocks lba..lba+count−1 fail. */
export type DiskErrorFault = Extract<ScenarioFault, { action: 'disk-error' }>;

/** A nic-link fault: the IOSP's NIC `nic` loses its link (`up: false`) or gets it back. */
export type NicLinkFault = Extract<ScenarioFault, { action: 'nic-link' }>;

/** What faults act on: the hypervisor, the run's disks and NIC links (hardware, outside partitions). */
export interface FaultTarget {
  readonly hypervisor: Hypervisor;
  injectDiskError(fault: DiskErrorFault): string | null;
  setNicLink(fault: NicLinkFault): string | null;
}

/** Applies `fault` now; returns the refusal, if any. */
export function applyFault(target: FaultTarget, fault: ScenarioFault): string | null {
  if (fault.action === 'disk-error') return target.injectDiskError(fault);
  if (fault.action === 'nic-link') return target.setNicLink(fault);
  const { hypervisor } = target;
  const name = fault.partition;
  const result =
    fault.action === 'reboot'
      ? hypervisor.reboot(name, fault.down)
      : fault.action === 'crash'
        ? hypervisor.crash(name)
        : fault.action === 'hang'
          ? hypervisor.hang(name)
          : fault.action === 'shutdown'
            ? hypervisor.shutdown(name)
            : hypervisor.boot(name);
  return result.ok ? null : result.error.message;
}

/** Counts of fired faults per action (refused ones are not counted). */
export function faultCounts(records: readonly FaultRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records)
    if (r.atMs !== null && r.refused === null) counts[r.action] = (counts[r.action] ?? 0) + 1;
  return counts;
}

/**
 * The fault target of a run with these disks and NIC links. Choice: a link changes whatever state
 * its IOSP is in (the hardware does not ask); an IOSP that is down sees it at its next boot.
 */
export function faultTarget(
  hypervisor: Hypervisor,
  disks: ReadonlyMap<string, Disk>,
  nicLinks: NicLinks,
): FaultTarget {
  return {
    hypervisor,
    setNicLink: (f) =>
      nicLinks.set(f.partition, f.nic, f.up) ? null : `${f.partition} owns no NIC named ${f.nic}`,
    injectDiskError: (f) => {
      const disk = disks.get(f.disk);
      if (disk === undefined) return `no disk named ${f.disk}`;
      const injected = disk.injectFailure({ op: f.op, lba: f.lba, count: f.count, times: f.times });
      return injected.ok ? null : injected.error.message;
    },
  };
}

/**
 * The faults of a schedule that wait for a condition: feed it every trace record in order; it
 * returns the faults whose condition was met by this record (the Nth match), with their delay.
 */
export class FaultConditions {
  private readonly watching: Set<number>;
  private readonly seen = new Map<number, number>();

  constructor(private readonly faults: readonly ScenarioFault[]) {
    this.watching = new Set(faults.flatMap((f, i) => (f.when === undefined ? [] : [i])));
  }

  /** The faults (index, delay in ms) that `record` triggers. */
  onRecord(record: TraceRecord): { readonly index: number; readonly afterMs: number }[] {
    const fired: { index: number; afterMs: number }[] = [];
    for (const i of this.watching) {
      const when = this.faults[i]?.when;
      if (when === undefined || !matches(when, record)) continue;
      const count = (this.seen.get(i) ?? 0) + 1;
      this.seen.set(i, count);
      if (count < when.occurrence) continue;
      this.watching.delete(i);
      fired.push({ index: i, afterMs: when.after });
    }
    return fired;
  }
}
