// A block workload's timed history, as its storage stack saw it (the host's clock, which the
// machine has none of): what src/check's block register judges when several guests write one disk,
// and what the completion ledger reads for requests still unanswered at the end of a run
// (spar-protocol.md §4.2 "Guarantee to the guest (vhba)").

import { blockVersions } from '../../../machines/block-workload.logic.js';
import type { BlockOp } from '../../check/index.js';
import type { Config } from '../../hypervisor/config.js';
import type { GuestWorkload } from './hardware.js';

/** A guest's workload with how its disk is shared ({@link sharedWorkloads}). */
export type SharedWorkload = GuestWorkload & {
  readonly sharing: { readonly writer: WriterSlot; readonly withHistory: boolean };
};

/** `guest`'s workloads, each with its writer slot and whether its disk has other workloads. */
export function sharedWorkloads(
  config: Config,
  guest: string,
  workloads: readonly GuestWorkload[],
): SharedWorkload[] {
  return workloads.map((w) => ({
    ...w,
    sharing: {
      writer: writerSlot(config, w.disk, guest),
      withHistory: hasSeveralWorkloads(config, w.disk),
    },
  }));
}

/** Where a disk's writers take their versions from: writer `index` of `count`. */
export interface WriterSlot {
  readonly index: number;
  readonly count: number;
}

/**
 * The writers of `disk`: every guest with a block workload on it that writes (writeFraction > 0),
 * in configuration order, and `guest`'s place among them (index 0 of 1 when it is not one).
 */
export function writerSlot(config: Config, disk: string, guest: string): WriterSlot {
  const writers = config.partitions
    .filter((p) => (p.workloads ?? []).some((w) => isWriterOn(w, disk)))
    .map((p) => p.name);
  const index = writers.indexOf(guest);
  return index < 0 ? { index: 0, count: 1 } : { index, count: writers.length };
}

// A block workload on `disk` that writes.
function isWriterOn(w: { readonly kind: string }, disk: string): boolean {
  const block = w as { readonly kind: string; readonly disk?: string; writeFraction?: number };
  return block.kind === 'block' && block.disk === disk && (block.writeFraction ?? 0) > 0;
}

/** Whether `disk` is shared by more than one guest's block workload (readers included). */
export function hasSeveralWorkloads(config: Config, disk: string): boolean {
  const guests = config.partitions.filter((p) =>
    (p.workloads ?? []).some((w) => (w as { disk?: string }).disk === disk && w.kind === 'block'),
  );
  return guests.length > 1;
}

/**
 * One workload's history: each request from its submission to its answer. Only where several
 * guests share the disk (`withHistory`) are requests kept once answered, with what each read showed;
 * elsewhere only the outstanding ones, for their age.
 */
export class BlockHistoryRecorder {
  private readonly ops: BlockOp[];
  /** Each outstanding request by the workload's id: its submission and its index in `ops`. */
  private readonly open = new Map<number, { readonly startMs: number; readonly at: number }>();

  /** `prior`: the history the workload's earlier boots left (its journal), kept as it was. */
  constructor(
    private readonly blockSize: number,
    private readonly withHistory: boolean,
    prior: readonly BlockOp[] = [],
  ) {
    this.ops = withHistory ? [...prior] : [];
  }

  /** The workload submitted request `id` at `atMs`. */
  submitted(id: number, atMs: number, r: Pick<BlockOp, 'op' | 'lba' | 'blocks' | 'version'>): void {
    this.open.set(id, { startMs: atMs, at: this.withHistory ? this.ops.length : -1 });
    if (this.withHistory) this.ops.push({ ...r, startMs: atMs, endMs: null, ok: null, read: null });
  }

  /** Request `id` was answered at `atMs` (a good read with the bytes it read). */
  answered(id: number, atMs: number, ok: boolean, data: Uint8Array | undefined): void {
    const entry = this.open.get(id);
    if (entry === undefined) return; // not outstanding: the workload counts it (unknownDones)
    this.open.delete(id);
    const op = this.ops[entry.at];
    if (op === undefined) return;
    const read =
      ok && op.op === 'read' && data !== undefined
        ? blockVersions(data, op.lba, op.blocks, this.blockSize)
        : null;
    this.ops[entry.at] = { ...op, endMs: atMs, ok, read };
  }

  /** When each outstanding request was submitted (ms), in submission order. */
  outstandingSinceMs(): number[] {
    return [...this.open.values()].map((e) => e.startMs);
  }

  /** The history so far (plain data); empty unless `withHistory`. */
  history(): readonly BlockOp[] {
    return [...this.ops];
  }
}
