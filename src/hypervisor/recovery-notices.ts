// What the hypervisor tells the command partition about IO service partitions (spar-protocol.md
// §4.1: "the Command partition tells [the guest], per device"; it learns of the IOSP's failure
// from the hypervisor, which runs the partitions). Shared by both runtimes.
//
// Choice: a crash, a reboot or a shutdown is reported as down at once; running (the IOSP booted
// and re-initialised its channels, which its host does before it reports booted) as up. A hang is
// NOT reported: a hung IOSP looks alive to the hypervisor, and only a watchdog that sees it stop
// serving can tell. Reports reach the CP only while it runs; a CP that boots later starts with
// every IOSP taken as up.

import type { IospRecoveryEvent } from '../../machines/iosp-recovery.machine.js';
import type { PartitionLifecycleState } from '../../machines/partition-lifecycle.machine.js';
import type { Config } from './config.js';

/** The report a lifecycle transition of `partition` makes to the CP, or null. */
export function iospNotice(
  config: Config,
  partition: string,
  state: PartitionLifecycleState,
): IospRecoveryEvent | null {
  if (config.partitions.find((p) => p.name === partition)?.kind !== 'iosp') return null;
  if (state === 'running') return { type: 'IOSP_UP', iosp: partition };
  if (state === 'crashed' || state === 'rebooting' || state === 'shutDown')
    return { type: 'IOSP_DOWN', iosp: partition };
  return null;
}
