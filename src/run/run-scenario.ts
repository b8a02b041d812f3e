// `spar run`'s core: one scenario, one runtime, one seed → a report (the JSON of `--json`) and
// the trace. The CLI prints it; tests and `npm start` use it directly.

import type { TraceRecord } from '../partition/environment.js';
import type { LoadedScenario } from '../scenario/load.js';
import { judge, type ExpectationResult } from './expectations.js';
import { faultCounts, type FaultRecord } from './faults.js';
import { NO_NET, type InterfaceSummary } from './net-stats.js';
import {
  sumRecords,
  totalIo,
  type IoStats,
  type NetStats,
  type Observation,
} from './observation.js';
import { runSim, type RunResult } from './run-sim.js';
import { runWorkers } from './run-workers.js';

/** Which runtime runs the scenario. */
export type RuntimeName = 'sim' | 'workers';

/** Options of one run. */
export interface RunOptions {
  readonly runtime: RuntimeName;
  readonly seed: number;
  /** Time limit in ms (the scenario's `until` unless overridden). */
  readonly untilMs: number;
  /** Wall clock for `stats.wallMs` (the CLI's; never read by the sim runtime). */
  readonly wallClock: () => number;
}

/** The report of one run: `spar run --json` prints exactly this. */
export interface RunReport {
  readonly scenario: string;
  readonly file: string;
  readonly runtime: RuntimeName;
  readonly seed: number;
  readonly untilMs: number;
  readonly quirks: readonly string[];
  readonly verdict: 'pass' | 'fail';
  readonly expectations: readonly ExpectationResult[];
  readonly partitions: readonly {
    readonly name: string;
    readonly kind: string;
    readonly state: string;
  }[];
  readonly faults: Readonly<Record<string, number>>;
  readonly faultLog: readonly FaultRecord[];
  readonly stats: {
    readonly events: number;
    readonly virtualMs: number;
    readonly wallMs: number;
    readonly traceRecords: number;
  };
  /** Storage IO per guest and in total. */
  readonly io: { readonly guests: Readonly<Record<string, IoStats>>; readonly total: IoStats };
  /** Network traffic per guest and in total, and each interface with its ping flows. */
  readonly net: {
    readonly guests: Readonly<Record<string, NetStats>>;
    readonly total: NetStats;
    readonly interfaces: Readonly<Record<string, readonly InterfaceSummary[]>>;
  };
  readonly traceHash: string;
}

/** Runs `loaded` and judges its expectations. */
export async function runScenario(
  loaded: LoadedScenario,
  options: RunOptions,
): Promise<{ report: RunReport; trace: readonly TraceRecord[] }> {
  const started = options.wallClock();
  const result: RunResult =
    options.runtime === 'sim'
      ? runSim(loaded, options.seed, options.untilMs)
      : await runWorkers(loaded, options.seed, options.untilMs);
  const wallMs = Math.round(options.wallClock() - started);
  const expectations = judge(loaded.scenario.expect, result.observation);
  const report: RunReport = {
    scenario: loaded.name,
    file: loaded.file,
    runtime: options.runtime,
    seed: options.seed,
    untilMs: options.untilMs,
    quirks: loaded.config.quirks ?? [],
    verdict: expectations.every((e) => e.ok) ? 'pass' : 'fail',
    expectations,
    partitions: loaded.config.partitions.map((p) => ({
      name: p.name,
      kind: p.kind,
      state: result.observation.states[p.name] ?? 'unknown',
    })),
    faults: faultCounts(result.faults),
    faultLog: result.faults,
    stats: {
      events: result.events,
      virtualMs: result.virtualMs,
      wallMs,
      traceRecords: result.trace.length,
    },
    io: { guests: result.observation.io, total: totalIo(Object.values(result.observation.io)) },
    net: netReport(result.observation),
    traceHash: result.traceHash,
  };
  return { report, trace: result.trace };
}

function netReport(o: Observation): RunReport['net'] {
  const guests = Object.fromEntries(Object.entries(o.net).map(([g, n]) => [g, n.stats]));
  const interfaces = Object.fromEntries(
    Object.entries(o.net)
      .filter(([, n]) => n.interfaces.length > 0)
      .map(([g, n]) => [g, n.interfaces]),
  );
  return { guests, total: sumRecords(NO_NET, Object.values(guests)), interfaces };
}
