// Booting a configuration in the deterministic runtime: every partition's host on one SimWorld,
// channels from the hypervisor model, the command partition bringing each guest up. A run is a
// pure function of (configuration, seed): the same inputs give the same trace hash.

import { assert } from '../../base/assert.js';
import { allocateChannels, type ChannelMap, type Config } from '../../hypervisor/index.js';
import { CommandHost, defaultCommandHostOptions } from '../../partition/command-host.js';
import { minimumDriverSet } from '../../partition/driver-set.js';
import { GuestHost } from '../../partition/guest-host.js';
import { guestPlansFrom } from '../../partition/guest-plans.js';
import type { RunSummary } from './scheduler.js';
import { SimWorld } from './sim-world.js';

/** What a simulated boot ended with. */
export interface SimBootOutcome {
  readonly summary: RunSummary;
  readonly traceHash: string;
  readonly commandPartition: CommandHost;
  readonly guests: ReadonlyMap<string, GuestHost>;
  readonly world: SimWorld;
  readonly channels: ChannelMap;
}


/** Boots `config` with `seed` and runs until `untilMs` of virtual time (bounded by an event budget). */
export function simulateBoot(config: Config, seed: number, untilMs: number, eventBudget = 2_000_000): SimBootOutcome {
  const world = new SimWorld({ seed });
  const channels = allocateChannels(config);
  const cpConfig = config.partitions.find((p) => p.kind === 'command');
  assert(cpConfig !== undefined, 'a validated configuration has one command partition');
  const guests = new Map<string, GuestHost>();
  for (const p of config.partitions.filter((q) => q.kind === 'guest')) {
    guests.set(p.name, new GuestHost(p.name, channels.forPartition(p.name), world.environment(p.name), minimumDriverSet(), config.jiffyMs));
  }
  const cp = new CommandHost(cpConfig.name, channels.forPartition(cpConfig.name), world.environment(cpConfig.name), guestPlansFrom(config, channels), defaultCommandHostOptions(config.jiffyMs));
  for (const guest of guests.values()) guest.start();
  cp.start();
  const summary = world.scheduler.runUntil(untilMs, eventBudget);
  return { summary, traceHash: world.traceHash(), commandPartition: cp, guests, world, channels };
}
