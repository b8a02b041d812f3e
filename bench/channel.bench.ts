// Channel benchmark: 64-byte signals per second between two worker threads (DESIGN "bench/":
// ratios against a baseline measured in the same run; stack.md §8 for the prototype's numbers).
// Four transports, one run:
//   (a) the signal queue of src/channel with 64 slots, (b) the same with 4096 slots,
//   (c) MessagePort.postMessage of the same payloads with a credit window,
//   (d) comlink calls worker → worker with a bounded number in flight.
// Each: a warm-up run, then three measured runs of a fixed count; the median is reported.
// Every run's delivery is checked (count, order, last sequence number); a failed check makes
// the run fail instead of printing a rate. Run with `npm run bench -- channel [--json]`.

import { MessageChannel } from 'node:worker_threads';
import { startQueuePair } from '../src/runtime/workers/test-workers/queue-setup.js';
import {
  runPair,
  startPair,
  type StartedPair,
} from '../src/runtime/workers/test-workers/run-protocol.js';
import type { DeliveryReport } from '../src/runtime/workers/test-workers/signal-payload.js';
import { SIGNAL_BYTES } from '../src/runtime/workers/test-workers/signal-payload.js';
import { spawnWorker } from '../src/runtime/workers/spawn-worker.js';
import { formatRate, formatTable, machineInfo, median, type MachineInfo } from './bench-report.js';
import type { ComlinkWorkerData } from './workers/comlink-consumer.worker.js';
import type { PortWorkerData } from './workers/port-producer.worker.js';

/** Options the bench launcher (bin/bench.js) passes. */
export interface BenchOptions {
  /** Print the results as JSON instead of a table. */
  readonly json: boolean;
}

/** A producer/consumer pair that is ready to serve runs. */
type WorkerPair = StartedPair<DeliveryReport, { readonly sent: number }>;

/** One transport under test. */
interface Mechanism {
  readonly id: 'a' | 'b' | 'c' | 'd';
  /** Human-readable transport name for the table. */
  readonly name: string;
  /** Signals per measured run, chosen so each run takes about 0.5–2.5 s on a 2-vCPU VM. */
  readonly signalsPerRun: number;
  start(): Promise<WorkerPair>;
}

/** (a)..(d), as in the header comment. */
export type MechanismId = Mechanism['id'];

/** Thrown when a run delivered the wrong signals; bin/bench.js exits 1 on it (by `name`). */
export class DeliveryCheckError extends Error {
  override readonly name = 'DeliveryCheckError';
}

/** One mechanism's measured result. */
export interface MechanismResult {
  /** (a)..(d), as in the header comment. */
  readonly id: string;
  /** Human-readable transport name. */
  readonly mechanism: string;
  /** Signals per measured run. */
  readonly signalsPerRun: number;
  /** Signals per second of each measured run, in run order. */
  readonly runsPerSecond: readonly number[];
  /** Median of `runsPerSecond`: the reported rate. */
  readonly medianPerSecond: number;
  /** Median divided by the median of (c) postMessage. */
  readonly ratioToPostMessage: number;
}

/** Measured runs per mechanism (after one warm-up run); the median is reported. */
export const MEASURED_RUNS = 3;
const WARM_UP_FRACTION = 0.25;
const POST_MESSAGE_WINDOW_SIGNALS = 4096;
const COMLINK_IN_FLIGHT_CALLS = 256;

// Starts two workers joined by a fresh MessageChannel, one port each (transferred, not cloned).
async function startPortPair(
  consumerName: string,
  producerName: string,
  extra: Omit<PortWorkerData, 'port'> | Omit<ComlinkWorkerData, 'port'>,
): Promise<WorkerPair> {
  const { port1, port2 } = new MessageChannel();
  const spawn = (name: string, port: typeof port1) =>
    spawnWorker(name, import.meta.url, { workerData: { ...extra, port }, transferList: [port] });
  const consumerWorker = spawn(consumerName, port1);
  const producerWorker = spawn(producerName, port2);
  return startPair<DeliveryReport, { sent: number }>(consumerWorker, producerWorker);
}

const mechanisms: readonly Mechanism[] = [
  {
    id: 'a',
    name: 'signal queue, 64 slots',
    signalsPerRun: 2_000_000,
    start: () => startQueuePair(64, false),
  },
  {
    id: 'b',
    name: 'signal queue, 4096 slots',
    signalsPerRun: 4_000_000,
    start: () => startQueuePair(4096, false),
  },
  {
    id: 'c',
    name: `postMessage, ${POST_MESSAGE_WINDOW_SIGNALS} in flight`,
    signalsPerRun: 400_000,
    start: () =>
      startPortPair('./workers/port-consumer.worker', './workers/port-producer.worker', {
        windowSignals: POST_MESSAGE_WINDOW_SIGNALS,
      }),
  },
  {
    id: 'd',
    name: `comlink call, ${COMLINK_IN_FLIGHT_CALLS} in flight`,
    signalsPerRun: 100_000,
    start: () =>
      startPortPair('./workers/comlink-consumer.worker', './workers/comlink-producer.worker', {
        inFlightCalls: COMLINK_IN_FLIGHT_CALLS,
      }),
  },
];

