// The vhba kind's section of a run (`io` in the observation and in `spar run --json`): each
// guest's storage IO from its workloads' and midlayers' ledgers, and the disks read directly —
// hardware, outside any partition — to count acknowledged writes that are not there (the write
// ledger of src/check judges them).

import { lostAckedWrites } from '../../check/index.js';
import { type SharedDisks, sharedDiskFindings, sharedDisks } from './shared-disks.js';
import { sumRecords } from '../../run/observation.js';
import type { Config } from '../../hypervisor/config.js';
import type { KindReport } from '../kind.js';
import type { Disk } from './disk.js';
import type { VhbaGuestReport } from './guest.js';
import type { VhbaScan } from './target-scan.js';

/** One guest's storage IO as its workloads' ledgers and the disks show it at the end. */
export interface IoStats extends IoCounts {
  /** What each of its vhbas' target scans found: the disks it can reach (target-scan.ts). */
  readonly scans: readonly VhbaScan[];
  /**
   * Medium errors the disks of its workloads returned (a disk shared by two guests counts for
   * both): the failures a disk error explains.
   */
  readonly diskErrors: number;
  /** When each request still unanswered at the end was submitted (ms). */
  readonly outstandingSinceMs: readonly number[];
  /** When the guest reported (ms): the end of the run; null without a report. */
  readonly atMs: number | null;
}

/** The counts of {@link IoStats}: what sums over guests. */
export interface IoCounts {
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
  /**
   * Reads that showed data older than an acknowledged write, on disks several guests share
   * (src/check's block register; a lone writer's own reads are its workload's `verifyFailures`).
   */
  readonly staleReads: number;
  /** Workloads, and those that finished every request. */
  readonly workloads: number;
  readonly finished: number;
}

declare module '../../run/observation.js' {
  interface ObservationSections {
    /** Storage IO per guest (guests without workloads: all zero). */
    readonly io: Readonly<Record<string, IoStats>>;
  }
}

declare module '../../run/run-scenario.js' {
  interface ReportSections {
    /** Storage IO per guest and in total. */
    readonly io: { readonly guests: Readonly<Record<string, IoStats>>; readonly total: IoCounts };
  }
}

/** No IO at all. */
export const NO_IO: IoStats = {
  scans: [],
  diskErrors: 0,
  outstandingSinceMs: [],
  atMs: null,
  submitted: 0,
  completed: 0,
  succeeded: 0,
  failed: 0,
  retried: 0,
  duplicateCompletions: 0,
  lostAckedWrites: 0,
  staleReads: 0,
  workloads: 0,
  finished: 0,
};

/** The sum of `stats`' counts. */
export function totalIo(stats: readonly IoCounts[]): IoCounts {
  const { scans: _, diskErrors: _e, outstandingSinceMs: _o, atMs: _a, ...zero } = NO_IO;
  return sumRecords<IoCounts>(zero, stats);
}

/**
 * Sums the ledgers of `report`; `lostAckedWrites` counts the blocks of its workloads' disks that
 * lost an acknowledged write: src/check's write ledger says when a block has, or on a disk several
 * guests write, the block register over `shared` (whose lost blocks count for the disk's first
 * writer only, so the total counts each block once).
 */
export function ioStats(
  report: VhbaGuestReport | null,
  disks: ReadonlyMap<string, Disk>,
  shared: SharedDisks = new Map(),
  guest = '',
): IoStats {
  if (report === null) return NO_IO;
  const sum = (f: (c: VhbaGuestReport['workloads'][number]['counts']) => number) =>
    report.workloads.reduce((n, w) => n + f(w.counts), 0);
  const mid = (f: (c: VhbaGuestReport['midlayers'][number]) => number) =>
    report.midlayers.reduce((n, m) => n + f(m), 0);
  const succeeded = sum((c) => c.succeeded);
  const failed = sum((c) => c.failed);
  const lone = report.workloads.filter((w) => (shared.get(w.name)?.writers ?? 0) < 2);
  const judged = sharedDiskFindings(report, disks, shared, guest);
  return {
    submitted: sum((c) => c.submitted),
    completed: succeeded + failed,
    succeeded,
    failed,
    retried: mid((m) => m.resetRetries),
    duplicateCompletions: mid((m) => m.duplicateCompletions),
    lostAckedWrites: lostAckedWrites(lone, disks) + judged.lost,
    staleReads: judged.stale,
    workloads: report.workloads.length,
    finished: report.workloads.filter((w) => w.finished).length,
    scans: report.scans,
    diskErrors: report.workloads.reduce((n, w) => n + (disks.get(w.name)?.firedFailures() ?? 0), 0),
    outstandingSinceMs: report.workloads.flatMap((w) => w.outstandingSinceMs),
    atMs: report.atMs,
  };
}

/** The `io` section. */
export const vhbaReport: KindReport<
  ReadonlyMap<string, Disk>,
  VhbaGuestReport,
  Readonly<Record<string, IoStats>>
> = {
  section: 'io',
  observe: (guests, disks) => {
    const shared = sharedDisks(guests);
    const all = disks ?? new Map();
    return Object.fromEntries(
      Object.entries(guests).map(([g, r]) => [g, ioStats(r, all, shared, g)]),
    );
  },
  json: (io) => ({ guests: io, total: totalIo(Object.values(io)) }),
  settled: (io, config) => config.partitions.every((p) => storageSettled(io[p.name], p)),
};

// Whether a guest's storage work is over: every configured workload finished, and every vhba
// probed and scanned, each target answered (a scan still under way is not over).
function storageSettled(io: IoStats | undefined, p: Config['partitions'][number]): boolean {
  const vhbas = p.devices.filter((d) => d.channelType === 'vhba').length;
  const workloads = (p.workloads ?? []).filter((w) => w.kind === 'block').length;
  if (io === undefined) return vhbas === 0 && workloads === 0;
  const answered = io.scans.every((s) =>
    s.targets.every((t) => t.inquiry !== 'lost' && t.read !== 'lost'),
  );
  return io.finished >= workloads && io.scans.length >= vhbas && answered;
}
