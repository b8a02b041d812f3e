// A scenario in the deterministic runtime: a pure function of (scenario, seed, time limit).
// Faults are events of the run's scheduler, so they take part in the seeded ordering of
// same-instant events like everything else.

import type { TraceRecord } from '../partition/environment.js';
import { CommandHost } from '../partition/command-host.js';
import { GuestHost } from '../partition/guest-host.js';
import { ioAndNet } from './io-stats.js';
import { DEFAULT_EVENT_BUDGET, SimRun } from '../runtime/sim/index.js';
import type { LoadedScenario } from '../scenario/load.js';
import { applyFault, faultTarget, FaultConditions, type FaultRecord } from './faults.js';
import { lifecycleStates, type Observation } from './observation.js';

/** What one run produced, before judging. */
export interface RunResult {
  readonly observation: Observation;
  readonly trace: readonly TraceRecord[];
  /** SHA-256 of the trace; computed when first read (a fuzz run never reads it). */
  readonly traceHash: string;
  readonly faults: readonly FaultRecord[];
  readonly events: number;
  readonly virtualMs: number;
}

/** Options of {@link runSim}. */
export interface RunSimOptions {
  /**
   * A sampler (properties/storage-recovery.property.ts): called at every whole virtual ms — 0, 1,
   * 2, … and last at `untilMs` — after every event due by then has run, with the run. It must
   * only read: the run is driven in 1 ms slices, which runs the same events in the same order
   * (same trace hash) as without it. Returning true ends the run at that instant, early.
   */
  readonly everyMs?: (run: SimRun) => boolean | void;
}

/** Runs `loaded` in the sim runtime until `untilMs` of virtual time. */
export function runSim(
  loaded: LoadedScenario,
  seed: number,
  untilMs: number,
  options: RunSimOptions = {},
): RunResult {
  const { config, scenario } = loaded;
  const run = new SimRun(config, seed);
  const faults: FaultRecord[] = scenario.faults.map((f, index) => ({
    index,
    action: f.action,
    partition: f.partition,
    atMs: null,
    refused: null,
  }));
  const fire = (index: number) => () => {
    const fault = scenario.faults[index];
    if (fault === undefined) return;
    faults[index] = {
      ...(faults[index] as FaultRecord),
      atMs: run.now(),
      refused: applyFault(faultTarget(run.hypervisor, run.disks, run.nicLinks), fault),
    };
  };
  scenario.faults.forEach((f, i) => {
    if (f.at !== undefined) run.at(f.at, `fault/${i}`, fire(i));
  });
  const conditions = new FaultConditions(scenario.faults);
  const stopWatching = run.world.onRecord((record) => {
    for (const { index, afterMs } of conditions.onRecord(record))
      run.at(run.now() + afterMs, `fault/${index}`, fire(index));
  });
  run.bootAll();
  const summary =
    options.everyMs === undefined
      ? run.runUntil(untilMs)
      : runSampled(run, untilMs, options.everyMs);
  stopWatching();
  let hash: string | undefined;
  return {
    observation: observe(run, loaded),
    trace: run.trace,
    get traceHash(): string {
      hash ??= run.traceHash();
      return hash;
    },
    faults,
    events: summary.events,
    virtualMs: run.now(),
  };
}

// runUntil in 1 ms slices with one event budget for the whole run, calling `everyMs` after each.
function runSampled(
  run: SimRun,
  untilMs: number,
  everyMs: (run: SimRun) => boolean | void,
): { events: number } {
  let events = 0;
  for (let t = 0; ; t = Math.min(t + 1, untilMs)) {
    const slice = run.runUntil(t, DEFAULT_EVENT_BUDGET - events);
    events += slice.events;
    if (everyMs(run) === true || slice.stoppedBy === 'event-budget' || t >= untilMs)
      return { events };
  }
}

function observe(run: SimRun, loaded: LoadedScenario): Observation {
  const { config } = loaded;
  const states = lifecycleStates(config, run.hypervisor);
  const cp = config.partitions.find((p) => p.kind === 'command');
  const cpHost = cp === undefined ? undefined : run.host(cp.name);
  const cpRunning = cpHost instanceof CommandHost && states[cp?.name ?? ''] === 'running';
  const guests: Observation['guests'] = Object.fromEntries(
    config.partitions
      .filter((p) => p.kind === 'guest')
      .map((p) => {
        const host = states[p.name] === 'running' ? run.host(p.name) : undefined;
        return [p.name, { snapshot: host?.snapshot() ?? null, sysfs: host?.sysfs() ?? null }];
      }),
  );
  return {
    config,
    states,
    cpOutcomes: cpRunning ? cpHost.outcomes : [],
    cpContext: cpRunning ? (cpHost.context() as Observation['cpContext']) : null,
    guests,
    ...ioAndNet(
      config.partitions
        .filter((p) => p.kind === 'guest')
        .map((p) => {
          const host = run.host(p.name);
          return [p.name, host instanceof GuestHost ? host.io() : null] as const;
        }),
      run.disks,
    ),
  };
}
