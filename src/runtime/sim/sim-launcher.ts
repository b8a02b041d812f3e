// The sim runtime's PartitionLauncher (DESIGN "runtime/sim"; hypervisor/hypervisor.ts): what the
// hypervisor's lifecycle requests mean when every partition runs in this thread. A boot or
// reboot constructs a fresh host on the partition's channel records — the same memory, so
// whatever the last host left in its channels survives — and starts it; a crash, reboot or
// shutdown stops the host and forgets it; a hang stops the host but keeps the object ("alive but
// making no progress": its state can still be inspected).
//
// Choices:
// - Every call finishes synchronously (returns void), so the hypervisor never makes a promise
//   in the sim runtime and a run stays a pure function of (configuration, seed).
// - Crash and orderly stop are the same here: the trace lives in the SimWorld, not in the host,
//   so a crash loses nothing of it (unlike a terminated worker).

import { assert } from '../../base/assert.js';
import type { PartitionConfig, PartitionLauncher } from '../../hypervisor/index.js';
import type { CommandHostOptions, HypervisorRequest } from '../../partition/command-host.js';
import { createHost } from '../../partition/create-host.js';
import type { PartitionHost } from '../../partition/partition-host.js';
import { partitionShare, type RunParts } from '../run-parts.js';
import type { SimWorld } from './sim-world.js';

/** A partition host the sim runtime runs. */
export type SimHost = PartitionHost;

interface HostEntry {
  readonly host: SimHost;
  /** True once the host was stopped by a hang: a later stop must not stop it twice. */
  stopped: boolean;
}

/** Launches partition hosts on one SimWorld. */
export class SimLauncher implements PartitionLauncher {
  private readonly hosts = new Map<string, HostEntry>();

  constructor(
    private readonly parts: RunParts,
    private readonly world: SimWorld,
    private readonly commandOptions: CommandHostOptions,
    private readonly onHypervisorRequest: (request: HypervisorRequest) => void,
  ) {}

  /** The current host of `name` (a hung one included), or undefined when it has none. */
  host(name: string): SimHost | undefined {
    return this.hosts.get(name)?.host;
  }

  start(name: string, bootCount: number): void {
    const partition = this.partition(name);
    assert(!this.hosts.has(name), `${name}: started again without being stopped`);
    const host = this.create(partition, bootCount);
    this.hosts.set(name, { host, stopped: false });
    host.start();
    assert(this.hosts.get(name)?.host === host, `${name}: the started host is the current one`);
  }

  stop(name: string): void {
    const entry = this.hosts.get(name);
    assert(entry !== undefined, `${name}: the lifecycle stops only hosts it started`);
    this.hosts.delete(name);
    if (!entry.stopped) entry.host.stop();
  }

  hang(name: string): void {
    const entry = this.hosts.get(name);
    assert(entry !== undefined && !entry.stopped, `${name}: only a live host can hang`);
    entry.stopped = true;
    entry.host.stop();
  }

  private create(partition: PartitionConfig, bootCount: number): SimHost {
    const { config } = this.parts;
    const share = partitionShare(this.parts, partition.name);
    const env = this.world.environment(partition.name);
    const { commandOptions, onHypervisorRequest } = this;
    const shared = { ...share, config, env, commandOptions, onHypervisorRequest, bootCount };
    return createHost(partition, shared);
  }

  private partition(name: string): PartitionConfig {
    const found = this.parts.config.partitions.find((p) => p.name === name);
    assert(found !== undefined, `${name}: the hypervisor launches configured partitions only`);
    return found;
  }
}
