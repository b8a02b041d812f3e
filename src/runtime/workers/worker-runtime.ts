// The worker runtime (DESIGN "runtime/workers"): the hypervisor in this thread allocates every
// channel, each partition runs in its own worker thread holding only its own channels, and
// comlink carries the control plane only. Crash = terminate the worker; reboot = a fresh worker
// on the same channel memory (the memory, like the hardware, outlives the partition).

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Worker } from 'node:worker_threads';
import { assert } from '../../base/assert.js';
import { allocateChannels, type ChannelMap, type Config, type PartitionConfig } from '../../hypervisor/index.js';
import type { TraceRecord } from '../../partition/environment.js';
import { guestPlansFrom } from '../../partition/guest-plans.js';
import type { partitionApi, PartitionWorkerData } from './partition.worker.js';
import { spawnWorker } from './spawn-worker.js';

/** The control plane of one partition worker. */
export type PartitionControl = Comlink.Remote<typeof partitionApi>;

interface Running {
  readonly worker: Worker;
  readonly api: PartitionControl;
}

/** One run of a configuration in worker threads. */
export class WorkerRuntime {
  readonly channels: ChannelMap;
  private readonly running = new Map<string, Running>();
  private readonly epochMs = performance.timeOrigin + performance.now();
  /** Trace records drained from partitions that were stopped or crashed. */
  private readonly collected: TraceRecord[] = [];

  constructor(
    readonly config: Config,
    readonly seed: number,
  ) {
    this.channels = allocateChannels(config);
  }

  /** Starts partition `name` in a fresh worker on its channels (boot or reboot). */
  async boot(name: string): Promise<PartitionControl> {
    assert(!this.running.has(name), `${name} is already running`);
    const partition = this.partition(name);
    const workerData: PartitionWorkerData = {
      partition: name,
      kind: partition.kind === 'command' ? 'command' : 'guest',
      channels: this.channels.forPartition(name),
      jiffyMs: this.config.jiffyMs,
      seed: this.seed,
      epochMs: this.epochMs,
      plans: partition.kind === 'command' ? guestPlansFrom(this.config, this.channels) : [],
    };
    const worker = spawnWorker('./partition.worker', import.meta.url, { workerData });
    const api = Comlink.wrap<typeof partitionApi>(nodeEndpoint(worker));
    this.running.set(name, { worker, api });
    await api.start();
    return api;
  }

  /** The control plane of a running partition. */
  control(name: string): PartitionControl {
    const running = this.running.get(name);
    assert(running !== undefined, `${name} is not running`);
    return running.api;
  }

  /** True while `name` has a live worker. */
  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** Crash: the worker is terminated at once; its channel memory stays as it was. */
  async crash(name: string): Promise<void> {
    const running = this.running.get(name);
    assert(running !== undefined, `${name} is not running`);
    this.running.delete(name);
    await running.worker.terminate();
  }

  /** Orderly stop of every partition: their traces are collected first. */
  async shutdown(): Promise<readonly TraceRecord[]> {
    for (const [name, running] of this.running) {
      await running.api.stop();
      this.collected.push(...(await running.api.drainTrace()));
      this.running.delete(name);
      await running.worker.terminate();
    }
    return [...this.collected].sort((a, b) => a.atMs - b.atMs);
  }

  /** Milliseconds since the run started. */
  elapsedMs(): number {
    return performance.timeOrigin + performance.now() - this.epochMs;
  }

  private partition(name: string): PartitionConfig {
    const found = this.config.partitions.find((p) => p.name === name);
    assert(found !== undefined, `no partition ${name} in the configuration`);
    assert(found.kind === 'command' || found.kind === 'guest', `${name}: ${found.kind} partitions run from a later issue`);
    return found;
  }
}