// One run of `count` signals; returns signals per second, or throws when delivery was wrong.
async function timedRun(pair: WorkerPair, count: number, label: string): Promise<number> {
  const { consumer, producer, elapsedMs } = await runPair(pair.consumer, pair.producer, count);
  const problems = [
    consumer.received !== count && `received ${consumer.received}`,
    consumer.outOfOrder !== 0 && `${consumer.outOfOrder} out of order`,
    consumer.duplicates !== 0 && `${consumer.duplicates} duplicates`,
    consumer.lastSeq !== count - 1 && `last sequence ${consumer.lastSeq}`,
    producer.sent !== count && `sent ${producer.sent}`,
  ].filter((p): p is string => p !== false);
  if (problems.length > 0) {
    const what = `${label}: delivery of ${count} signals failed`;
    throw new DeliveryCheckError(`${what}: ${problems.join(', ')}`);
  }
  return (count / elapsedMs) * 1000;
}

async function measure(mechanism: Mechanism): Promise<Omit<MechanismResult, 'ratioToPostMessage'>> {
  const pair = await mechanism.start();
  try {
    const label = `(${mechanism.id}) ${mechanism.name}`;
    await timedRun(pair, Math.ceil(mechanism.signalsPerRun * WARM_UP_FRACTION), `${label} warm-up`);
    const runsPerSecond: number[] = [];
    for (let run = 0; run < MEASURED_RUNS; run++) {
      runsPerSecond.push(await timedRun(pair, mechanism.signalsPerRun, label));
    }
    const { id, name, signalsPerRun } = mechanism;
    const medianPerSecond = median(runsPerSecond);
    return { id, mechanism: name, signalsPerRun, runsPerSecond, medianPerSecond };
  } finally {
    await pair.close();
  }
}

function printTable(results: readonly MechanismResult[], machine: MachineInfo): void {
  const rows = results.map((r) => [
    `(${r.id}) ${r.mechanism}`,
    formatRate(r.medianPerSecond),
    `${r.ratioToPostMessage.toFixed(r.ratioToPostMessage < 10 ? 2 : 1)}×`,
    `${formatRate(Math.min(...r.runsPerSecond))} – ${formatRate(Math.max(...r.runsPerSecond))}`,
    r.signalsPerRun.toLocaleString('en-US'),
  ]);
  console.log(`channel: ${SIGNAL_BYTES}-byte signals/s between two worker threads,`);
  console.log(
    `median of ${MEASURED_RUNS} runs after a warm-up; every delivery checked (count, order, last seq)`,
  );
  console.log(`machine: ${machine.cpuModel}, nproc ${machine.nproc}, node ${machine.node}\n`);
  const header = ['mechanism', 'signals/s', 'ratio to (c)', `min – max`, 'signals/run'];
  console.log(formatTable(header, rows));
}

/**
 * Measures the mechanisms `ids` (always with (c) postMessage, the baseline of every ratio), in
 * table order, one after the other; `progress` is told before each. The storage bench uses it
 * for the bare channel ratio (a)/(c) of its run.
 */
export async function measureMechanisms(
  ids: readonly MechanismId[],
  progress: (line: string) => void = () => {},
): Promise<readonly MechanismResult[]> {
  const measured: Omit<MechanismResult, 'ratioToPostMessage'>[] = [];
  for (const mechanism of mechanisms.filter((m) => m.id === 'c' || ids.includes(m.id))) {
    progress(`measuring (${mechanism.id}) ${mechanism.name} ...`);
    measured.push(await measure(mechanism));
  }
  const baseline = measured.find((m) => m.id === 'c')?.medianPerSecond ?? Number.NaN;
  return measured.map((m) => ({ ...m, ratioToPostMessage: m.medianPerSecond / baseline }));
}

/** Runs the channel benchmark and prints a table (or JSON); throws if any delivery check fails. */
export async function run(options: BenchOptions): Promise<readonly MechanismResult[]> {
  const machine = machineInfo();
  const progress = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  const results = await measureMechanisms(
    mechanisms.map((m) => m.id),
    progress,
  );
  if (options.json) {
    const report = { bench: 'channel', signalBytes: SIGNAL_BYTES, measuredRuns: MEASURED_RUNS };
    console.log(JSON.stringify({ ...report, machine, results }, null, 2));
  } else {
    printTable(results, machine);
  }
  return results;
}
