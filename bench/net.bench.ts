// Network benchmark (issue "Network path"): Ethernet frames per second between two guests through
// one IOSP and its virtual switch, guest1 flooding guest2 with echo requests (`ping -f`, 32
// outstanding). Each delivered request and its reply are two frames through the switch, so
// frames = 2 × replies delivered (ARP is left out). Measured
// in one run, each a median of timed runs, and each also as a ratio to (B):
//   (N1) workers runtime, 64-byte frames: frames per wall second over the flow's own span, from
//        guest1's first echo request to its last reply, so worker start-up and bring-up are
//        excluded; (N2) the same with 1500-byte frames;
//   (N3) sim runtime, 64-byte frames: frames per wall second over the whole runSim call (bring-up
//        and the idle tail included), with frames per virtual second of the flow's span beside
//        it; (N4) the same with 1500-byte frames;
//   (B)  the baseline: MessagePort.postMessage messages per second between two workers, measured
//        with channel.bench.ts's own code in this run ("× postMessage" is each rate over it).
// The span is "first net.transmit to ping.flowDone" without waits that carry no traffic: an ARP
// retry (1 s) when guest2's vnic was not up yet, and the timeout of any request lost; both spans
// are in the JSON facts. Every run is judged on its expectations
// (no duplicate frames, isolation, links up) and must finish its flow; a failed one fails the
// bench (exit 1) instead of printing a rate. Run with `npm run bench -- net [--json]`.

import os from 'node:os';
import type { TraceRecord } from '../src/partition/environment.js';
import { judge } from '../src/run/expectations.js';
import type { RunResult } from '../src/run/run-sim.js';
import { runSim } from '../src/run/run-sim.js';
import { runWorkers } from '../src/run/run-workers.js';
import type { LoadedScenario } from '../src/scenario/load.js';
import { formatRate, formatTable, machineInfo, median, type MachineInfo } from './bench-report.js';
import {
  DeliveryCheckError,
  MEASURED_RUNS as CHANNEL_RUNS,
  measureMechanisms,
  type BenchOptions,
} from './channel.bench.js';
import { loadNetScenario, PING_WINDOW } from './net-scenarios.js';

/** How much work each measurement does. */
export interface NetBenchSize {
  /** (N1), (N2): timed worker-runtime runs (each starts its own workers) of `count` requests. */
  readonly workers: { readonly runs: number; readonly count: number };
  /** (N3), (N4): untimed warm-up runs (JIT), then timed runs of `count` requests up to `until`. */
  readonly sim: {
    readonly warmUpRuns: number;
    readonly runs: number;
    readonly count: number;
    readonly until: string;
  };
  /** (B): measure the postMessage baseline (about 3 s) or leave it and the ratios out. */
  readonly baseline: boolean;
}

/**
 * The size `npm run bench -- net` runs: under a minute on a 2-vCPU VM. Sim until: 2000 requests
 * take about 110 virtual ms, and the flow ends 1 s after the first requests the driver drops.
 */
export const FULL_SIZE: NetBenchSize = {
  workers: { runs: 3, count: 2000 },
  sim: { warmUpRuns: 1, runs: 3, count: 2000, until: '2s' },
  baseline: true,
};

/** A few seconds in all: for checking that the bench runs, not for numbers. */
export const TINY_SIZE: NetBenchSize = {
  workers: { runs: 1, count: 100 },
  sim: { warmUpRuns: 0, runs: 1, count: 100, until: '1500ms' },
  baseline: false,
};

/** Frame sizes of (N1)/(N3) and (N2)/(N4), whole Ethernet frame bytes. */
const FRAME_BYTES = [64, 1500] as const;
const FLOODER = 'guest1';
const FLOODER_IP_STACK = `${FLOODER}/ip-stack:eth0`;

