// The worker runtime's PartitionLauncher (DESIGN "runtime/workers"; hypervisor/hypervisor.ts):
// what the hypervisor's lifecycle requests mean when each partition has its own worker thread.
// A boot or reboot spawns a fresh worker holding only this partition's channel records — the
// same SharedArrayBuffers every time, so the memory outlives the partition like the hardware
// does; a hang stops the host inside the worker but keeps the worker alive (it still answers
// the control plane: "alive but making no progress").
//
// Choices:
// - Crash = `worker.terminate()` at once, nothing asked of the worker first. Its trace records
//   not yet drained are lost, as a crashed machine's in-memory log is.
// - Reboot and shutdown are orderly: the host is stopped, its trace drained into the run's
//   trace, then the worker is terminated. (A reboot of a crashed partition stops nothing: the
//   lifecycle asks for no hostStop then, the worker is already gone.)
// - A start resolves once the host's start() returned in the worker (the hypervisor then counts
//   the partition as booted), and rejects if the worker dies or fails to load first.

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Worker } from 'node:worker_threads';
import { assert } from '../../base/assert.js';
import type {
  HostStopReason,
  LaunchResult,
  PartitionConfig,
  PartitionLauncher,
} from '../../hypervisor/index.js';
import { partitionShare, type RunParts } from '../run-parts.js';
import type { PartitionWorkerData, partitionApi, WorkerDrain } from './partition.worker.js';
import { spawnWorker } from './spawn-worker.js';

/** The control plane of one partition worker. */
export type PartitionControl = Comlink.Remote<typeof partitionApi>;

interface Running {
  readonly worker: Worker;
  readonly api: PartitionControl;
  /** True once hung: the host in the worker is already stopped. */
  hung: boolean;
  /** True once the worker died on its own (an uncaught error): nothing answers any more. */
  dead: boolean;
}

/** What a {@link WorkerLauncher} needs from its run. */
export interface WorkerLauncherOptions {
  /** The run's channels, hardware and heartbeats; each worker gets its partition's share. */
  readonly parts: RunParts;
  /** The run's root seed; each worker derives its partition's streams from it. */
  readonly seed: number;
  /** Wall-clock ms at run start, shared by every worker so trace times line up. */
  readonly epochMs: number;
  /** Receives what is drained from a worker stopped in an orderly way. */
  readonly collect: (drained: WorkerDrain) => void;
  /** A worker died of an error nothing inside it caught: a bug inside spar-sim. */
  readonly fail: (error: unknown, where: string) => void;
}

/** Launches one worker thread per partition host. */
export class WorkerLauncher implements PartitionLauncher {
  private readonly running = new Map<string, Running>();

  constructor(private readonly options: WorkerLauncherOptions) {}

  /** The control plane of `name`'s live worker (a hung one included), or undefined. */
  control(name: string): PartitionControl | undefined {
    const running = this.running.get(name);
    return running === undefined || running.dead ? undefined : running.api;
  }

  /** True while `name` has a live worker (hung included). */
  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  start(name: string, bootCount: number): LaunchResult {
    const partition = this.partition(name);
    assert(!this.running.has(name), `${name}: started again without being stopped`);
    const worker = spawnWorker('./partition.worker', import.meta.url, {
      workerData: this.workerData(partition, bootCount),
    });
    const api = Comlink.wrap<typeof partitionApi>(nodeEndpoint(worker));
    const running: Running = { worker, api, hung: false, dead: false };
    this.running.set(name, running);
    // A call to a dead worker would never be answered: mark it, so nothing waits on it.
    worker.once('error', (error) => {
      running.dead = true;
      this.options.fail(error, `${name}/worker`);
    });
    return startedOrDead(worker, api.start());
  }

  stop(name: string, reason: HostStopReason): LaunchResult {
    const running = this.running.get(name);
    assert(running !== undefined, `${name}: the lifecycle stops only workers it started`);
    this.running.delete(name);
    if (reason === 'crash' || running.dead) return terminated(running.worker);
    return this.stopOrderly(running);
  }

  hang(name: string): LaunchResult {
    const running = this.running.get(name);
    assert(running !== undefined && !running.hung, `${name}: only a live host can hang`);
    running.hung = true;
    return running.dead ? undefined : running.api.stop();
  }

  private async stopOrderly(running: Running): Promise<void> {
    if (!running.hung) await running.api.stop();
    this.options.collect(await running.api.drain());
    await terminated(running.worker);
  }

  private workerData(partition: PartitionConfig, bootCount: number): PartitionWorkerData {
    const { parts, seed, epochMs } = this.options;
    const share = partitionShare(parts, partition.name);
    const { config } = parts;
    return { ...share, partition: partition.name, config, seed, epochMs, bootCount };
  }

  private partition(name: string): PartitionConfig {
    const found = this.options.parts.config.partitions.find((p) => p.name === name);
    assert(found !== undefined, `${name}: the hypervisor launches configured partitions only`);
    return found;
  }
}

async function terminated(worker: Worker): Promise<void> {
  await worker.terminate();
}

// Resolves with `started`; rejects if the worker reports an error or exits first. The
// listeners go once it settles, so a later terminate() is not mistaken for a failed start.
function startedOrDead(worker: Worker, started: Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => settle(() => reject(error));
    const onExit = (code: number): void =>
      settle(() => reject(new Error(`partition worker exited (code ${code}) before it started`)));
    const settle = (then: () => void): void => {
      worker.off('error', onError);
      worker.off('exit', onExit);
      then();
    };
    worker.on('error', onError);
    worker.on('exit', onExit);
    started.then(
      () => settle(resolve),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
