// What every partition host offers its runtime (DESIGN "partition/"): the sim runtime calls these
// directly, the worker runtime through comlink. One interface, so one hypervisor model drives
// both runtimes (boot = construct + start, crash = stop and forget, reboot = a fresh host on the
// same channel memory).

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