/** One measurement's result. */
export interface Measurement {
  /** N1..N4, B. */
  readonly id: string;
  readonly name: string;
  /** Each timed run's frames (messages for B) per second, in run order. */
  readonly runs: readonly number[];
  /** Median of `runs`: the reported value. */
  readonly median: number;
  /** `median` over the postMessage baseline's median (null: baseline not measured). */
  readonly ratioToPostMessage: number | null;
  /** What was run, for the table's last column. */
  readonly detail: string;
  /** The numbers behind the detail, for JSON. */
  readonly facts: Readonly<Record<string, number | string>>;
}

/** The flow's span on the run's clock (wall ms in workers, virtual ms in sim). */
export interface FlowSpan {
  /** guest1's first echo request: its first transmit after the ARP reply reached it. */
  readonly startMs: number;
  /** guest1's last frame received (the last reply) before its `ping.flowDone`. */
  readonly endMs: number;
  /** The brief's raw span: guest1's first transmit (the ARP request) to `ping.flowDone`. */
  readonly rawSpanMs: number;
}

/** Finds the flood's span in `trace`; throws if the flow did not run to its end. */
export function flowSpan(trace: readonly TraceRecord[], label: string): FlowSpan {
  const isTransmit = (r: TraceRecord) => r.actor === FLOODER_IP_STACK && r.event === 'net.transmit';
  const isReceive = (r: TraceRecord) => r.partition === FLOODER && r.event === 'net.deliver';
  const firstTransmit = trace.findIndex(isTransmit);
  const firstReceive = trace.findIndex(isReceive);
  const done = trace.findIndex((r) => r.actor === FLOODER_IP_STACK && r.event === 'ping.flowDone');
  const start = trace.findIndex((r, i) => i > firstReceive && isTransmit(r));
  const end = trace.slice(0, done).findLastIndex(isReceive);
  if ([firstTransmit, firstReceive, done, start, end].includes(-1)) {
    throw new DeliveryCheckError(
      `${label}: no echo request, reply or ping.flowDone of ${FLOODER} in the trace`,
    );
  }
  const at = (i: number) => (trace[i] as TraceRecord).atMs;
  return { startMs: at(start), endMs: at(end), rawSpanMs: at(done) - at(firstTransmit) };
}

// Judges a run's expectations and that the flood finished with replies; a failure fails the bench.
function check(
  loaded: LoadedScenario,
  result: RunResult,
  label: string,
): { delivered: number; dropped: number } {
  const failed = judge(loaded.scenario.expect, result.observation).filter((e) => !e.ok);
  if (failed.length > 0) {
    throw new DeliveryCheckError(
      `${label}: ${failed.map((e) => `${e.name}: ${e.detail}`).join('; ')}`,
    );
  }
  const stats = result.observation.net[FLOODER]?.stats;
  if (stats === undefined || stats.finishedFlows !== 1 || stats.delivered === 0) {
    throw new DeliveryCheckError(
      `${label}: ${FLOODER}'s flood did not finish with replies (${JSON.stringify(stats ?? null)})`,
    );
  }
  return { delivered: stats.delivered, dropped: stats.dropped };
}

function measurement(
  fields: Omit<Measurement, 'median' | 'ratioToPostMessage'>,
  baseline: number | null,
): Measurement {
  const value = median(fields.runs);
  return {
    ...fields,
    median: value,
    ratioToPostMessage: baseline === null ? null : value / baseline,
  };
}

function workersScenario(count: number, frameBytes: number): LoadedScenario {
  // until is wall time in workers, a bound only: the run ends about 0.1 s after the flow.
  return loadNetScenario({ name: `flood-workers-${frameBytes}`, until: '120s', count, frameBytes });
}

/** (N1)/(N2) One worker-runtime run; frames per second over the flow's own span of wall time. */
export async function runWorkersFlood(loaded: LoadedScenario, seed: number) {
  const label = `${loaded.name} seed ${seed}`;
  const result = await runWorkers(loaded, seed, loaded.scenario.until);
  const { delivered, dropped } = check(loaded, result, label);
  const span = flowSpan(result.trace, label);
  const spanMs = span.endMs - span.startMs;
  return {
    framesPerSecond: ((2 * delivered) / spanMs) * 1000,
    delivered,
    dropped,
    spanMs,
    ...span,
  };
}

