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
import { CommandHost, defaultCommandHostOptions } from '../../partition/command-host.js';
import { guestDriverSet } from '../../partition/driver-set.js';
import type { TraceRecord } from '../../partition/environment.js';
import { GuestHost } from '../../partition/guest-host.js';
import type { GuestPlan } from '../../../machines/command-partition.logic.js';
import type { IospRecoveryEvent } from '../../../machines/iosp-recovery.machine.js';
import { WorkerEnvironment } from './worker-environment.js';

/** What the main thread hands a partition worker. */
export interface PartitionWorkerData {
  readonly partition: string;
  readonly kind: 'command' | 'guest';
  /** The run's configuration (plain data): the jiffy and, for a guest, its driver set. */
  readonly config: Config;
  /** Only this partition's channels (isolation). */
  readonly channels: readonly ChannelRecord[];
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
const env = new WorkerEnvironment(data.partition, Prng.root(data.seed), data.epochMs, (r) => trace.push(r));
const host =
  data.kind === 'command'
    ? new CommandHost(data.partition, data.channels, env, data.plans, defaultCommandHostOptions(data.config.jiffyMs))
    : new GuestHost(data.partition, data.channels, env, guestDriverSet(data.config, data.partition), data.config.jiffyMs, data.config.quirks);

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
