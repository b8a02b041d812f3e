// `spar run`'s core: one scenario, one runtime, one seed → a report (the JSON of `--json`) and
// the trace. The CLI prints it; tests and `npm start` use it directly.

import type { InternalFailure } from '../base/failure.js';
import { KINDS } from '../kinds/index.js';
import type { TraceRecord } from '../partition/environment.js';
import type { LoadedScenario } from '../scenario/load.js';
import { type ExpectationResult, judge } from './expectations.js';
import { type FaultRecord, faultCounts } from './faults.js';
import { type Observation, sectionOf } from './observation.js';
import { type RunResult, runSim, runSimWatched } from './run-sim.js';
import { runWorkers } from './run-workers.js';
import type { RunWatch } from './watch.js';

/**
 * The device kinds' sections of a report, by name: each kind with a report declares its own
 * (module augmentation, e.g. src/kinds/vhba/report.ts adds `io`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: kinds augment it with their sections.
export interface ReportSections {}

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
  /** A watcher (`spar run`): records, faults and progress as they happen, and an abort. */
  readonly watch?: RunWatch;
}

/** The report of one run: `spar run --json` prints exactly this (docs/report.schema.json). */
export interface RunReport extends ReportSections {
  readonly scenario: string;
  readonly file: string;
  readonly runtime: RuntimeName;
  readonly seed: number;
  readonly untilMs: number;
  readonly quirks: readonly string[];
  /**
   * `error`: a bug inside spar-sim ended the run early (`failure`); the rest is what ran.
   * `interrupted`: the user stopped it (Ctrl-C); nothing was judged (`expectations` is empty).
   */
  readonly verdict: 'pass' | 'fail' | 'error' | 'interrupted';
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
  readonly traceHash: string;
  /** Only with verdict `error`: where and when the bug surfaced, and its error. */
  readonly failure?: InternalFailure;
}

/** Runs `loaded` and judges its expectations. */
export async function runScenario(
  loaded: LoadedScenario,
  options: RunOptions,
): Promise<{ report: RunReport; trace: readonly TraceRecord[] }> {
  const started = options.wallClock();
  const { watch } = options;
  const result: RunResult =
    options.runtime === 'workers'
      ? await runWorkers(loaded, options.seed, options.untilMs, watch)
      : watch === undefined
        ? runSim(loaded, options.seed, options.untilMs)
        : await runSimWatched(loaded, options.seed, options.untilMs, watch, options.wallClock);
  const wallMs = Math.round(options.wallClock() - started);
  // A run cut short by its user is not judged: its liveness checks would fail for nothing.
  const expectations = result.interrupted
    ? []
    : judge(loaded.scenario.expect, result.observation, {
        trace: result.trace,
        endMs: result.virtualMs,
      });
  const report: RunReport = {
    scenario: loaded.name,
    file: loaded.file,
    runtime: options.runtime,
    seed: options.seed,
    untilMs: options.untilMs,
    quirks: loaded.config.quirks ?? [],
    verdict: verdictOf(result, expectations),
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
    ...reportSections(result.observation),
    traceHash: result.traceHash,
    ...(result.failure === null ? {} : { failure: result.failure }),
  };
  return { report, trace: result.trace };
}

function verdictOf(result: RunResult, expectations: readonly ExpectationResult[]) {
  if (result.failure !== null) return 'error';
  if (result.interrupted) return 'interrupted';
  return expectations.every((e) => e.ok) ? 'pass' : 'fail';
}

// Each kind with a report writes its section from the observation's.
function reportSections(o: Observation): ReportSections {
  const sections: Record<string, unknown> = {};
  for (const { report } of KINDS) {
    if (report !== undefined) sections[report.section] = report.json(sectionOf(o, report.section));
  }
  // Each kind fills the section it declares in ReportSections.
  return sections as unknown as ReportSections;
}