async function measureWorkers(
  id: string,
  frameBytes: number,
  size: NetBenchSize['workers'],
  baseline: number | null,
): Promise<Measurement> {
  const loaded = workersScenario(size.count, frameBytes);
  const runs = [];
  for (let seed = 1; seed <= size.runs; seed++) runs.push(await runWorkersFlood(loaded, seed));
  const spanMs = median(runs.map((r) => r.spanMs));
  const startMs = median(runs.map((r) => r.startMs));
  const dropped = runs.map((r) => r.dropped).join('/');
  return measurement(
    {
      id,
      name: `frames/s, workers, ${frameBytes}-byte frames`,
      runs: runs.map((r) => r.framesPerSecond),
      detail: `${size.runs} run(s) of ${size.count} requests (window ${PING_WINDOW}, ${dropped} lost) in ~${(spanMs / 1000).toFixed(1)} s; start-up + bring-up ~${(startMs / 1000).toFixed(1)} s excluded`,
      facts: {
        ...{
          frameBytes,
          count: size.count,
          spanMs: Math.round(spanMs),
          startMs: Math.round(startMs),
        },
        ...{
          rawSpanMs: Math.round(median(runs.map((r) => r.rawSpanMs))),
          delivered: median(runs.map((r) => r.delivered)),
          lost: dropped,
        },
      },
    },
    baseline,
  );
}

/** (N3)/(N4) One sim-runtime run: frames per wall second of runSim, per virtual second of the flow. */
export function runSimFlood(loaded: LoadedScenario, seed: number) {
  const label = `${loaded.name} seed ${seed}`;
  const started = performance.now();
  const result = runSim(loaded, seed, loaded.scenario.until);
  const wallMs = performance.now() - started;
  const { delivered, dropped } = check(loaded, result, label);
  const span = flowSpan(result.trace, label);
  const frames = 2 * delivered;
  const virtualSpanMs = span.endMs - span.startMs;
  const perVirtualSecond = (frames / virtualSpanMs) * 1000;
  return {
    framesPerSecond: (frames / wallMs) * 1000,
    perVirtualSecond,
    delivered,
    dropped,
    wallMs,
    virtualSpanMs,
    rawSpanMs: span.rawSpanMs,
    events: result.events,
  };
}

function measureSim(
  id: string,
  frameBytes: number,
  size: NetBenchSize['sim'],
  baseline: number | null,
): Measurement {
  const loaded = loadNetScenario({
    name: `flood-sim-${frameBytes}`,
    until: size.until,
    count: size.count,
    frameBytes,
  });
  for (let seed = 1; seed <= size.warmUpRuns; seed++) runSimFlood(loaded, seed);
  const runs = [];
  for (let seed = size.warmUpRuns + 1; seed <= size.warmUpRuns + size.runs; seed++)
    runs.push(runSimFlood(loaded, seed));
  const wallMs = median(runs.map((r) => r.wallMs));
  const perVirtualSecond = median(runs.map((r) => r.perVirtualSecond));
  const virtualSpanMs = median(runs.map((r) => r.virtualSpanMs));
  const dropped = runs.map((r) => r.dropped).join('/');
  return measurement(
    {
      id,
      name: `frames/wall s, sim, ${frameBytes}-byte frames`,
      runs: runs.map((r) => r.framesPerSecond),
      detail: `${formatRate(perVirtualSecond)} frames/virtual s (flow ${virtualSpanMs.toFixed(0)} ms virtual); ${size.runs} run(s) after ${size.warmUpRuns} warm-up of ${size.count} requests (${dropped} lost), ${size.until} virtual in ${wallMs.toFixed(0)} ms wall`,
      facts: {
        ...{
          frameBytes,
          count: size.count,
          until: size.until,
          wallMs: Math.round(wallMs),
          perVirtualSecond: Math.round(perVirtualSecond),
        },
        ...{
          virtualSpanMs: Math.round(virtualSpanMs * 1000) / 1000,
          rawSpanMs: Math.round(median(runs.map((r) => r.rawSpanMs))),
        },
        ...{ eventsPerRun: median(runs.map((r) => r.events)), lost: dropped },
      },
    },
    baseline,
  );
}

