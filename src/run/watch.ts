// What a watcher of a run (`spar run`) is told while it runs, in either runtime: each trace record
// as it is made (sim) or collected (workers), each fault as it fires, progress, and an abort
// signal (Ctrl-C). Watching never changes a run: the sim runs the same events in the same order.

import type { TraceRecord } from '../partition/environment.js';
import type { FaultRecord } from './faults.js';

/** Progress of a run so far. */
export interface RunProgress {
  /** Run time reached: virtual ms in sim, wall ms since boot in workers. */
  readonly atMs: number;
  /** Scheduler events run (sim) or trace records collected (workers). */
  readonly events: number;
  readonly records: number;
  readonly faultsFired: number;
  readonly faultsTotal: number;
  /** While a workers run boots its partitions (one worker each, in boot order): how far. */
  readonly booting?: { readonly booted: number; readonly of: number };
}

/** Hooks a watcher gives a run; every one optional. */
export interface RunWatch {
  readonly onRecord?: (record: TraceRecord) => void;
  readonly onFault?: (fault: FaultRecord) => void;
  readonly onProgress?: (progress: RunProgress) => void;
  /** Aborting ends the run early: what ran is returned, marked interrupted, not judged. */
  readonly signal?: AbortSignal;
}
