// One partition in its own worker thread (DESIGN "runtime/workers"): the same partition host as
// in the sim runtime, on the real clock. Channel data moves only through the SharedArrayBuffers
// of `workerData.channels`; comlink carries the control plane (start, stop, view, notify,
// requests, counters, the trace and a failure). The worker runs one host for its whole life: a
// reboot is a fresh worker.

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort, workerData } from 'node:worker_threads';
import type { CpNotice } from '../../hypervisor/index.js';
import { assert } from '../../base/assert.js';
import type { InternalFailure } from '../../base/failure.js';
import { Prng } from '../../base/prng.js';
import type { Config } from '../../hypervisor/index.js';
import { defaultCommandHostOptions, type HypervisorRequest } from '../../partition/command-host.js';
import { createHost } from '../../partition/create-host.js';
import type { TraceRecord } from '../../partition/environment.js';
import type { HostView } from '../../partition/partition-host.js';
import type { PartitionShare } from '../run-parts.js';
import { WorkerEnvironment } from './worker-environment.js';

/** What a drain of a partition worker returns. */
export interface WorkerDrain {
  readonly records: TraceRecord[];
  readonly failure: InternalFailure | null;
}

/** What the main thread hands a partition worker: its share of the run (run-parts.ts). */
export interface PartitionWorkerData extends PartitionShare {
  readonly partition: string;
  /** The run's configuration (plain data). */
  readonly config: Config;
  readonly seed: number;
  /** Wall-clock ms at run start, shared by every worker so trace times line up. */
  readonly epochMs: number;
  /** Which boot of the partition this worker is, from 1 (the hypervisor's count). */
  readonly bootCount: number;
}

const data = workerData as PartitionWorkerData;
const port = parentPort;
assert(port !== null, 'partition.worker must run in a worker thread');

const trace: TraceRecord[] = [];
const env = new WorkerEnvironment(data.partition, Prng.root(data.seed), data.epochMs, (r) =>
  trace.push(r),
);
const partition = data.config.partitions.find((p) => p.name === data.partition);
assert(partition !== undefined, `${data.partition} is in the configuration it was given`);
const { channels, hardware, heartbeats, plans, config, bootCount, journal } = data;
const commandOptions = defaultCommandHostOptions(config.jiffyMs);
const host = createHost(partition, {
  config,
  channels,
  env,
  plans,
  commandOptions,
  hardware,
  heartbeats,
  bootCount,
  journal,
});

/** The control plane of one partition worker: the host's interface, as plain data. */
export const partitionApi = {
  start(): void {
    host.start();
  },
  stop(): void {
    host.stop();
  },
  /**
   * Trace records written since the last call (what a crash would lose), and the bug inside
   * spar-sim this partition hit, if any (Environment.fail): collected together, every tick.
   */
  drain(): WorkerDrain {
    return { records: trace.splice(0), failure: env.failure() };
  },
  /** Everything the run's judge reads of the host (a structured clone of plain data). */
  view(): HostView {
    return JSON.parse(JSON.stringify(host.view()));
  },
  /** The hypervisor reports an IOSP down or up (only the command partition acts on it). */
  notify(event: CpNotice): void {
    host.notify(event);
  },
  /** The command partition's requests to the hypervisor since the last call. */
  takeRequests(): HypervisorRequest[] {
    return host.takeRequests();
  },
  /** The host's counters. */
  counters(): Record<string, number> {
    return { ...host.counters() };
  },
};

Comlink.expose(partitionApi, nodeEndpoint(port));