// (B) postMessage between two workers, the channel bench's mechanism (c) with its own checks.
async function measureBaseline(progress: (line: string) => void): Promise<Measurement> {
  const [port] = await measureMechanisms([], (line) => progress(`(B) ${line}`));
  if (port === undefined || port.id !== 'c') throw new Error('channel bench returned no (c)');
  return measurement(
    {
      id: 'B',
      name: 'baseline: postMessage msgs/s between 2 workers',
      runs: port.runsPerSecond,
      detail: `${port.mechanism}, ${port.signalsPerRun.toLocaleString('en-US')} 64-byte messages per run, median of ${CHANNEL_RUNS} (channel bench)`,
      facts: { signalsPerRun: port.signalsPerRun },
    },
    port.medianPerSecond,
  );
}

function formatRatio(ratio: number | null): string {
  if (ratio === null) return '—';
  return `${ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2)}×`;
}

function printTable(
  results: readonly Measurement[],
  machine: MachineInfo,
  loadAverage: readonly number[],
): void {
  console.log(
    `net: frames/s between two guests through one IOSP's virtual switch (ping flood, window ${PING_WINDOW});`,
  );
  console.log(
    'median of the runs shown; every run judged on its expectations (no duplicate frames, isolation, links up)',
  );
  const load = loadAverage.map((l) => l.toFixed(2)).join(' ');
  console.log(
    `machine: ${machine.cpuModel}, nproc ${machine.nproc}, node ${machine.node}; load average before the run ${load}\n`,
  );
  const header = ['measurement', 'per second', '× postMessage', 'min – max', 'what ran'];
  const rows = results.map((m) => [
    `(${m.id}) ${m.name}`,
    formatRate(m.median),
    formatRatio(m.ratioToPostMessage),
    m.runs.length > 1
      ? `${formatRate(Math.min(...m.runs))} – ${formatRate(Math.max(...m.runs))}`
      : '',
    m.detail,
  ]);
  console.log(formatTable(header, rows));
}

/** Runs the network benchmark and prints a table (or JSON); throws if any run fails a check. */
export async function run(
  options: BenchOptions,
  size: NetBenchSize = FULL_SIZE,
): Promise<readonly Measurement[]> {
  const machine = machineInfo();
  // Other processes on a small VM move every number here; the load says how busy it was.
  const loadAverage = os.loadavg();
  const progress = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  const results: Measurement[] = [];
  // The baseline first: every ratio is over it.
  const baseline = size.baseline ? await measureBaseline(progress) : null;
  const perSecond = baseline === null ? null : baseline.median;
  for (const [i, frameBytes] of FRAME_BYTES.entries()) {
    progress(`measuring (N${i + 1}) frames/s, workers, ${frameBytes}-byte frames ...`);
    results.push(await measureWorkers(`N${i + 1}`, frameBytes, size.workers, perSecond));
  }
  for (const [i, frameBytes] of FRAME_BYTES.entries()) {
    progress(`measuring (N${i + 3}) frames/s, sim, ${frameBytes}-byte frames ...`);
    results.push(measureSim(`N${i + 3}`, frameBytes, size.sim, perSecond));
  }
  if (baseline !== null) results.push(baseline);
  if (options.json) {
    console.log(
      JSON.stringify(
        { bench: 'net', pingWindow: PING_WINDOW, machine, loadAverage, results },
        null,
        2,
      ),
    );
  } else {
    printTable(results, machine, loadAverage);
  }
  return results;
}
