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
  const ctx: HostContext = { ...shared, partition: partition.name };
  if (partition.kind === 'command') return new CommandHost(ctx);
  if (partition.kind === 'iosp') return new IospHost(ctx);
  return new GuestHost(ctx);
}
