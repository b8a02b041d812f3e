// A guest's storage IO at the end of a run (issue: `spar run --json` adds `io`): the workloads'
// and midlayers' ledgers, and the disks read directly — hardware, outside any partition — to
// count acknowledged writes that are not there.

import type { Disk } from '../devices/disk.js';
import type { GuestIoReport } from '../partition/guest-host.js';
import { lbaEntries, versionsOf } from '../../machines/block-workload.logic.js';
import { netOf } from './net-stats.js';
import { NO_IO, type IoStats, type Observation } from './observation.js';

/** Each guest's storage IO and network traffic, from its report (null: no host). */
export function ioAndNet(
  reports: readonly (readonly [string, GuestIoReport | null])[],
  disks: ReadonlyMap<string, Disk>,
): Pick<Observation, 'io' | 'net'> {
  return {
    io: Object.fromEntries(reports.map(([g, r]) => [g, ioStats(r, disks)])),
    net: Object.fromEntries(reports.map(([g, r]) => [g, netOf(r)])),
  };
}

/**
 * Sums the ledgers of `report`. A block "lost" an acknowledged write when it holds neither the
 * last acknowledged version nor a later version that was written but not (yet) acknowledged.
 * In the worker runtime the guest keeps running while the disks are read after its ledger, so a
 * version the workload issued after the ledger was taken (≥ its `nextVersion`) counts as later.
 */
export function ioStats(report: GuestIoReport | null, disks: ReadonlyMap<string, Disk>): IoStats {
  if (report === null) return NO_IO;
  let lostAckedWrites = 0;
  for (const w of report.workloads) {
    const disk = disks.get(w.name);
    for (const [lba, state] of lbaEntries(w.lbas)) {
      if (state.acked === 0 || disk === undefined) continue;
      const block = disk.inspect(lba, 1);
      const version = block.ok ? versionsOf(block.value, lba) : null;
      const later =
        version !== null && (state.possible.includes(version) || version >= w.nextVersion);
      if (version !== state.acked && !later) lostAckedWrites++;
    }
  }
  const sum = (f: (c: GuestIoReport['workloads'][number]['counts']) => number) =>
    report.workloads.reduce((n, w) => n + f(w.counts), 0);
  const mid = (f: (c: GuestIoReport['midlayers'][number]) => number) =>
    report.midlayers.reduce((n, m) => n + f(m), 0);
  const succeeded = sum((c) => c.succeeded);
  const failed = sum((c) => c.failed);
  return {
    submitted: sum((c) => c.submitted),
    completed: succeeded + failed,
    succeeded,
    failed,
    retried: mid((m) => m.resetRetries),
    duplicateCompletions: mid((m) => m.duplicateCompletions),
    lostAckedWrites,
    workloads: report.workloads.length,
    finished: report.workloads.filter((w) => w.finished).length,
  };
}
