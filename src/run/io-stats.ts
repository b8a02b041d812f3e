// A guest's storage IO at the end of a run (issue: `spar run --json` adds `io`): the workloads'
// and midlayers' ledgers, and the disks read directly — hardware, outside any partition — to
// count acknowledged writes that are not there (the write ledger of src/check judges them).

import { lostAckedWrites } from '../check/index.js';
import type { Disk } from '../devices/disk.js';
import type { GuestIoReport } from '../partition/guest-host.js';
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
 * Sums the ledgers of `report`; `lostAckedWrites` counts the blocks of its workloads' disks that
 * lost an acknowledged write (src/check's write ledger says when a block has).
 */
export function ioStats(report: GuestIoReport | null, disks: ReadonlyMap<string, Disk>): IoStats {
  if (report === null) return NO_IO;
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
    lostAckedWrites: lostAckedWrites(report.workloads, disks),
    workloads: report.workloads.length,
    finished: report.workloads.filter((w) => w.finished).length,
  };
}
