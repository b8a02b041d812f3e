// A scenario in the deterministic runtime: a pure function of (scenario, seed, time limit). Faults
// are events of the run's scheduler, so they take part in the seeded ordering of same-instant
// events like everything else; a condition's fault is scheduled from the trace record that meets
// it. What is shared with the worker runtime — the fault plan, the observation — is in faults.ts
// and observation.ts; this file only drives virtual time.

import type { InternalFailure } from '../base/failure.js';
import type { TraceRecord } from '../partition/environment.js';
import type { HostView } from '../partition/partition-host.js';
import { DEFAULT_EVENT_BUDGET, SimRun } from '../runtime/sim/index.js';
import type { LoadedScenario } from '../scenario/load.js';
import { type FaultRecord, FaultPlan } from './faults.js';
import { lifecycleStates, type Observation, observe } from './observation.js';
import type { RunProgress, RunWatch } from './watch.js';

/** What one run produced, before judging. */
export interface RunResult {
  readonly observation: Observation;
  readonly trace: readonly TraceRecord[];
  /** SHA-256 of the trace; computed when first read (a fuzz run never reads it). */
  readonly traceHash: string;
  readonly faults: readonly FaultRecord[];
  readonly events: number;
  readonly virtualMs: number;
  /** The bug inside spar-sim that ended the run early, if one did; null otherwise. */
  readonly failure: InternalFailure | null;
  /** True when a watcher's abort (Ctrl-C) ended the run early. */
  readonly interrupted: boolean;
}

/** Options of {@link runSim}. */
export interface RunSimOptions {
  /**
   * A sampler (properties/storage-recovery.property.ts): called at every whole virtual ms — 0, 1,
   * 2, … and last at `untilMs` — after every event due by then has run, with the run. It must
   * only read: the run is driven in 1 ms slices, which runs the same events in the same order
   * (same trace hash) as without it. Returning true ends the run at that instant, early.
   */
  readonly everyMs?: (run: SimRun) => boolean | undefined;
}

/** Runs `loaded` in the sim runtime until `untilMs` of virtual time. */
export function runSim(
  loaded: LoadedScenario,
  seed: number,
  untilMs: number,
  options: RunSimOptions = {},
): RunResult {
  const sim = startSim(loaded, seed, {});
  try {
    const summary =
      options.everyMs === undefined
        ? sim.run.runUntil(untilMs)
        : runSampled(sim.run, untilMs, options.everyMs);
    sim.events = summary.events;
  } catch (error) {
    sim.run.world.scheduler.fail(error, 'run'); // a bug outside any scheduled event
  }
  return sim.finish(false);
}

/**
 * {@link runSim} for a watcher (`spar run`): the same events in the same order — the run is
 * driven in slices of virtual time, which changes nothing (see RunSimOptions.everyMs) — giving
 * the event loop a turn every {@link YIELD_WALL_MS} of wall time, so output streams, progress is
 * drawn and an abort (Ctrl-C) ends the run between slices.
 */
export async function runSimWatched(
  loaded: LoadedScenario,
  seed: number,
  untilMs: number,
  watch: RunWatch,
  wallClock: () => number,
): Promise<RunResult> {
  const sim = startSim(loaded, seed, watch);
  let interrupted = false;
  try {
    let sliceMs = 1;
    for (let t = 0; ; ) {
      const started = wallClock();
      const slice = sim.run.runUntil(t, DEFAULT_EVENT_BUDGET - sim.events);
      sim.events += slice.events;
      watch.onProgress?.(sim.progress());
      if (slice.stoppedBy !== 'time') break; // failed, or out of its event budget
      if (t >= untilMs) break;
      // Slices sized to about YIELD_WALL_MS of wall time each, whatever the scenario's pace.
      const took = wallClock() - started;
      sliceMs =
        took < YIELD_WALL_MS / 2
          ? sliceMs * 2
          : took > YIELD_WALL_MS
            ? Math.max(1, sliceMs / 2)
            : sliceMs;
      t = Math.min(t + Math.round(sliceMs), untilMs);
      await new Promise((resolve) => setImmediate(resolve));
      if (watch.signal?.aborted === true) {
        interrupted = true;
        break;
      }
    }
  } catch (error) {
    sim.run.world.scheduler.fail(error, 'run');
  }
  return sim.finish(interrupted);
}

/** Wall time a watched sim run goes without giving the event loop a turn. */
const YIELD_WALL_MS = 50;

// What runSim and runSimWatched share: the run, its fault plan wired to the scheduler and the
// trace, and the result once driven.
function startSim(loaded: LoadedScenario, seed: number, watch: RunWatch) {
  const { config, scenario } = loaded;
  const run = new SimRun(config, seed);
  const plan = new FaultPlan(scenario.faults, watch.onFault);
  const ports = run.channelFaultPorts();
  const fire = (index: number) => () =>
    plan.fire(index, run.now(), run.hypervisor, run.hardware, ports);
  for (const { index, atMs } of plan.timed()) run.at(atMs, `fault/${index}`, fire(index));
  const stopWatching = run.world.onRecord((record) => {
    for (const { index, afterMs } of plan.onRecord(record)) {
      run.at(run.now() + afterMs, `fault/${index}`, fire(index));
    }
    watch.onRecord?.(record);
  });
  const sim = {
    run,
    events: 0,
    progress: (): RunProgress => ({
      atMs: run.now(),
      events: sim.events,
      records: run.trace.length,
      ...plan.firedCount(),
    }),
    finish(interrupted: boolean): RunResult {
      stopWatching();
      let hash: string | undefined;
      return {
        observation: simObservation(run, plan.healedAtMs()),
        trace: run.trace,
        get traceHash(): string {
          hash ??= run.traceHash();
          return hash;
        },
        faults: plan.log(),
        events: sim.events,
        virtualMs: run.now(),
        failure: run.failure ?? null,
        interrupted,
      };
    },
  };
  try {
    run.bootAll();
  } catch (error) {
    run.world.scheduler.fail(error, 'run'); // a boot: still a bug of ours, reported with what ran
  }
  return sim;
}

/** The observation of a sim run now: every live host's view (a hung one included). */
function simObservation(run: SimRun, faultsHealedAtMs: number | null): Observation {
  const { config } = run;
  const views: Record<string, HostView | null> = {};
  for (const p of config.partitions) views[p.name] = run.host(p.name)?.view() ?? null;
  const states = lifecycleStates(config, run.hypervisor);
  return observe(config, states, views, run.hardware, faultsHealedAtMs);
}

// runUntil in 1 ms slices with one event budget for the whole run, calling `everyMs` after each.
function runSampled(
  run: SimRun,
  untilMs: number,
  everyMs: (run: SimRun) => boolean | undefined,
): { events: number } {
  let events = 0;
  for (let t = 0; ; t = Math.min(t + 1, untilMs)) {
    const slice = run.runUntil(t, DEFAULT_EVENT_BUDGET - events);
    events += slice.events;
    if (slice.stoppedBy === 'failed') return { events }; // nothing to sample in a broken run
    if (everyMs(run) === true || slice.stoppedBy === 'event-budget' || t >= untilMs)
      return { events };
  }
}
