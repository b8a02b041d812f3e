// What the hypervisor tells the command partition about IO service partitions (spar-protocol.md
// §4.1: "the Command partition tells [the guest], per device"; it learns of the IOSP's failure
// from the hypervisor, which runs the partitions). Shared by both runtimes.
//
// Choice: a crash, a reboot or a shutdown is reported as down at once; running (the IOSP booted
// and re-initialised its channels, which its host does before it reports booted) as up. A hang is
// NOT reported: a hung IOSP looks alive to the hypervisor, and only a watchdog that sees it stop
// serving can tell. Reports reach the CP only while it runs; a CP that boots later starts with
// every IOSP taken as up; a CP that boots again (its boot count above 1) is told every IOSP's state
// at once (IOSP_STATES), since it missed the reports of its down time (its restart recovery).
// Choice: a guest that reaches running in a later boot (its boot count above 1) is reported too
// (GUEST_REBOOTED): the CP brings it up again (command-partition.guest-reboot.ts). Its crash is
// not reported: nothing the CP does for a guest waits on it.
// Choice: a guest going down (crashed, rebooting, shut down) is reported to every IOSP serving one
// of its device channels (GUEST_DOWN): what it had in flight for that guest's crashed boot
// (commands being served, posted receive buffers, queued responses) must never reach the next one
// (docs/choices.md "A guest's reboot").

import type { IospRecoveryEvent } from '../../machines/iosp-recovery.machine.js';
import type { PartitionLifecycleState } from '../../machines/partition-lifecycle.machine.js';
import type { ChannelRecord } from './allocation.js';
import type { Config } from './config.js';

/** A guest that booted again, as the hypervisor reports it to the command partition. */
export interface GuestRebootedNotice {
  readonly type: 'GUEST_REBOOTED';
  readonly guest: string;
}

/** A guest that went down, as the hypervisor reports it to the IOSPs serving its channels. */
export interface GuestDownNotice {
  readonly type: 'GUEST_DOWN';
  readonly guest: string;
}

/** Everything the hypervisor reports to a partition: all but GUEST_DOWN go to the CP. */
export type CpNotice = IospRecoveryEvent | GuestRebootedNotice | GuestDownNotice;

/** The report of guest `partition` reaching `state` in boot `bootCount` (from 1), or null. */
export function guestNotice(
  config: Config,
  partition: string,
  state: PartitionLifecycleState,
  bootCount: number,
): GuestRebootedNotice | null {
  if (config.partitions.find((p) => p.name === partition)?.kind !== 'guest') return null;
  return state === 'running' && bootCount > 1 ? { type: 'GUEST_REBOOTED', guest: partition } : null;
}

/**
 * The reports guest `partition` reaching `state` makes to the IOSPs serving its device channels
 * (`channels`, its own), one per IOSP: none unless it went down.
 */
export function guestDownNotices(
  config: Config,
  partition: string,
  state: PartitionLifecycleState,
  channels: readonly Pick<ChannelRecord, 'kind' | 'serverPartition'>[],
): { readonly iosp: string; readonly notice: GuestDownNotice }[] {
  if (config.partitions.find((p) => p.name === partition)?.kind !== 'guest') return [];
  if (!DOWN_STATES.includes(state)) return [];
  const iosps = new Set(channels.filter((c) => c.kind === 'device').map((c) => c.serverPartition));
  return [...iosps].map((iosp) => ({ iosp, notice: { type: 'GUEST_DOWN', guest: partition } }));
}

/** The states a partition is down in, as the hypervisor reports them. */
const DOWN_STATES: readonly PartitionLifecycleState[] = ['crashed', 'rebooting', 'shutDown'];

/** The report a lifecycle transition of `partition` makes to the CP, or null. */
export function iospNotice(
  config: Config,
  partition: string,
  state: PartitionLifecycleState,
): IospRecoveryEvent | null {
  if (config.partitions.find((p) => p.name === partition)?.kind !== 'iosp') return null;
  if (state === 'running') return { type: 'IOSP_UP', iosp: partition };
  if (DOWN_STATES.includes(state)) return { type: 'IOSP_DOWN', iosp: partition };
  return null;
}

/** The states the hypervisor reports as up: a hung IOSP looks alive to it. */
const UP_STATES: readonly (PartitionLifecycleState | undefined)[] = ['running', 'hung'];

/**
 * Every IOSP's state for a command partition that booted again (the reports of its down time are
 * lost with it): `up` while running or hung (a hang is never reported: only the watchdog can tell), else `down`
 * (crashed, rebooting, booting, shut down or never booted: its up report, if any, comes later).
 */
export function iospStatesNotice(
  config: Config,
  stateOf: (partition: string) => PartitionLifecycleState | undefined,
): IospRecoveryEvent {
  const iosps = config.partitions.filter((p) => p.kind === 'iosp').map((p) => p.name);
  const states = Object.fromEntries(
    iosps.map((iosp) => [
      iosp,
      UP_STATES.includes(stateOf(iosp)) ? ('up' as const) : ('down' as const),
    ]),
  );
  return { type: 'IOSP_STATES', states };
}
