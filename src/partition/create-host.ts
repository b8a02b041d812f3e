// The one place a partition's host is made, for both runtimes (DESIGN: one partition host serves
// both): the sim launcher calls it in-thread, a partition worker calls it in its own thread.

import type { Disk } from '../devices/disk.js';
import {
  guestNetwork,
  guestWorkloads,
  type ChannelRecord,
  type Config,
  type PartitionConfig,
} from '../hypervisor/index.js';
import type { GuestPlan } from '../../machines/command-partition.logic.js';
import { CommandHost, type CommandHostOptions, type HypervisorRequest } from './command-host.js';
import { guestDriverSet } from './driver-set.js';
import type { Environment } from './environment.js';
import { GuestHost } from './guest-host.js';
import { IospHost } from './iosp-host.js';

/** Any partition host. */
export type AnyHost = CommandHost | GuestHost | IospHost;

/** What a host is made from. */
export interface HostContext {
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

/** A fresh host for `partition` on its channels (boot and every reboot). */
export function createHost(partition: PartitionConfig, ctx: HostContext): AnyHost {
  const { name } = partition;
  const { config, channels: mine, env } = ctx;
  if (partition.kind === 'command')
    return new CommandHost(
      name,
      mine,
      env,
      ctx.plans,
      ctx.commandOptions,
      ctx.heartbeats,
      ctx.onHypervisorRequest,
    );
  if (partition.kind === 'iosp')
    return new IospHost(
      name,
      mine,
      env,
      config,
      ctx.disks,
      config.jiffyMs,
      ctx.heartbeats.get(name),
      ctx.nicLinks.get(name),
    );
  return new GuestHost(
    name,
    mine,
    env,
    guestDriverSet(config, name),
    config.jiffyMs,
    config.quirks,
    guestWorkloads(config, name),
    guestNetwork(config, name),
  );
}
