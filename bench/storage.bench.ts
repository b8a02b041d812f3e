// Storage benchmark (storage issue): what the storage path costs end to end, measured in one run
// and printed beside the issue's targets with the ratio measured/target. Four measurements:
//   (1) reboot-recovery seeds per second per core: complete sim-runtime runs per wall second of a
//       small recovery scenario (one guest, one IOSP, one disk, a 200-request workload, one IOSP
//       reboot during it), a different seed each run, on this one thread; (1b) beside it, what
//       `spar fuzz storage-recovery` does: runs per second of the storage-recovery property
//       (generated topologies, workloads and fault schedules, every promise checked);
//   (2) time compression: virtual ms over wall ms of the same scenario with the reboot down for
//       35 simulated seconds, in the sim runtime;
//   (3) end-to-end SCSI IOPS, worker runtime, one guest and one IOSP, queue depth 32, disk latency
//       0: completed requests per wall second from the workload's first submit to its
//       `workload.finished` (worker start-up and bring-up excluded);
//   (4) the bare channel ratios of the foundation benchmark, measured again in this run with
//       channel.bench.ts's own code: signal queue over MessagePort.postMessage, (4a) with the
//       real 64 slots and (4b) with 4096 (the first is the one that suffers on a busy machine).
// The scenarios are in storage-scenarios.ts, the results and their table in storage-report.ts.
// Every run is judged on its expectations (no lost writes, exactly-once completion, IO
// resumes...); a failed one fails the bench (exit 1) instead of printing a rate. Nothing here is
// tuned to reach a target: the numbers are what they are.
// Run with `npm run bench -- storage [--json]`; profile with bench/storage-profile.ts.

import os from 'node:os';
import { runCampaign } from '../src/fuzz/campaign.js';
import { judge } from '../src/run/expectations.js';
import type { SparProperty } from '../properties/registry.js';
import { storageRecovery } from '../properties/storage-recovery.property.js';
import type { Observation } from '../src/run/observation.js';
import { runSim } from '../src/run/run-sim.js';
import { runWorkers } from '../src/run/run-workers.js';
import type { LoadedScenario } from '../src/scenario/load.js';
import { formatRate, machineInfo, median } from './bench-report.js';
import {
  DeliveryCheckError,
  MEASURED_RUNS as CHANNEL_RUNS,
  measureMechanisms,
  type BenchOptions,
} from './channel.bench.js';
import { loadStorageScenario, type StorageScenarioShape } from './storage-scenarios.js';
import { type Measurement, measurement, printTable } from './storage-report.js';

/** The issue's targets. */
export const TARGETS = { seedsPerSecondPerCore: 100, compression: 1000, iops: 200_000 } as const;

/** How much work each measurement does. */
export interface StorageBenchSize {
  /** (1): seeds run before measuring (JIT warm-up), then batches of seeds, each timed. */
  readonly recovery: {
    readonly warmUpSeeds: number;
    readonly batches: number;
    readonly seedsPerBatch: number;
    readonly ops: number;
    readonly until: string;
  };
  /** (1b): timed fuzz campaigns of the storage-recovery property, `runs` runs each. */
  readonly fuzz: { readonly campaigns: number; readonly runs: number };
  /** (2): timed runs (seeds 1..runs) of the long-reboot scenario. */
  readonly compression: { readonly runs: number; readonly down: string; readonly until: string };
  /** (3): timed worker-runtime runs (each starts its own workers) of `ops` requests. */
  readonly iops: { readonly runs: number; readonly ops: number };
  /** (4): measure the channel ratios (about 30 s) or leave them out. */
  readonly channel: boolean;
}

/**
 * The size `npm run bench -- storage` runs: each measurement a few seconds to tens of seconds on
 * a 2-vCPU VM. Until for (1): the workload finishes at about 35–60 virtual ms with its 30 ms
 * reboot, so 200 ms leaves room; (2): 35 s down plus 5 s.
 */
export const FULL_SIZE: StorageBenchSize = {
  recovery: { warmUpSeeds: 5, batches: 3, seedsPerBatch: 10, ops: 200, until: '200ms' },
  fuzz: { campaigns: 3, runs: 100 },
  compression: { runs: 5, down: '35s', until: '40s' },
  iops: { runs: 3, ops: 5000 },
  channel: true,
};

/** A few seconds in all: for checking that the bench runs, not for numbers. */
export const TINY_SIZE: StorageBenchSize = {
  recovery: { warmUpSeeds: 0, batches: 1, seedsPerBatch: 2, ops: 100, until: '100ms' },
  fuzz: { campaigns: 1, runs: 5 },
  compression: { runs: 1, down: '200ms', until: '400ms' },
  iops: { runs: 1, ops: 100 },
  channel: false,
};

// Judges a run's expectations; a failed one is a failed check of the bench (exit 1).
function check(loaded: LoadedScenario, observation: Observation, label: string): void {
  const failed = judge(loaded.scenario.expect, observation).filter((e) => !e.ok);
  if (failed.length > 0) {
    throw new DeliveryCheckError(
      `${label}: ${failed.map((e) => `${e.name}: ${e.detail}`).join('; ')}`,
    );
  }
}

