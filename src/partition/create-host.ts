// The one place a partition's host is made, for both runtimes (DESIGN: one partition host serves
// both): the sim launcher calls it in-thread, a partition worker calls it in its own thread.

import type { PartitionConfig } from '../hypervisor/index.js';
import { CommandHost } from './command-host.js';
import { GuestHost } from './guest-host.js';
import { IospHost } from './iosp-host.js';
import type { HostContext, PartitionHost } from './partition-host.js';

export type { HostContext } from './partition-host.js';

/** A fresh host for `partition` on its channels (boot and every reboot). */
export function createHost(
  partition: PartitionConfig,
  shared: Omit<HostContext, 'partition'>,
): PartitionHost {
  const { name } = partition;
  const ctx = { ...shared, partition: name };
  const { channels: mine, env } = ctx;
  if (partition.kind === 'command') {
    const { plans, commandOptions, heartbeats, onHypervisorRequest } = ctx;
    return new CommandHost(name, mine, env, plans, commandOptions, heartbeats, onHypervisorRequest);
  }
  if (partition.kind === 'iosp') {
    const heartbeat = ctx.heartbeats.get(name);
    return new IospHost({ ...ctx, ...(heartbeat === undefined ? {} : { heartbeat }) });
  }
  return new GuestHost(ctx);
}
