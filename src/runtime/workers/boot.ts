// Booting a configuration in the worker runtime through its hypervisor, in the shared boot
// order: IOSPs, guests (so their pollers run before the first command), then the command
// partition, which brings them up in real time. The control plane polls the command partition
// for its bring-up outcome.

import { assert } from '../../base/assert.js';
import { bootOrder, type Config } from '../../hypervisor/index.js';
import type { TraceRecord } from '../../partition/environment.js';
import { WorkerRuntime } from './worker-runtime.js';

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
export async function bootInWorkers(
  config: Config,
  seed: number,
  deadlineMs: number,
): Promise<WorkerBootOutcome> {
  const runtime = new WorkerRuntime(config, seed);
  const hosted = config.partitions.filter((p) => p.kind === 'guest' || p.kind === 'command');
  try {
    for (const name of bootOrder(config)) await bootOrFail(runtime, name);
    const cp = config.partitions.find((p) => p.kind === 'command');
    assert(cp !== undefined, 'a validated configuration has one command partition');
    const bringUpDone = await awaitBringUp(runtime, cp.name, deadlineMs);
    const snapshots: Record<string, unknown> = {};
    const sysfs: Record<string, Record<string, string>> = {};
    for (const p of hosted) {
      const control = runtime.control(p.name);
      assert(control !== undefined, `${p.name}: a booted partition has a worker`);
      const view = await control.view();
      snapshots[p.name] = view.snapshot;
      sysfs[p.name] = view.sysfs;
    }
    const wallMs = runtime.elapsedMs();
    return { bringUpDone, trace: await runtime.shutdown(), snapshots, sysfs, wallMs };
  } finally {
    await runtime.shutdown();
  }
}

async function bootOrFail(runtime: WorkerRuntime, name: string): Promise<void> {
  const booted = await runtime.boot(name);
  assert(booted.ok, `${name}: every partition of a fresh run is off, so its boot is allowed`);
}

// Polls the control plane (never channel data) for the bring-up outcome, every 20 ms.
async function awaitBringUp(
  runtime: WorkerRuntime,
  cp: string,
  deadlineMs: number,
): Promise<WorkerBootOutcome['bringUpDone']> {
  while (runtime.elapsedMs() < deadlineMs) {
    const outcomes = (await runtime.control(cp)?.view())?.command?.outcomes ?? [];
    const done = outcomes.find((o) => o.type === 'cp.bringUpDone');
    if (done?.type === 'cp.bringUpDone') return done;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}
