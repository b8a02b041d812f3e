// Disks several guests drive (spar-protocol.md §4.2 "Guarantee to the guest (vhba)"): their
// workloads' timed histories gathered across guests, judged by src/check's block register — each
// block a linearizable register, read back by every guest and, at the end, read off the disk.
// A disk with one writer keeps the write ledger (its workload's own per-LBA versions).

import { versionsOf } from '../../../machines/block-workload.logic.js';
import {
  type BlockHistory,
  registerFinalFindings,
  registerReadFindings,
} from '../../check/index.js';
import type { Disk } from './disk.js';
import type { VhbaGuestReport } from './guest.js';

/** Per disk name: the histories of every guest's workload on it, and its writers. */
export type SharedDisks = ReadonlyMap<
  string,
  {
    readonly histories: readonly BlockHistory[];
    /** Histories with at least one write. */
    readonly writers: number;
    /** The first of them (configuration order of the guests' reports): owns the lost blocks. */
    readonly firstWriter: string | null;
  }
>;

/** The histories of `guests`' workloads by disk (only disks with a recorded history appear). */
export function sharedDisks(guests: Readonly<Record<string, VhbaGuestReport | null>>): SharedDisks {
  const byDisk = new Map<string, BlockHistory[]>();
  for (const [g, r] of Object.entries(guests))
    for (const w of r?.workloads ?? []) {
      if (w.history.length === 0) continue;
      const list = byDisk.get(w.name) ?? [];
      list.push({ writer: g, ops: w.history });
      byDisk.set(w.name, list);
    }
  return new Map(
    [...byDisk].map(([disk, histories]) => {
      const writing = histories.filter((h) => h.ops.some((op) => op.op === 'write'));
      return [
        disk,
        { histories, writers: writing.length, firstWriter: writing[0]?.writer ?? null },
      ];
    }),
  );
}

/**
 * What the register finds for `guest` on the shared disks of `report`: its reads that broke it
 * (`stale`), and on a disk several guests write, the blocks that lost an acknowledged write when
 * `guest` is that disk's first writer (`lost`).
 */
export function sharedDiskFindings(
  report: VhbaGuestReport,
  disks: ReadonlyMap<string, Disk>,
  shared: SharedDisks,
  guest: string,
): { readonly lost: number; readonly stale: number } {
  let lost = 0;
  let stale = 0;
  for (const w of report.workloads) {
    const s = shared.get(w.name);
    if (s === undefined) continue;
    stale += registerReadFindings(s.histories).filter((f) => f.reader === guest).length;
    const disk = disks.get(w.name);
    if (s.writers < 2 || s.firstWriter !== guest || disk === undefined) continue;
    lost += registerFinalFindings(s.histories, (lba) => versionAt(disk, lba)).length;
  }
  return { lost, stale };
}

// The version block `lba` of `disk` holds (null: torn, foreign or unreadable).
function versionAt(disk: Disk, lba: number): number | null {
  const block = disk.inspect(lba, 1);
  return block.ok ? versionsOf(block.value, lba) : null;
}
