// One partition in its own worker thread (DESIGN "runtime/workers"): the same partition host as
// in the sim runtime, on the real clock. Channel data moves only through the SharedArrayBuffers
// of `workerData.channels`; comlink carries the control plane (start, stop, snapshot, counters,
// sysfs, trace). The worker runs one host for its whole life: a reboot is a fresh worker.

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../base/assert.js';
import { Prng } from '../../base/prng.js';
import type { ChannelRecord, Config } from '../../hypervisor/index.js';
import { Disk, type DiskSpec } from '../../devices/disk.js';
import {
  CommandHost,
  defaultCommandHostOptions,
  type HypervisorRequest,
} from '../../partition/command-host.js';
import { createHost } from '../../partition/create-host.js';
import type { TraceRecord } from '../../partition/environment.js';
import { GuestHost, type GuestIoReport } from '../../partition/guest-host.js';
import type { GuestPlan } from '../../../machines/command-partition.logic.js';
import type { IospRecoveryEvent } from '../../../machines/iosp-recovery.machine.js';
import { WorkerEnvironment } from './worker-environment.js';

/** What the main thread hands a partition worker. */
export interface PartitionWorkerData {
  readonly partition: string;
  /** The run's configuration (plain data). */
  readonly config: Config;
  /** Only this partition's channels (isolation). */
  readonly channels: readonly ChannelRecord[];
  /** Heartbeat pages: an IOSP gets its own, the command partition every IOSP's. */
  readonly heartbeats: readonly (readonly [string, SharedArrayBuffer])[];
  /** NIC link pages: an IOSP gets its own (its NICs' words), nobody else any. */
  readonly nicLinks: readonly (readonly [string, SharedArrayBuffer])[];
  /** For an IOSP: the disks it owns, as shared memory (hardware outlives the worker). */
  readonly disks: readonly { readonly spec: DiskSpec; readonly memory: SharedArrayBuffer }[];
  readonly seed: number;
  /** Wall-clock ms at run start, shared by every worker so trace times line up. */
  readonly epochMs: number;
  /** For the command partition: the guests to bring up. */
  readonly plans: readonly GuestPlan[];
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
const disks = new Map(
  data.disks.map(({ spec, memory }) => {
    const disk = Disk.attach(spec, memory);
    assert(disk.ok, `${spec.name}: the run's disk memory attaches`);
    return [spec.name, disk.value] as const;
  }),
);
const commandOptions = defaultCommandHostOptions(data.config.jiffyMs);
const heartbeats = new Map(data.heartbeats);
const nicLinks = new Map(data.nicLinks);
const host = createHost(partition, {
  config: data.config,
  channels: data.channels,
  env,
  plans: data.plans,
  commandOptions,
  disks,
  heartbeats,
  nicLinks,
});

/** The control plane of one partition worker. */
export const partitionApi = {
  start(): void {
    host.start();
  },
  stop(): void {
    host.stop();
  },
  /** Trace records written since the last call (what a crash would lose). */
  drainTrace(): TraceRecord[] {
    return trace.splice(0);
  },
  /** The command partition's outcome effects (`cp.*`), or [] for a guest. */
  outcomes(): unknown[] {
    return host instanceof CommandHost ? JSON.parse(JSON.stringify(host.outcomes)) : [];
  },
  /** The hypervisor reports an IOSP down or up to the command partition (ignored by a guest). */
  notify(event: IospRecoveryEvent): void {
    if (host instanceof CommandHost) host.notify(event);
  },
  /** A guest's storage ledgers (null for other partitions). */
  io(): GuestIoReport | null {
    return host instanceof GuestHost ? JSON.parse(JSON.stringify(host.io())) : null;
  },
  /** The command partition's requests to the hypervisor since the last call ([] for others). */
  takeRequests(): HypervisorRequest[] {
    return host instanceof CommandHost ? host.takeRequests() : [];
  },
  /** The command partition's machine context (its ledger of sent commands); null for a guest. */
  cpContext(): unknown {
    return host instanceof CommandHost ? JSON.parse(JSON.stringify(host.context())) : null;
  },
  /** The guest's sysfs view (§3.8), path → contents; {} for the command partition. */
  sysfs(): Record<string, string> {
    return host instanceof GuestHost ? host.sysfs() : {};
  },
  /** Actor states by systemId. */
  snapshot(): unknown {
    return JSON.parse(JSON.stringify(host.snapshot()));
  },
  /** The host's counters. */
  counters(): Record<string, number> {
    return { ...host.counters() };
  },
};

Comlink.expose(partitionApi, nodeEndpoint(port));
