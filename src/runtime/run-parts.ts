// What both runtimes build a run from, and what each partition is given of it (DESIGN "one
// partition host, two runtimes"): the channels the hypervisor allocates, the device kinds'
// hardware, the IOSP heartbeat pages, and per partition only its own share of them. The sim
// runtime hands a share to a host in this thread; the worker runtime posts it to the partition's
// worker (every field is structured-cloneable: SharedArrayBuffers, maps and plain data).

import type { GuestPlan } from '../../machines/command-partition.logic.js';
import {
  allocateChannels,
  allocateHeartbeats,
  type ChannelMap,
  type ChannelRecord,
  type Config,
  type CpNotice,
  guestNotice,
  type Hypervisor,
  iospNotice,
  iospStatesNotice,
} from '../hypervisor/index.js';
import {
  allocateHardware,
  allocateJournals,
  hardwareShares,
  type RunHardware,
} from '../kinds/index.js';
import { guestDownNotices } from '../hypervisor/recovery-notices.js';
import { guestPlansFrom } from '../partition/guest-plans.js';

/** Everything a run allocates once: memory that outlives every partition boot. */
export interface RunParts {
  readonly config: Config;
  readonly channels: ChannelMap;
  /** Each device kind's hardware, by kind name (disks, NIC links). */
  readonly hardware: RunHardware;
  /** Heartbeat pages by IOSP (the command partition's watchdog reads them). */
  readonly heartbeats: ReadonlyMap<string, SharedArrayBuffer>;
  /** Each guest's workload journal, which outlives its boots as its own disk would. */
  readonly journals: ReadonlyMap<string, SharedArrayBuffer>;
}

/** Allocates the channels, hardware and heartbeats of `config`. */
export function allocateRun(config: Config): RunParts {
  const channels = allocateChannels(config);
  return {
    config,
    channels,
    hardware: allocateHardware(config),
    heartbeats: allocateHeartbeats(config),
    journals: allocateJournals(config),
  };
}

/** What one partition is given: its channels and its share of the hardware, nothing else. */
export interface PartitionShare {
  /** Only this partition's channels (isolation). */
  readonly channels: readonly ChannelRecord[];
  /** Its share of each kind's hardware, by kind name. */
  readonly hardware: ReadonlyMap<string, unknown>;
  /** Heartbeat pages: an IOSP gets its own, the command partition every IOSP's. */
  readonly heartbeats: ReadonlyMap<string, SharedArrayBuffer>;
  /** For the command partition: the guests to bring up. */
  readonly plans: readonly GuestPlan[];
  /** For a guest with block workloads: its journal, and no other guest's. */
  readonly journal: SharedArrayBuffer | undefined;
}

/** The share of partition `name`. */
export function partitionShare(parts: RunParts, name: string): PartitionShare {
  const { config, channels, hardware, heartbeats, journals } = parts;
  const command = config.partitions.find((p) => p.name === name)?.kind === 'command';
  return {
    channels: channels.forPartition(name),
    hardware: hardwareShares(hardware, config, name),
    heartbeats: new Map([...heartbeats].filter(([iosp]) => command || iosp === name)),
    plans: command ? guestPlansFrom(config, channels) : [],
    journal: journals.get(name),
  };
}

/**
 * Reports every IOSP up/down transition of `hypervisor` to the command partition through
 * `deliver` (recovery-notices.ts says which transitions count), every guest that booted again,
 * and every IOSP's state to a command partition running again after its first boot (its restart);
 * and every guest that went down to the IOSPs serving its device channels.
 */
export function reportIospTransitions(
  parts: RunParts,
  hypervisor: Hypervisor,
  deliver: (to: string, notice: CpNotice, partition: string) => void,
): void {
  const cp = parts.config.partitions.find((p) => p.kind === 'command')?.name;
  hypervisor.onTransition((name, state) => {
    const own = parts.channels.forPartition(name);
    for (const { iosp, notice } of guestDownNotices(parts.config, name, state, own))
      deliver(iosp, notice, name);
    if (cp === undefined) return;
    const notice = iospNotice(parts.config, name, state);
    if (notice !== null) deliver(cp, notice, name);
    const lifecycle = state === 'running' ? hypervisor.lifecycle(name) : null;
    const bootCount = lifecycle?.ok === true ? lifecycle.value.bootCount : 1;
    const rebooted = guestNotice(parts.config, name, state, bootCount);
    if (rebooted !== null) deliver(cp, rebooted, name);
    if (name !== cp || bootCount <= 1) return;
    const stateOf = (iosp: string) => {
      const s = hypervisor.state(iosp);
      return s.ok ? s.value : undefined;
    };
    deliver(cp, iospStatesNotice(parts.config, stateOf), cp);
  });
}
