// Booting a configuration in the worker runtime: guests first (so their pollers run before the
// first command), then the command partition, which brings them up in real time. The control
// plane polls the command partition for its bring-up outcome.

import type { Config } from '../../hypervisor/index.js';
import type { TraceRecord } from '../../partition/environment.js';
import { WorkerRuntime, type PartitionControl } from './worker-runtime.js';

/** What a worker boot ended with. */
export interface WorkerBootOutcome {
  /** The command partition's `cp.bringUpDone` effect, or null if the deadline passed first. */
  readonly bringUpDone: { readonly ready: string[]; readonly failed: string[] } | null;
  /** Every trace record of every partition, by time. */
  readonly trace: readonly TraceRecord[];
  /** Actor states per partition at the end. */
  readonly snapshots: Readonly<Record<string, unknown>>;
  /** Each guest's sysfs view at the end, read through the control plane. */
  readonly sysfs: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly wallMs: number;
}

/** Boots `config` in one worker thread per partition; gives up after `deadlineMs` of wall time. */
export async function bootInWorkers(config: Config, seed: number, deadlineMs: number): Promise<WorkerBootOutcome> {
  const runtime = new WorkerRuntime(config, seed);
  const names = config.partitions.filter((p) => p.kind === 'guest' || p.kind === 'command');
  try {
    for (const p of names.filter((q) => q.kind === 'guest')) await runtime.boot(p.name);
    const cp = names.find((p) => p.kind === 'command');
    const bringUpDone = cp === undefined ? null : await awaitBringUp(await runtime.boot(cp.name), runtime, deadlineMs);
    const snapshots: Record<string, unknown> = {};
    const sysfs: Record<string, Record<string, string>> = {};
    for (const p of names) {
      snapshots[p.name] = await runtime.control(p.name).snapshot();
      sysfs[p.name] = await runtime.control(p.name).sysfs();
    }
    const wallMs = runtime.elapsedMs();
    return { bringUpDone, trace: await runtime.shutdown(), snapshots, sysfs, wallMs };
  } finally {
    await runtime.shutdown();
  }
}

// Polls the control plane (never channel data) for the bring-up outcome, every 20 ms.
async function awaitBringUp(cp: PartitionControl, runtime: WorkerRuntime, deadlineMs: number): Promise<WorkerBootOutcome['bringUpDone']> {
  while (runtime.elapsedMs() < deadlineMs) {
    const done = (await cp.outcomes()).find((o) => (o as { type: string }).type === 'cp.bringUpDone');
    if (done !== undefined) return done as WorkerBootOutcome['bringUpDone'];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}
