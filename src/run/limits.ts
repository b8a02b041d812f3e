// What a runtime can hold on this machine (issue 13, "limits"): a workers run gives every
// partition its own worker thread, and each thread loads the whole module graph into its own V8
// heap, so memory grows by tens of megabytes per partition. A scenario that needs more than the
// machine has is refused before any worker starts, with the numbers and the way out (the sim
// runtime), instead of swapping or being killed minutes later. The costs are measured by
// `npm run bench -- scale` (bench/scale.bench.ts); the table is in docs/performance.md
// ("Scale: guests per runtime").
//
// Choices:
// - The limit is the memory available now (`os.freemem()`, which on Linux is MemAvailable: free
//   memory plus what the kernel can reclaim), not the total: other programs' memory is not ours
//   to use, and a run that does not fit in what is available swaps or meets the OOM killer. The
//   price: the same scenario may be accepted on a quiet machine and refused on a busy one; the
//   reason says how much was available.
// - A container's memory limit (`process.constrainedMemory()`) caps both figures when it is lower.
// - The estimate is the main thread plus the measured peak per partition; disks and channels are
//   shared memory allocated once in the main thread and are inside the measured figures for the
//   benchmark's 1 MiB disks (larger disks come on top).
// - Threads are not limited: a worker is one thread (two when it loads TypeScript through tsx),
//   far below the kernel's thread limits at any size memory allows.

import os from 'node:os';
import type { Config } from '../hypervisor/index.js';

const MB = 1024 * 1024;

/**
 * Resident memory per partition of a workers run whose workers load the TypeScript sources
 * through tsx (each also carries tsx's loader thread), bytes: the largest growth of the peak
 * resident set per partition among the passing runs of docs/performance.md "Scale: guests per
 * runtime" (2, 8 and 16 guests: 63, 65 and 55 MB).
 */
export const WORKER_PARTITION_BYTES_SOURCE = 65 * MB;
/** The same when the workers load the build (`dist/`, JavaScript): 38, 41 and 36 MB there. */
export const WORKER_PARTITION_BYTES_BUILT = 41 * MB;
/** Resident memory of the main thread before the first worker starts, bytes (measured). */
export const MAIN_THREAD_BYTES = 120 * MB;
/**
 * The most guests a sim run of the scale scenario held, and its peak memory (docs/performance.md
 * "Scale"; 1000 guests ran into the sim's trace limit).
 */
export const SIM_MEASURED = { guests: 300, peakBytes: 1182 * MB } as const;

/** The machine a run is about to start on. */
export interface Machine {
  /** Physical memory (or the container's limit), bytes. */
  readonly totalMemBytes: number;
  /** Memory available to a new run now, bytes; the limit rests on it (see the header). */
  readonly freeMemBytes: number;
  /** CPUs this process may use. */
  readonly cores: number;
}

/** How the workers load spar-sim: TypeScript through tsx, or the build's JavaScript. */
export type WorkerCode = 'source' | 'built';

/** Whether a scenario fits the runtime, and if not, why (one line, for `spar: <file>: ...`). */
export type Capacity = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Bytes a workers run of `partitions` partitions needs at its peak (main thread included). */
export function workersBytesNeeded(partitions: number, code: WorkerCode): number {
  const perPartition =
    code === 'source' ? WORKER_PARTITION_BYTES_SOURCE : WORKER_PARTITION_BYTES_BUILT;
  return MAIN_THREAD_BYTES + partitions * perPartition;
}

/** The most partitions a workers run can hold in `freeMemBytes`. */
export function workersPartitionLimit(freeMemBytes: number, code: WorkerCode): number {
  const perPartition =
    code === 'source' ? WORKER_PARTITION_BYTES_SOURCE : WORKER_PARTITION_BYTES_BUILT;
  return Math.max(0, Math.floor((freeMemBytes - MAIN_THREAD_BYTES) / perPartition));
}

/** Whether `config` fits in `machine`'s available memory in the workers runtime. */
export function workersCapacity(
  config: Config,
  machine: Machine,
  code: WorkerCode = thisInstallCode(),
): Capacity {
  const partitions = config.partitions.length;
  const needed = workersBytesNeeded(partitions, code);
  if (needed <= machine.freeMemBytes) return { ok: true };
  const perPartition = (needed - MAIN_THREAD_BYTES) / partitions;
  const limit = workersPartitionLimit(machine.freeMemBytes, code);
  return {
    ok: false,
    reason:
      `${partitions} partitions need about ${gb(needed)} in the workers runtime ` +
      `(one worker thread each, ≈${Math.round(perPartition / MB)} MB each), more than the ` +
      `${gb(machine.freeMemBytes)} this machine has available (of ${gb(machine.totalMemBytes)}; ` +
      `at most ${limit} partitions fit); run it with --runtime sim, which held ` +
      `${SIM_MEASURED.guests} guests in ${gb(SIM_MEASURED.peakBytes)}`,
  };
}

/** This machine now: available and total memory (a container's limit caps both), CPUs. */
export function currentMachine(): Machine {
  const constrained = process.constrainedMemory?.() ?? 0;
  const capped = constrained > 0 && constrained < os.totalmem();
  const totalMemBytes = capped ? constrained : os.totalmem();
  const inContainer = capped ? constrained - process.memoryUsage.rss() : Number.POSITIVE_INFINITY;
  return {
    totalMemBytes,
    freeMemBytes: Math.max(0, Math.min(os.freemem(), inContainer)),
    cores: os.availableParallelism(),
  };
}

// Workers load what this module was loaded as: TypeScript through tsx when it is a `.ts` file
// (spawnWorker decides the same way from its caller's URL), JavaScript from a build otherwise.
function thisInstallCode(): WorkerCode {
  return /\.[cm]?tsx?$/.test(new URL(import.meta.url).pathname) ? 'source' : 'built';
}

// Gigabytes with one decimal (GiB, as `free -g` and os.totalmem count them).
function gb(bytes: number): string {
  return `${(bytes / (1024 * MB)).toFixed(1)} GB`;
}
