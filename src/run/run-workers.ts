// A scenario in the worker runtime: one worker thread per partition on the real clock. The fault
// plan and the observation are the sim runtime's (faults.ts, observation.ts); this file only
// drives wall time: faults fire by wall time, or when a collected trace record meets their
// condition (traces are collected every COLLECT_MS, so a condition fires up to that much late).
// Faults do not wait for the launcher work they cause (a reboot's fresh worker takes about a
// second to load here), so the schedule keeps its times; a launcher failure surfaces at shutdown.
// The run lasts at most the scenario's time limit in wall time, counted from the moment every
// partition of the boot order has started (starting a worker is the runtime's cost, not the
// simulated system's); it ends earlier once quiescent. A fault's schedule counts from the same
// moment, but its record carries the trace's clock (the runtime's epoch), so the fault log, the
// trace and a failure share one origin (docs/report.md).

import { type InternalFailure, internalFailure } from '../base/failure.js';
import { bootOrder } from '../hypervisor/index.js';
import { KINDS } from '../kinds/index.js';
import type { TraceRecord } from '../partition/environment.js';
import type { HostView } from '../partition/partition-host.js';
import { traceHash } from '../runtime/sim/trace-hash.js';
import { WorkerRuntime } from '../runtime/workers/worker-runtime.js';
import type { LoadedScenario } from '../scenario/load.js';
import { FaultPlan } from './faults.js';
import { lifecycleStates, type Observation, observe, sectionOf } from './observation.js';
import type { RunResult } from './run-sim.js';
import type { RunWatch } from './watch.js';

/** How often traces are collected from the workers for fault conditions. */
export const COLLECT_MS = 10;
/** How often the run checks whether it may end before its time limit. */
const QUIET_CHECK_MS = 100;

/** Runs `loaded` in worker threads for `untilMs` of wall time. */
export async function runWorkers(
  loaded: LoadedScenario,
  seed: number,
  untilMs: number,
  watch: RunWatch = {},
): Promise<RunResult> {
  const { config, scenario } = loaded;
  const runtime = new WorkerRuntime(config, seed);
  const plan = new FaultPlan(scenario.faults, watch.onFault);
  const due = plan.timed();
  const trace: TraceRecord[] = [];
  let interrupted = false;
  // Records reach the watcher as they are collected: per partition in order, interleaved
  // across partitions as the collects return (the returned trace is sorted by time).
  const take = (records: readonly TraceRecord[]): void => {
    for (const record of records) {
      trace.push(record);
      watch.onRecord?.(record);
    }
  };
  let failure: InternalFailure | null = null;
  // A launcher failure (a worker that could not start) or a bug of this thread: the first one
  // is the run's failure, reported with what ran so far.
  const keep = (error: unknown): void => {
    failure ??= internalFailure(error, 'run', runtime.elapsedMs());
  };
  let t0 = runtime.elapsedMs();
  const elapsed = () => runtime.elapsedMs() - t0;
  try {
    try {
      const order = bootOrder(config);
      for (const [booted, name] of order.entries()) {
        if (watch.signal?.aborted === true) break;
        // Booting is the slow part of a large run (a worker loads every module): say how far.
        const progress = { atMs: 0, events: 0, records: 0, ...plan.firedCount() };
        watch.onProgress?.({ ...progress, booting: { booted, of: order.length } });
        await runtime.boot(name);
      }
      t0 = runtime.elapsedMs();
      failure = await drive();
    } catch (error) {
      failure = runtime.failure();
      keep(error);
    }
    const observation = await workerObservation(runtime, plan.healedAtMs());
    const runMs = elapsed();
    take(await runtime.collectTraces());
    failure ??= runtime.failure(); // one the last collect brought
    await runtime.shutdown().catch(keep);
    take(await runtime.collectTraces());
    trace.sort((a, b) => a.atMs - b.atMs);
    const events = trace.length;
    return {
      observation,
      trace,
      traceHash: traceHash(trace),
      faults: plan.log(),
      events,
      virtualMs: runMs,
      failure,
      interrupted,
    };
  } finally {
    await runtime.shutdown().catch(keep);
  }

  // Runs until the time limit, quiescence or a bug inside spar-sim (returned).
  async function drive(): Promise<InternalFailure | null> {
    let nextQuietCheck = QUIET_CHECK_MS;
    while (elapsed() < untilMs) {
      if (watch.signal?.aborted === true) {
        interrupted = true;
        break;
      }
      if (elapsed() >= nextQuietCheck) {
        nextQuietCheck = elapsed() + QUIET_CHECK_MS;
        if (plan.allFired() && (await quiescent(runtime, loaded))) break;
      }
      const records = await runtime.collectTraces();
      take(records);
      for (const record of records) {
        for (const { index, afterMs } of plan.onRecord(record)) {
          due.push({ atMs: elapsed() + afterMs, index });
        }
      }
      for (const d of due.filter((x) => x.atMs <= elapsed())) {
        due.splice(due.indexOf(d), 1);
        const { hypervisor, hardware } = runtime;
        plan.fire(d.index, runtime.elapsedMs(), hypervisor, hardware, runtime.channelFaultPorts());
      }
      const found = runtime.failure();
      if (found !== null) return found;
      watch.onProgress?.({
        atMs: elapsed(),
        events: trace.length,
        records: trace.length,
        ...plan.firedCount(),
      });
      const wait = Math.min(COLLECT_MS, Math.max(1, untilMs - elapsed()));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return null;
  }
}

/** The observation of a worker run now: every live worker's view (a hung one included). */
async function workerObservation(
  runtime: WorkerRuntime,
  faultsHealedAtMs: number | null,
): Promise<Observation> {
  const { config } = runtime;
  const views: Record<string, HostView | null> = {};
  for (const p of config.partitions)
    views[p.name] = (await runtime.control(p.name)?.view()) ?? null;
  const states = lifecycleStates(config, runtime.hypervisor);
  return observe(config, states, views, runtime.hardware, faultsHealedAtMs);
}

// The run may end early (real time is not cheap) once nothing more can happen: every partition
// runs, the command partition finished its bring-up and has nothing outstanding, and every device
// kind's work is over (its workloads, its ping flows). The sim runtime always runs to its limit.
async function quiescent(runtime: WorkerRuntime, loaded: LoadedScenario): Promise<boolean> {
  const states = lifecycleStates(loaded.config, runtime.hypervisor);
  if (Object.values(states).some((s) => s !== 'running')) return false;
  // Settling looks at no fault's healing: null.
  const o = await workerObservation(runtime, null);
  if (!o.cpOutcomes.some((e) => e.type === 'cp.bringUpDone')) return false;
  const sent = Object.values(o.cpContext?.sent ?? {});
  if (o.cpContext === null || sent.some((c) => c.resolution === 'pending')) return false;
  return KINDS.every(
    (k) => k.report?.settled?.(sectionOf(o, k.report.section), loaded.config) ?? true,
  );
}
