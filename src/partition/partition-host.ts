// What every partition host offers its runtime (DESIGN "partition/"): the sim runtime calls these
// directly, the worker runtime through comlink. One interface, so one hypervisor model drives
// both runtimes (boot = construct + start, crash = stop and forget, reboot = a fresh host on the
// same channel memory).

import type { CommandPartitionContext, GuestPlan } from '../../machines/command-partition.logic.js';
import type { ChannelRecord, Config, CpNotice } from '../hypervisor/index.js';
import type {
  CommandHostOptions,
  CommandPartitionOutcome,
  HypervisorRequest,
} from './command-host.js';
import type { Environment } from './environment.js';

/** Monotonic counters of one partition host since it started; names are stable keys. */
export type HostCounters = Readonly<Record<string, number>>;

/** What the run's judge reads of a host at the end: plain data (it crosses the worker boundary). */
export interface HostView {
  /** The state value of each actor, by systemId. */
  readonly snapshot: Record<string, unknown>;
  /** The sysfs view (§3.8), path → contents; empty without visorbus. */
  readonly sysfs: Record<string, string>;
  /** Each device kind's part of the report (a guest's stacks), by kind name. */
  readonly reports: Readonly<Record<string, unknown>>;
  /** The command partition's outcomes (`cp.*` effects, in order) and ledger; null elsewhere. */
  readonly command: {
    readonly outcomes: readonly CommandPartitionOutcome[];
    readonly context: CommandPartitionContext;
  } | null;
}

/**
 * A partition host: one partition's actors wired to its channels. Every kind of host offers the
 * whole interface (a request another kind of partition has no use for does nothing), so the
 * runtimes never need to know which kind they hold.
 */
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
  /** Everything the run's judge reads of the host. */
  view(): HostView;
  /** The hypervisor reports an IOSP down or up (§4.1), a guest booted again; only the CP acts. */
  notify(event: CpNotice): void;
  /** The command partition's requests to the hypervisor since the last call ([] elsewhere). */
  takeRequests(): HypervisorRequest[];
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
  /** This partition's share of each device kind's hardware, by kind name (src/kinds). */
  readonly hardware: ReadonlyMap<string, unknown>;
  /** Heartbeat pages: an IOSP gets its own, the command partition every IOSP's (its watchdog's). */
  readonly heartbeats: ReadonlyMap<string, SharedArrayBuffer>;
  /** Performs a request of the command partition to the hypervisor at once (sim runtime). */
  readonly onHypervisorRequest?: (request: HypervisorRequest) => void;
  /**
   * Which boot of the partition this host is, from 1 (the hypervisor's count; omitted: 1). The
   * command partition's message handles carry it, so a reboot can tell its own replies from old ones.
   */
  readonly bootCount?: number;
  /** A guest's workload journal: memory that outlives its boots (vhba/workload-journal.ts). */
  readonly journal?: SharedArrayBuffer | undefined;
}
