// Shared by disk.cross-thread.test.ts and its worker: what one simulated IOSP incarnation is
// given, what it reports, and the block contents each incarnation writes.

import type { DiskSpec } from '../disk.js';

/** `workerData` of one incarnation. */
export interface IncarnationData {
  readonly spec: DiskSpec;
  /** The disk memory, shared (not copied) by structured clone. */
  readonly memory: SharedArrayBuffer;
  /** 0 for the first IOSP, 1 after its crash, ... */
  readonly incarnation: number;
  /** The block the run planned to fail once. */
  readonly faultBlock: number;
}

/** What an incarnation saw, posted before it is terminated. */
export interface IncarnationReport {
  /** The message of a failed `Disk.attach` or of the failed write of its own block, or null. */
  readonly error: string | null;
  /** Per earlier incarnation: its block still holds what it wrote. */
  readonly earlierIntact: readonly boolean[];
  /** The code of the error reading the planned-fault block, or 'ok'. */
  readonly faultRead: string;
}

/** The block incarnation `n` writes at block `n`. */
export function incarnationBlock(n: number, blockSize: number): Uint8Array {
  return Uint8Array.from({ length: blockSize }, (_, i) => (i * 31 + n * 7 + 1) & 0xff);
}
