// The block workload's context, events and effects (one workload per guest disk): what the host
// and the checkers (src/check's write ledger) read. The machine is block-workload.machine.ts; the
// request schedule, verification and data pattern are in block-workload.logic.ts.

import type { Ratio } from '../src/base/prng.js';

/** Machine input. */
export interface BlockWorkloadInput {
  readonly partition: string;
  /** Disk name, as in the systemId (`<partition>/block-workload:<name>`). */
  readonly name: string;
  /** Requests kept outstanding (≥ 1). */
  readonly queueDepth: number;
  /** Disk size in logical blocks (≥ 1). */
  readonly blocks: number;
  /** Logical block size in bytes (a multiple of 8). */
  readonly blockSize: number;
  /** Requests in total. */
  readonly ops: number;
  /** Probability that a request is a write. */
  readonly writeFraction: Ratio;
  /** Pre-drawn non-negative integers, read cyclically (three per request). */
  readonly seedWords: readonly number[];
  /** Longest request in blocks (default 8). */
  readonly maxBlocksPerRequest?: number;
  /**
   * The first version it writes (default 1) and the step between its versions (default 1): the
   * writers of one disk take disjoint versions (writer k of n: k + 1, step n), so every block
   * names the one write that put it there.
   */
  readonly firstVersion?: number;
  readonly versionStep?: number;
  /**
   * The ledger this workload kept in the guest's boot before a crash (the application's journal,
   * which survives it): the workload first reads back every block it had acknowledged, checks it
   * against that ledger, and writes on from its `nextVersion` (block-workload.recovery.ts).
   */
  readonly recovered?: RecoveredLedger;
}

/** A workload's ledger as its previous boot left it. */
export interface RecoveredLedger {
  readonly lbas: LbaMap;
  /** Every version from here on is newer than any it wrote before. */
  readonly nextVersion: number;
}

/** What the workload knows of one LBA (only LBAs ever written are stored). */
export interface LbaState {
  /** Last acknowledged version (0: never acknowledged). */
  readonly acked: number;
  /** Versions written since `acked`: in flight or failed, any of which the disk may hold. */
  readonly possible: readonly number[];
}

/** An outstanding request. */
export interface WorkloadRequest {
  readonly id: number;
  readonly op: 'read' | 'write';
  readonly lba: number;
  readonly blocks: number;
  /** The version a write writes; null for a read. */
  readonly version: number | null;
  /** Reads: per block, the versions the data may show. Writes: empty. */
  readonly allowed: readonly (readonly number[])[];
}

/** Results so far. */
export interface WorkloadCounts {
  readonly submitted: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly reads: number;
  readonly writes: number;
  /** Writes turned into reads because a write to their range was in flight. */
  readonly writesDeferredToReads: number;
  readonly verified: number;
  readonly verifyFailures: number;
  /** REQUEST_DONE for an id not outstanding (ignored). */
  readonly unknownDones: number;
  /** Reads back of the recovered ledger's blocks (also in `submitted` and `reads`, not in `ops`). */
  readonly recoveryReads: number;
}

/**
 * What the workload knows per LBA, in chunks: key `String(⌊lba / LBA_CHUNK⌋)` holds a dense
 * array of `LBA_CHUNK` (256) entries (null: never written). Choice: a flat record keyed by LBA is
 * copied whole on every write, and LBAs written in random order put it in V8's slow dictionary
 * mode (a copy of a few hundred entries cost ~30 µs, the largest single cost of a simulated
 * request); chunks copy one small dense array and a record of chunk numbers, and stay plain data.
 */
export type LbaMap = Readonly<Record<string, readonly (LbaState | null)[]>>;

/** Machine context: plain data. */
export interface BlockWorkloadContext {
  readonly partition: string;
  readonly name: string;
  readonly queueDepth: number;
  readonly blocks: number;
  readonly blockSize: number;
  readonly ops: number;
  readonly writeFraction: Ratio;
  readonly seedWords: readonly number[];
  readonly maxBlocksPerRequest: number;
  /** Requests issued so far; the next id. */
  readonly issued: number;
  /** Next index into `seedWords`. */
  readonly cursor: number;
  /** Next version to write (`firstVersion`, then every `versionStep`). */
  readonly nextVersion: number;
  readonly versionStep: number;
  /** LBAs of the recovered ledger still to read back, ascending (empty without one). */
  readonly toVerify: readonly number[];
  /** Outstanding requests, oldest first (at most queueDepth; searched by id, see the midlayer). */
  readonly inFlight: readonly WorkloadRequest[];
  /** Per-LBA state of every LBA ever written ({@link LbaMap}; read with `lbaEntries`). */
  readonly lbas: LbaMap;
  readonly counts: WorkloadCounts;
}

/** Events. */
export type BlockWorkloadEvent =
  | { readonly type: 'START' }
  /** The request's end; a successful read brings the bytes it read (`blocks × blockSize`). */
  | {
      readonly type: 'REQUEST_DONE';
      readonly id: number;
      readonly ok: boolean;
      readonly data?: Uint8Array;
    };

/** A read block that failed verification. */
export interface Mismatch {
  readonly lba: number;
  readonly got: number | null;
  readonly allowed: readonly number[];
}

/** Effects. */
export type BlockWorkloadEmitted =
  | {
      readonly type: 'workload.submit';
      readonly name: string;
      readonly id: number;
      readonly op: 'read' | 'write';
      readonly lba: number;
      readonly blocks: number;
      /** The disk's logical block size in bytes. */
      readonly blockSize: number;
      /** A write's version (block i holds `expectedBlock(lba + i, version, …)`); null: a read. */
      readonly version: number | null;
    }
  | {
      readonly type: 'workload.verified';
      readonly name: string;
      readonly id: number;
      readonly ok: true;
    }
  | {
      readonly type: 'workload.verified';
      readonly name: string;
      readonly id: number;
      readonly ok: false;
      /** The first block that failed. */
      readonly mismatch: Mismatch;
    }
  | {
      readonly type: 'workload.done';
      readonly name: string;
      readonly id: number;
      readonly ok: boolean;
    }
  | {
      readonly type: 'workload.finished';
      readonly name: string;
      readonly ops: number;
      readonly failed: number;
      readonly verifyFailures: number;
    };
