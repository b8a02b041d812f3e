// Heartbeat pages: one 8-byte word of hypervisor memory per IO service partition, which the IOSP
// bumps on every poll and the command partition's watchdog reads (issue: an IOSP hang is
// "detected by a watchdog in the command partition"). Choice: the reference describes no health
// channel between the CP and an IOSP; a hypervisor-provided counter is the least the watchdog
// needs, and it carries no data. It outlives the IOSP's incarnations like channel memory.

import type { Config } from './config.js';

/** One page per IOSP, zeroed. */
export function allocateHeartbeats(config: Config): ReadonlyMap<string, SharedArrayBuffer> {
  return new Map(
    config.partitions
      .filter((p) => p.kind === 'iosp')
      .map((p) => [p.name, new SharedArrayBuffer(8)]),
  );
}

/** The IOSP's side: one more beat. */
export function beat(page: SharedArrayBuffer): void {
  Atomics.add(new Int32Array(page), 0, 1);
}

/** The watchdog's side: the beats so far. */
export function readHeartbeat(page: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(page), 0);
}