/** The scenario of (1) and (2): a short workload, one IOSP reboot of `down` during it. */
export function recoveryShape(
  ops: number,
  until: string,
  down: string,
  name: string,
): StorageScenarioShape {
  return { name, until, queueDepth: 8, ops, rebootDown: down };
}

/** (1) Runs seeds first..first+count-1 of `loaded` back to back; returns wall ms and events. */
export function runRecoverySeeds(
  loaded: LoadedScenario,
  first: number,
  count: number,
): { wallMs: number; events: number } {
  let events = 0;
  const started = performance.now();
  for (let seed = first; seed < first + count; seed++) {
    const result = runSim(loaded, seed, loaded.scenario.until);
    check(loaded, result.observation, `(1) ${loaded.name} seed ${seed}`);
    events += result.events;
  }
  return { wallMs: performance.now() - started, events };
}

function measureRecovery(size: StorageBenchSize['recovery']): Measurement {
  const loaded = loadStorageScenario(recoveryShape(size.ops, size.until, '30ms', 'recovery'));
  runRecoverySeeds(loaded, 1, size.warmUpSeeds);
  const runs: number[] = [];
  let events = 0;
  let seed = size.warmUpSeeds + 1;
  for (let batch = 0; batch < size.batches; batch++) {
    const timed = runRecoverySeeds(loaded, seed, size.seedsPerBatch);
    seed += size.seedsPerBatch;
    events += timed.events;
    runs.push((size.seedsPerBatch / timed.wallMs) * 1000);
  }
  const runsTotal = size.batches * size.seedsPerBatch;
  const eventsPerRun = Math.round(events / runsTotal);
  return measurement({
    id: '1',
    name: 'reboot-recovery seeds/s/core (sim)',
    unit: 'seeds/s',
    runs,
    target: TARGETS.seedsPerSecondPerCore,
    detail: `${size.batches}×${size.seedsPerBatch} seeds after ${size.warmUpSeeds} warm-up; ${size.ops} ops QD 8, reboot down 30 ms, ${size.until} virtual, ~${eventsPerRun} events/run`,
    facts: {
      seedsTimed: runsTotal,
      warmUpSeeds: size.warmUpSeeds,
      ops: size.ops,
      until: size.until,
      eventsPerRun,
    },
  });
}

// (1b) What fuzzing gets: storage-recovery property runs per second, one campaign per seed.
async function measureFuzz(size: StorageBenchSize['fuzz']): Promise<Measurement> {
  const runs: number[] = [];
  for (let c = 0; c < size.campaigns; c++) {
    const started = performance.now();
    const outcome = await runCampaign(storageRecovery as SparProperty<unknown>, {
      runs: size.runs,
      seed: 1 + c,
      shard: { k: 1, n: 1 },
      timeBudgetMs: null,
      quirks: [],
      now: () => 0,
    });
    const wallMs = performance.now() - started;
    if (outcome.verdict !== 'pass')
      throw new DeliveryCheckError(
        `(1b) storage-recovery seed ${1 + c}: ${outcome.counterexample?.violations.join('; ') ?? 'failed'}`,
      );
    runs.push((outcome.runs / wallMs) * 1000);
  }
  return measurement({
    id: '1b',
    name: 'fuzz: storage-recovery property runs/s/core (sim)',
    unit: 'runs/s',
    runs,
    target: null,
    detail: `${size.campaigns} campaign(s) of ${size.runs} generated cases (1–2 IOSPs, 1–4 guests, 1–4 disks, reboots, crashes, disk errors), every promise checked`,
    facts: { campaigns: size.campaigns, runsPerCampaign: size.runs },
  });
}

function measureCompression(
  size: StorageBenchSize['compression'],
  recoveryOps: number,
): Measurement {
  const loaded = loadStorageScenario(
    recoveryShape(recoveryOps, size.until, size.down, 'long-reboot'),
  );
  const runs: number[] = [];
  const walls: number[] = [];
  let virtualMs = 0;
  let events = 0;
  for (let seed = 1; seed <= size.runs; seed++) {
    const started = performance.now();
    const result = runSim(loaded, seed, loaded.scenario.until);
    const wallMs = performance.now() - started;
    check(loaded, result.observation, `(2) ${loaded.name} seed ${seed}`);
    runs.push(result.virtualMs / wallMs);
    walls.push(wallMs);
    virtualMs = result.virtualMs;
    events = result.events;
  }
  const wallMs = median(walls);
  return measurement({
    id: '2',
    name: `time compression (sim, reboot down ${size.down})`,
    unit: '×',
    runs,
    target: TARGETS.compression,
    detail: `${(virtualMs / 1000).toFixed(1)} s virtual in ${wallMs < 1000 ? `${wallMs.toFixed(0)} ms` : `${(wallMs / 1000).toFixed(1)} s`} wall, ${events} events/run, median of ${size.runs} run(s)`,
    facts: {
      virtualMs,
      wallMs: Math.round(wallMs),
      eventsPerRun: events,
      down: size.down,
      until: size.until,
    },
  });
}

