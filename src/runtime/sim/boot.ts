// Booting a configuration in the deterministic runtime: a SimRun whose hypervisor boots every
// partition (IOSPs, guests, then the command partition, which brings each guest up) and runs
// for a while. A run is a pure function of (configuration, seed): the same inputs give the same
// trace hash.

import { assert } from '../../base/assert.js';
import type { ChannelMap, Config } from '../../hypervisor/index.js';
import type { HostView, PartitionHost } from '../../partition/partition-host.js';
import type { RunSummary } from './scheduler.js';
import { DEFAULT_EVENT_BUDGET, SimRun } from './sim-run.js';
import type { SimWorld } from './sim-world.js';

/** What a simulated boot ended with. */
export interface SimBootOutcome {
  readonly summary: RunSummary;
  readonly traceHash: string;
  /** The command partition's end state (its outcomes and ledger in `command`). */
  readonly commandPartition: HostView;
  /** Each guest's host, still running. */
  readonly guests: ReadonlyMap<string, PartitionHost>;
  readonly world: SimWorld;
  readonly channels: ChannelMap;
  /** The run itself, to go on with it (crash, reboot, run further). */
  readonly run: SimRun;
}

/** Boots `config` with `seed` and runs until `untilMs` of virtual time (bounded by an event budget). */
export function simulateBoot(
  config: Config,
  seed: number,
  untilMs: number,
  eventBudget = DEFAULT_EVENT_BUDGET,
): SimBootOutcome {
  const run = new SimRun(config, seed);
  const booted = run.bootAll();
  assert(booted.ok, 'every partition of a fresh run is off, so every boot is allowed');
  const summary = run.runUntil(untilMs, eventBudget);
  const cpName = config.partitions.find((p) => p.kind === 'command')?.name ?? '';
  const cp = run.host(cpName)?.view();
  assert(cp?.command != null, 'a validated configuration has one command partition, now running');
  const guests = new Map<string, PartitionHost>();
  for (const p of config.partitions.filter((q) => q.kind === 'guest')) {
    const host = run.host(p.name);
    assert(host !== undefined, `${p.name}: a booted guest has a host`);
    guests.set(p.name, host);
  }
  return {
    summary,
    traceHash: run.traceHash(),
    commandPartition: cp,
    guests,
    world: run.world,
    channels: run.channels,
    run,
  };
}
