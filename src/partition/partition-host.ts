// What every partition host offers its runtime (DESIGN "partition/"): the sim runtime calls these
// directly, the worker runtime through comlink. One interface, so one hypervisor model drives
// both runtimes (boot = construct + start, crash = stop and forget, reboot = a fresh host on the
// same channel memory).

import type { GuestPlan } from '../../machines/command-partition.logic.js';
import type { Disk } from '../devices/disk.js';
import type { ChannelRecord, Config } from '../hypervisor/index.js';
import type { CommandHostOptions, HypervisorRequest } from './command-host.js';
import type { Environment } from './environment.js';

/** Monotonic counters of one partition host since it started; names are stable keys. */
export type HostCounters = Readonly<Record<string, number>>;

/** A partition host: one partition's actors wired to its channels. */
export interface PartitionHost {
  /** The partition's name from the configuration. */
  readonly partition: string;
  /** Starts the actors and the polls. */
  start(): void;
  /** Stops every actor, poll and doorbell listener; channel memory is left as it is. */
  stop(): void;
  /** The state value of each actor, by systemId. Plain data. */
  snapshot(): Record<string, unknown>;
  /** Counters (polls, commands, responses, ...). */
  counters(): HostCounters;
  /** The sysfs view (§3.8), path → contents; empty for partitions without visorbus. */
  sysfs(): Record<string, string>;
}

/** What a host is made from (boot and every reboot), in either runtime. */
export interface HostContext {
  /** The partition's name. */
  readonly partition: string;
  readonly config: Config;
  /** Only this partition's channels (isolation). */
  readonly channels: readonly ChannelRecord[];
  readonly env: Environment;
  /** For the command partition: the guests to bring up (`guestPlansFrom`). */
  readonly plans: readonly GuestPlan[];
  readonly commandOptions: CommandHostOptions;
  /** The run's disks (hardware), by name. */
  readonly disks: ReadonlyMap<string, Disk>;
  /** Heartbeat pages by IOSP: an IOSP gets its own, the command partition all (the watchdog's). */
  readonly heartbeats: ReadonlyMap<string, SharedArrayBuffer>;
  /** NIC link pages by IOSP (hypervisor/nic-links.ts): an IOSP gets its own, nobody else any. */
  readonly nicLinks: ReadonlyMap<string, SharedArrayBuffer>;
  /** Performs a request of the command partition to the hypervisor at once (sim runtime). */
  readonly onHypervisorRequest?: (request: HypervisorRequest) => void;
}
