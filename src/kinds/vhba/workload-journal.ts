// A guest's workload journal: what each of its block workloads had acknowledged, kept where a
// guest crash cannot reach it (issue #14 item 3, "the guest's own writes checked after its
// reboot"; spar-protocol.md §4.2 "no acknowledged write is lost"). Not s-Par code: the
// application's journal on the guest's own system disk, which a real guest's next boot reads.
//
// Choice: the journal is a page of shared memory per guest with block workloads, allocated once
// per run beside the channels and the disks (src/runtime/run-parts.ts) and handed to every boot
// of that guest only, so it outlives the guest's crashes in both runtimes as a disk outlives an
// IOSP's. Each workload's ledger (`{lbas, nextVersion}`) is rewritten after every transition that
// changed it, so the journal holds the writes issued (as `possible`) before they can reach a disk;
// on a disk several guests share, so is its timed history (block-history.ts), which the block
// register judges every guest's reads by: a rebooted writer's earlier writes stay in it.
// Choice: two halves and an active-half word, so a boot killed mid-write (a worker terminated)
// leaves the previous whole copy; the new copy goes to the inactive half, then the word flips.

import type { AnyActorRef } from 'xstate';
import { assert } from '../../base/assert.js';
import type { Config } from '../../hypervisor/config.js';
import type { LbaMap, RecoveredLedger } from '../../../machines/block-workload.types.js';
import type { BlockOp } from '../../check/index.js';
import type { BlockHistoryRecorder } from './block-history.js';
import { guestWorkloads } from './hardware.js';

const ENCODER = new TextEncoder();

/** Journal bytes per disk block a workload may touch: one LBA's JSON with a few versions. */
export const JOURNAL_BYTES_PER_BLOCK = 256;
/** Journal bytes per request kept in a shared disk's history (one BlockOp's JSON, 8 blocks). */
const JOURNAL_BYTES_PER_OP = 256;
/** Boots whose histories one journal holds (each boot issues up to ops + blocks requests). */
const JOURNAL_BOOTS = 16;
/** Bytes of the header: the active half, then each half's length in bytes (Int32 words). */
const HEADER_BYTES = 16;
const WORD = { active: 0, length: 1 } as const;

/** A page per guest with block workloads, by guest name, zeroed (an empty journal). */
export function allocateJournals(config: Config): ReadonlyMap<string, SharedArrayBuffer> {
  const journals = new Map<string, SharedArrayBuffer>();
  for (const p of config.partitions.filter((q) => q.kind === 'guest')) {
    const workloads = guestWorkloads(config, p.name);
    if (workloads.length === 0) continue;
    const blocks = workloads.reduce((sum, w) => sum + w.blocks, 0);
    const requests = workloads.reduce((sum, w) => sum + w.ops + w.blocks, 0);
    const historyBytes = JOURNAL_BOOTS * requests * JOURNAL_BYTES_PER_OP;
    const halfBytes = 4096 + blocks * JOURNAL_BYTES_PER_BLOCK + historyBytes;
    journals.set(p.name, new SharedArrayBuffer(HEADER_BYTES + 2 * halfBytes));
  }
  return journals;
}

/** The subset of a workload's context the journal keeps. */
type Ledger = { readonly lbas: LbaMap; readonly nextVersion: number };
/** One workload's journal entry: its ledger, and its history on a shared disk (else empty). */
type Entry = { readonly ledger: RecoveredLedger; readonly history: readonly BlockOp[] };

/** One guest boot's view of its journal: what the last boot left, and this boot's ledgers. */
export class WorkloadJournal {
  private readonly words: Int32Array;
  private readonly halfBytes: number;
  /** Every workload's entry as last written, by disk name (the previous boot's until replaced). */
  private readonly entries: Map<string, Entry>;

  constructor(private readonly buffer: SharedArrayBuffer) {
    assert(buffer.byteLength > HEADER_BYTES, 'a journal has room past its header');
    this.words = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.halfBytes = Math.floor((buffer.byteLength - HEADER_BYTES) / 2);
    this.entries = new Map(Object.entries(this.read()));
  }

  /** The workload input handing it the ledger `disk` left in an earlier boot, if it left one. */
  input(disk: string): { readonly recovered?: RecoveredLedger } {
    const recovered = this.entries.get(disk)?.ledger;
    return recovered === undefined ? {} : { recovered };
  }

  /** The history workload `disk` left in an earlier boot (empty: none, or an unshared disk). */
  history(disk: string): readonly BlockOp[] {
    return this.entries.get(disk)?.history ?? [];
  }

  /**
   * Keeps `actor`'s ledger (a block workload's) and `recorder`'s history for `disk` in the
   * journal: after each transition, since the recorder is told of a request before its workload.
   */
  follow(disk: string, actor: AnyActorRef, recorder: BlockHistoryRecorder): void {
    let last: Ledger | null = null;
    actor.subscribe({
      next: (snapshot: { context: Ledger }) => {
        const { lbas, nextVersion } = snapshot.context;
        if (last !== null && last.lbas === lbas && last.nextVersion === nextVersion) return;
        last = { lbas, nextVersion };
        this.entries.set(disk, { ledger: last, history: recorder.history() });
        this.write();
      },
      // An actor's error is the run's to report (a bug inside spar-sim, exit 3): an observer
      // without an error handler would make XState rethrow it as an uncaught exception.
      error: () => {},
    });
  }

  // The active half's JSON, or {} for a journal never written.
  private read(): Record<string, Entry> {
    const active = Atomics.load(this.words, WORD.active);
    const bytes = Atomics.load(this.words, WORD.length + active);
    if (bytes === 0) return {};
    const start = HEADER_BYTES + active * this.halfBytes;
    const text = new TextDecoder().decode(new Uint8Array(this.buffer, start, bytes).slice());
    return JSON.parse(text) as Record<string, Entry>;
  }

  // Writes every ledger into the inactive half, then makes it the active one.
  private write(): void {
    const encoded = ENCODER.encode(JSON.stringify(Object.fromEntries(this.entries)));
    assert(encoded.length <= this.halfBytes, `journal of ${encoded.length} B exceeds its half`);
    const next = 1 - Atomics.load(this.words, WORD.active);
    new Uint8Array(this.buffer, HEADER_BYTES + next * this.halfBytes).set(encoded);
    Atomics.store(this.words, WORD.length + next, encoded.length);
    Atomics.store(this.words, WORD.active, next);
  }
}
