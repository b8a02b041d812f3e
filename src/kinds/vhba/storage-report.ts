// What a guest's storage stack reports of one boot (storage-stack.ts): plain data, as it crosses
// the worker boundary.

import type { BlockWorkloadContext } from '../../../machines/block-workload.logic.js';
import type { ScsiMidlayerContext } from '../../../machines/scsi-midlayer.logic.js';
import type { BlockOp } from '../../check/index.js';
import type { ResetTally } from './reset-ledger.js';
import type { VhbaScan } from './target-scan.js';

/** What a storage stack reports (plain data: it crosses the worker boundary). */
export interface StorageReport {
  readonly workloads: readonly {
    readonly name: string;
    readonly finished: boolean;
    readonly counts: BlockWorkloadContext['counts'];
    readonly lbas: BlockWorkloadContext['lbas'];
    /** The next version the workload would write: every version from here on is newer. */
    readonly nextVersion: number;
    /** When each request still unanswered was submitted (ms). */
    readonly outstandingSinceMs: readonly number[];
    /** Every request with its times, where several guests share the disk (else empty). */
    readonly history: readonly BlockOp[];
  }[];
  /** When the report was taken (ms): the end of the run. */
  readonly atMs: number;
  readonly midlayers: readonly ScsiMidlayerContext['counts'][];
  /** What each vhba's target scan found (target-scan.ts). */
  readonly scans: readonly VhbaScan[];
  /** Ended requests by the resets their commands took, counted below the midlayer (reset-ledger.ts). */
  readonly resets: ResetTally;
  /** Per live vhba: virthba's occupied pending slots and the midlayer's live requests, at the end. */
  readonly hbas: readonly HbaHeld[];
}

/** What a vhba holds at the end of a run: with no live request, virthba must hold no slot. */
export interface HbaHeld {
  readonly held: number;
  readonly live: number;
}
