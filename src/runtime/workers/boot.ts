// Booting a configuration in the worker runtime: the hypervisor (this thread) allocates every
// channel and gives each partition worker only its own; the command partition brings the guests
// up in real time. The control plane polls the command partition for its bring-up outcome.

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Worker } from 'node:worker_threads';
import { allocateChannels, type Config } from '../../hypervisor/index.js';
import type { TraceRecord } from '../../partition/environment.js';
import { guestPlansFrom } from '../../../machines/command-partition.logic.js';
import type { partitionApi, PartitionWorkerData } from './partition.worker.js';
import { spawnWorker } from './spawn-worker.js';

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

type Api = Comlink.Remote<typeof partitionApi>;

/** Boots `config` in one worker thread per partition; gives up after `deadlineMs` of wall time. */
export async function bootInWorkers(config: Config, seed: number, deadlineMs: number): Promise<WorkerBootOutcome> {
  const channels = allocateChannels(config);
  const plans = guestPlansFrom(config, channels);
  const epochMs = performance.timeOrigin + performance.now();
  const started: { name: string; worker: Worker; api: Api }[] = [];
  try {
    for (const p of config.partitions.filter((q) => q.kind === 'guest' || q.kind === 'command')) {
      const workerData: PartitionWorkerData = {
        partition: p.name,
        kind: p.kind === 'command' ? 'command' : 'guest',
        channels: channels.forPartition(p.name),
        jiffyMs: config.jiffyMs,
        seed,
        epochMs,
        plans: p.kind === 'command' ? plans : [],
      };
      const worker = spawnWorker('./partition.worker', import.meta.url, { workerData });
      started.push({ name: p.name, worker, api: Comlink.wrap<typeof partitionApi>(nodeEndpoint(worker)) });
    }
    // Guests first, so their pollers run before the command partition sends its first command.
    const order = [...started].sort((a, b) => Number(a.name === cpName(config)) - Number(b.name === cpName(config)));
    for (const s of order) await s.api.start();
    const cp = started.find((s) => s.name === cpName(config));
    const bringUpDone = cp === undefined ? null : await awaitBringUp(cp.api, epochMs, deadlineMs);
    const trace: TraceRecord[] = [];
    const snapshots: Record<string, unknown> = {};
    const sysfs: Record<string, Record<string, string>> = {};
    for (const s of started) {
      await s.api.stop();
      trace.push(...(await s.api.drainTrace()));
      snapshots[s.name] = await s.api.snapshot();
      sysfs[s.name] = await s.api.sysfs();
    }
    trace.sort((a, b) => a.atMs - b.atMs);
    return { bringUpDone, trace, snapshots, sysfs, wallMs: performance.timeOrigin + performance.now() - epochMs };
  } finally {
    await Promise.all(started.map((s) => s.worker.terminate()));
  }
}

function cpName(config: Config): string {
  return config.partitions.find((p) => p.kind === 'command')?.name ?? '';
}

// Polls the control plane (never channel data) for the bring-up outcome, every 20 ms.
async function awaitBringUp(api: Api, epochMs: number, deadlineMs: number): Promise<WorkerBootOutcome['bringUpDone']> {
  while (performance.timeOrigin + performance.now() - epochMs < deadlineMs) {
    const done = (await api.outcomes()).find((o) => (o as { type: string }).type === 'cp.bringUpDone');
    if (done !== undefined) return done as WorkerBootOutcome['bringUpDone'];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}
