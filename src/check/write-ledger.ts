// Write ledger: which blocks lost an acknowledged write (spar-protocol.md §4.2 "Guarantee to the
// guest (vhba)": no acknowledged write is lost across an IOSP outage). Fed the block workloads'
// per-LBA ledgers (machines/block-workload.logic.ts explains `acked` and `possible`) and the disk
// bytes read from outside every partition, so it judges the hardware, not what a guest believes.
//
// A block keeps its acknowledged write when it holds the acknowledged version or a later one that
// was written but not (yet) acknowledged: one of the ledger's `possible` versions, or any version
// from the ledger's `nextVersion` on (in the worker runtime the guest keeps writing while the
// disks are read after its ledger was taken).

import type { Result } from '../base/result.js';
import {
  type LbaMap,
  type LbaState,
  lbaEntries,
  versionsOf,
} from '../../machines/block-workload.logic.js';

/** One workload's write ledger: the disk it drives and what it wrote there. */
export interface WriteLedger {
  /** The disk's name (a block workload is named after its disk). */
  readonly name: string;
  /** Per-LBA acknowledged and possible versions. */
  readonly lbas: LbaMap;
  /** The next version the workload would write: every version from here on is newer. */
  readonly nextVersion: number;
}

/** A disk's blocks as they are, no injected failure applied (`Disk.inspect` is one). */
export interface BlockInspector {
  /** `count` blocks from `lba`; an error reads as a block holding no version. */
  inspect(lba: number, count: number): Result<Uint8Array, unknown>;
}

/**
 * True when a block holding `version` (null: torn, foreign or unreadable data) still keeps the
 * acknowledged write of `state`; always true for a block never acknowledged.
 */
export function keepsAckedWrite(
  state: LbaState,
  version: number | null,
  nextVersion: number,
): boolean {
  if (state.acked === 0 || version === state.acked) return true;
  return version !== null && (state.possible.includes(version) || version >= nextVersion);
}

/** The LBAs of `ledger` whose block on `disk` lost an acknowledged write, in LBA order. */
export function lostBlocks(ledger: WriteLedger, disk: BlockInspector): number[] {
  const lost: number[] = [];
  for (const [lba, state] of lbaEntries(ledger.lbas)) {
    if (state.acked === 0) continue;
    const block = disk.inspect(lba, 1);
    const version = block.ok ? versionsOf(block.value, lba) : null;
    if (!keepsAckedWrite(state, version, ledger.nextVersion)) lost.push(lba);
  }
  return lost;
}

/**
 * How many blocks of `ledgers` lost an acknowledged write on the disks of `disks` (by name); a
 * ledger whose disk is not there is skipped.
 */
export function lostAckedWrites(
  ledgers: readonly WriteLedger[],
  disks: ReadonlyMap<string, BlockInspector>,
): number {
  let lost = 0;
  for (const ledger of ledgers) {
    const disk = disks.get(ledger.name);
    if (disk !== undefined) lost += lostBlocks(ledger, disk).length;
  }
  return lost;
}

/** A workload's reads, as its own verification counted them. */
export interface ReadLedger {
  readonly counts: { readonly verifyFailures: number };
}

/**
 * Reads that returned data older than an acknowledged write. Only a disk's writer counts: a
 * workload's verification assumes it is its disk's only writer, so a reader's failures mean
 * nothing.
 */
export function staleReads(ledger: ReadLedger, writer: boolean): number {
  return writer ? ledger.counts.verifyFailures : 0;
}