/** (3) One worker-runtime run of `loaded`; IOPS over the workload's own span of wall time. */
export async function runIops(
  loaded: LoadedScenario,
  seed: number,
): Promise<{ iops: number; completed: number; spanMs: number; startMs: number }> {
  const result = await runWorkers(loaded, seed, loaded.scenario.until);
  check(loaded, result.observation, `(3) ${loaded.name} seed ${seed}`);
  const first = result.trace.find((r) => r.partition === 'guest1' && r.event === 'workload.submit');
  const finished = result.trace.find(
    (r) => r.partition === 'guest1' && r.event === 'workload.finished',
  );
  const completed = result.observation.io['guest1']?.completed ?? 0;
  if (first === undefined || finished === undefined)
    throw new DeliveryCheckError(
      `(3) ${loaded.name}: no workload.submit or workload.finished in the trace`,
    );
  const spanMs = finished.atMs - first.atMs;
  return { iops: (completed / spanMs) * 1000, completed, spanMs, startMs: first.atMs };
}

/** The scenario of (3). */
export function iopsShape(ops: number): StorageScenarioShape {
  // until is wall time in workers, a bound only: the run ends about 0.1 s after the workload.
  return { name: 'iops', until: '600s', latencyMs: { min: 0, max: 0 }, queueDepth: 32, ops };
}

async function measureIops(size: StorageBenchSize['iops']): Promise<Measurement> {
  const loaded = loadStorageScenario(iopsShape(size.ops));
  const runs: number[] = [];
  const starts: number[] = [];
  const spans: number[] = [];
  for (let seed = 1; seed <= size.runs; seed++) {
    const r = await runIops(loaded, seed);
    runs.push(r.iops);
    starts.push(r.startMs);
    spans.push(r.spanMs);
  }
  const startMs = median(starts);
  const spanMs = median(spans);
  return measurement({
    id: '3',
    name: 'SCSI IOPS (workers, QD 32, latency 0)',
    unit: 'IOPS',
    runs,
    target: TARGETS.iops,
    detail: `${size.runs} run(s) of ${size.ops} ops in ~${(spanMs / 1000).toFixed(1)} s; start-up + bring-up ~${(startMs / 1000).toFixed(1)} s excluded`,
    facts: { ops: size.ops, spanMs: Math.round(spanMs), startMs: Math.round(startMs) },
  });
}

// (4a) and (4b): each signal queue's median over postMessage's, all three measured here.
async function measureChannel(progress: (line: string) => void): Promise<Measurement[]> {
  const results = await measureMechanisms(['a', 'b'], (line) => progress(`(4) ${line}`));
  const port = results.find((r) => r.id === 'c');
  if (port === undefined) throw new Error('channel bench returned no (c)');
  return results
    .filter((r) => r.id !== 'c')
    .map((queue) =>
      measurement({
        id: `4${queue.id}`,
        name: `bare channel: ${queue.mechanism} / postMessage`,
        unit: '×',
        // Per-run ratios would pair unrelated runs; the channel bench's median ratio is the value.
        runs: [queue.ratioToPostMessage],
        target: null,
        detail: `${formatRate(queue.medianPerSecond)} vs ${formatRate(port.medianPerSecond)} signals/s, medians of ${CHANNEL_RUNS} (channel bench)`,
        facts: {
          queuePerSecond: Math.round(queue.medianPerSecond),
          postMessagePerSecond: Math.round(port.medianPerSecond),
        },
      }),
    );
}

/** Runs the storage benchmark and prints a table (or JSON); throws if any run fails a check. */
export async function run(
  options: BenchOptions,
  size: StorageBenchSize = FULL_SIZE,
): Promise<readonly Measurement[]> {
  const machine = machineInfo();
  // Other processes on a small VM move every number here; the load says how busy it was.
  const loadAverage = os.loadavg();
  const progress = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  const results: Measurement[] = [];
  progress('measuring (1) reboot-recovery seeds per second (sim) ...');
  results.push(measureRecovery(size.recovery));
  progress('measuring (1b) storage-recovery property runs per second (sim) ...');
  results.push(await measureFuzz(size.fuzz));
  progress(`measuring (2) time compression, reboot down ${size.compression.down} (sim) ...`);
  results.push(measureCompression(size.compression, size.recovery.ops));
  progress('measuring (3) SCSI IOPS (workers) ...');
  results.push(await measureIops(size.iops));
  if (size.channel) results.push(...(await measureChannel(progress)));
  if (options.json) {
    console.log(
      JSON.stringify(
        { bench: 'storage', targets: TARGETS, machine, loadAverage, results },
        null,
        2,
      ),
    );
  } else {
    printTable(results, machine, loadAverage);
  }
  return results;
}
