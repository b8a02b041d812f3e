// A scenario in the worker runtime: one worker thread per partition on the real clock. Faults
// fire by wall time, or when a collected trace record matches their condition (traces are
// collected from the workers every COLLECT_MS, so a condition fires up to that much late).
// Faults do not wait for the launcher work they cause (a reboot's fresh worker takes about a second
// to load here), so the schedule keeps its times; a launcher failure surfaces at shutdown.
// The run lasts at most the scenario's time limit in wall time (it ends earlier once quiescent),
// counted from the moment every partition
// of the boot order has started: starting a worker (loading the TypeScript sources) takes about a
// second on a small machine, which is the runtime's cost, not the simulated system's. Fault times
// count from the same moment; trace times from the runtime's epoch.

import type { TraceRecord } from '../partition/environment.js';
import { bootOrder } from '../hypervisor/index.js';
import { traceHash } from '../runtime/sim/trace-hash.js';
import { WorkerRuntime } from '../runtime/workers/worker-runtime.js';
import type { LoadedScenario } from '../scenario/load.js';
import { ioAndNet } from './io-stats.js';
import { networkPlan } from '../hypervisor/index.js';
import type { GuestIoReport } from '../partition/guest-host.js';
import { applyFault, faultTarget, FaultConditions, type FaultRecord } from './faults.js';
import { lifecycleStates, type Observation } from './observation.js';
import type { RunResult } from './run-sim.js';

/** How often traces are collected from the workers for fault conditions. */
export const COLLECT_MS = 10;
/** How often the run checks whether it may end before its time limit. */
const QUIET_CHECK_MS = 100;

// The run may end early (real time is not cheap) once nothing more can happen: every fault has
// fired, every partition runs, the command partition finished its bring-up and has nothing
// outstanding, and every workload and ping flow finished. The sim runtime always runs to its limit.
async function quiescent(runtime: WorkerRuntime, loaded: LoadedScenario): Promise<boolean> {
  const states = lifecycleStates(loaded.config, runtime.hypervisor);
  if (Object.values(states).some((s) => s !== 'running')) return false;
  const o = await observe(runtime, loaded);
  if (!o.cpOutcomes.some((e) => e.type === 'cp.bringUpDone')) return false;
  if (
    o.cpContext === null ||
    Object.values(o.cpContext.sent).some((c) => c.resolution === 'pending')
  )
    return false;
  if (!Object.values(o.io).every((io) => io.finished === io.workloads)) return false;
  // Every configured ping flow exists and finished (a guest whose vnic is not up yet has none).
  const flows = networkPlan(loaded.config).flows;
  return Object.entries(o.net).every(
    ([g, n]) => n.stats.finishedFlows === flows.filter((f) => f.guest === g).length,
  );
}

/** Runs `loaded` in worker threads for `untilMs` of wall time. */
export async function runWorkers(
  loaded: LoadedScenario,
  seed: number,
  untilMs: number,
): Promise<RunResult> {
  const { config, scenario } = loaded;
  const runtime = new WorkerRuntime(config, seed);
  const faults: FaultRecord[] = scenario.faults.map((f, index) => ({
    index,
    action: f.action,
    partition: f.partition,
    atMs: null,
    refused: null,
  }));
  const due: { atMs: number; index: number }[] = scenario.faults.flatMap((f, index) =>
    f.at === undefined ? [] : [{ atMs: f.at, index }],
  );
  const conditions = new FaultConditions(scenario.faults);
  const trace: TraceRecord[] = [];
  try {
    for (const name of bootOrder(config)) await runtime.boot(name);
    const t0 = runtime.elapsedMs();
    const elapsed = () => runtime.elapsedMs() - t0;
    let nextQuietCheck = QUIET_CHECK_MS;
    while (elapsed() < untilMs) {
      if (elapsed() >= nextQuietCheck) {
        nextQuietCheck = elapsed() + QUIET_CHECK_MS;
        if (faults.every((f) => f.atMs !== null) && (await quiescent(runtime, loaded))) break;
      }
      for (const record of await runtime.collectTraces()) {
        trace.push(record);
        for (const { index, afterMs } of conditions.onRecord(record))
          due.push({ atMs: elapsed() + afterMs, index });
      }
      for (const d of due.filter((x) => x.atMs <= elapsed())) {
        due.splice(due.indexOf(d), 1);
        const fault = scenario.faults[d.index];
        if (fault === undefined) continue;
        const refused = applyFault(
          faultTarget(runtime.hypervisor, runtime.disks, runtime.nicLinks),
          fault,
        );
        faults[d.index] = { ...(faults[d.index] as FaultRecord), atMs: elapsed(), refused };
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(COLLECT_MS, Math.max(1, untilMs - elapsed()))),
      );
    }
    const observation = await observe(runtime, loaded);
    const runMs = elapsed();
    trace.push(...(await runtime.collectTraces()));
    await runtime.shutdown();
    trace.push(...(await runtime.collectTraces()));
    trace.sort((a, b) => a.atMs - b.atMs);
    return {
      observation,
      trace,
      traceHash: traceHash(trace),
      faults,
      events: trace.length,
      virtualMs: runMs,
    };
  } finally {
    await runtime.shutdown();
  }
}

async function observe(runtime: WorkerRuntime, loaded: LoadedScenario): Promise<Observation> {
  const { config } = loaded;
  const states = lifecycleStates(config, runtime.hypervisor);
  const cp = config.partitions.find((p) => p.kind === 'command');
  const cpControl =
    cp !== undefined && states[cp.name] === 'running' ? runtime.control(cp.name) : undefined;
  const guests: Record<string, Observation['guests'][string]> = {};
  const reports: [string, GuestIoReport | null][] = [];
  for (const p of config.partitions.filter((q) => q.kind === 'guest')) {
    const live = runtime.control(p.name);
    reports.push([p.name, live === undefined ? null : await live.io()]);
    const control = states[p.name] === 'running' ? runtime.control(p.name) : undefined;
    guests[p.name] = {
      snapshot:
        control === undefined ? null : ((await control.snapshot()) as Record<string, unknown>),
      sysfs: control === undefined ? null : await control.sysfs(),
    };
  }
  return {
    config,
    states,
    cpOutcomes: cpControl === undefined ? [] : ((await cpControl.outcomes()) as { type: string }[]),
    cpContext:
      cpControl === undefined ? null : ((await cpControl.cpContext()) as Observation['cpContext']),
    guests,
    ...ioAndNet(reports, runtime.disks),
  };
}
