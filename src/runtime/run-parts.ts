// What both runtimes build a run from, and what each partition is given of it (DESIGN "one
// partition host, two runtimes"): the channels the hypervisor allocates, the device kinds'
// hardware, the IOSP heartbeat pages, and per partition only its own share of them. The sim
// runtime hands a share to a host in this thread; the worker runtime posts it to the partition's
// worker (every field is structured-cloneable: SharedArrayBuffers, maps and plain data).

import type { GuestPlan } from '../../machines/command-partition.logic.js';
import type { IospRecoveryEvent } from '../../machines/iosp-recovery.machine.js';
import {
  allocateChannels,
  allocateHeartbeats,
  type ChannelMap,
  type ChannelRecord,
  type Config,
  type Hypervisor,
  iospNotice,
  iospStatesNotice,
} from '../hypervisor/index.js';
import { allocateHardware, hardwareShares, type RunHardware } from '../kinds/index.js';
import { guestPlansFrom } from '../partition/guest-plans.js';

/** Everything a run allocates once: memory that outlives every partition boot. */
export interface RunParts {
  readonly config: Config;
  readonly channels: ChannelMap;
  /** Each device kind's hardware, by kind name (disks, NIC links). */
  readonly hardware: RunHardware;
  /** Heartbeat pages by IOSP (the command partition's watchdog reads them). */
  readonly heartbeats: ReadonlyMap<string, SharedArrayBuffer>;
}

/** Allocates the channels, hardware and heartbeats of `config`. */
export function allocateRun(config: Config): RunParts {
  const channels = allocateChannels(config);
  return {
    config,
    channels,
    hardware: allocateHardware(config),
    heartbeats: allocateHeartbeats(config),
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
}

/** The share of partition `name`. */
export function partitionShare(parts: RunParts, name: string): PartitionShare {
  const { config, channels, hardware, heartbeats } = parts;
  const command = config.partitions.find((p) => p.name === name)?.kind === 'command';
  return {
    channels: channels.forPartition(name),
    hardware: hardwareShares(hardware, config, name),
    heartbeats: new Map([...heartbeats].filter(([iosp]) => command || iosp === name)),
    plans: command ? guestPlansFrom(config, channels) : [],
  };
}

/**
 * Reports every IOSP up/down transition of `hypervisor` to the command partition through
 * `deliver` (recovery-notices.ts says which transitions count), and every IOSP's state to a
 * command partition that is running again after its first boot (its restart recovery).
 */
export function reportIospTransitions(
  parts: RunParts,
  hypervisor: Hypervisor,
  deliver: (cp: string, notice: IospRecoveryEvent, iosp: string) => void,
): void {
  const cp = parts.config.partitions.find((p) => p.kind === 'command')?.name;
  hypervisor.onTransition((name, state) => {
    if (cp === undefined) return;
    const notice = iospNotice(parts.config, name, state);
    if (notice !== null) deliver(cp, notice, name);
    const boots = name === cp && state === 'running' ? hypervisor.lifecycle(cp) : null;
    if (boots?.ok !== true || boots.value.bootCount <= 1) return;
    const stateOf = (iosp: string) => {
      const s = hypervisor.state(iosp);
      return s.ok ? s.value : undefined;
    };
    deliver(cp, iospStatesNotice(parts.config, stateOf), cp);
  });
}
