// `spar replay FILE`: re-runs a saved counterexample deterministically (a property case is a pure
// function of its value and quirks) and shows its timeline and the promise it breaks; `--json`
// prints a report object instead (docs/replay.schema.json); `--scenario OUT.yaml` also writes the
// case as an editable scenario file and checks, by running it in the sim runtime, which
// expectations it fails.

import { writeFileSync } from 'node:fs';
import { findProperty, PROPERTIES, type SparProperty } from '../../properties/registry.js';
import { caseScenarioFile, noScenarioReason, promiseOf } from '../fuzz/case-scenario-file.js';
import { type CounterexampleFile, readCounterexample } from '../fuzz/counterexample-file.js';
import { checkingDeterminism } from '../fuzz/determinism.js';
import { QUIRKS } from '../kinds/index.js';
import { unknownQuirks } from '../quirks.js';
import { runScenario } from '../run/run-scenario.js';
import { loadScenarioText } from '../scenario/load.js';
import { timelineLines, writeTraceFile } from './timeline.js';
import { checkWritableFile } from './output-paths.js';
import { UsageError } from './usage-error.js';

/** Options of `spar replay`. */
export interface ReplayArgs {
  readonly file: string;
  readonly trace: string | undefined;
  readonly colour: boolean;
  readonly json?: boolean;
  /** Where to write the case as a scenario file (undefined: not written). */
  readonly scenario?: string | undefined;
}

/** The scenario file written by `--scenario`, and what running it showed. */
export interface ReplayScenario {
  readonly file: string;
  readonly expect: readonly string[];
  /** The expectations of the promises the case breaks: these should fail. */
  readonly shouldFail: readonly string[];
  /** The expectations that failed when spar ran the file in the sim runtime. */
  readonly failed: readonly string[];
  readonly run: string;
}

/** Replays; returns the text to print and whether the case still fails. */
export async function runReplayCommand(
  args: ReplayArgs,
  registry: readonly SparProperty<unknown>[] = PROPERTIES,
): Promise<{ lines: string[]; fails: boolean }> {
  const { saved, property } = readSaved(args.file, registry);
  if (args.scenario !== undefined) {
    const reason = noScenarioReason(property, registry);
    if (reason !== null) throw new UsageError(reason, '--scenario');
    checkWritableFile(args.scenario, '--scenario');
  }
  if (args.trace !== undefined) checkWritableFile(args.trace, '--trace');
  // A case found by --check-determinism is replayed the same way: twice, traces compared.
  const twice = saved.checkDeterminism === true;
  const outcome = (twice ? checkingDeterminism(property) : property).run(
    saved.value as never,
    saved.quirks,
  );
  if (args.trace !== undefined)
    writeOrFail(args.trace, '--trace', (f) => writeTraceFile(f, outcome.trace));
  const fails = outcome.violations.length > 0;
  const scenario =
    args.scenario === undefined
      ? null
      : await writeScenario(
          args.scenario,
          args.file,
          saved,
          property,
          registry,
          outcome.violations,
        );
  if (args.json === true) {
    const report = {
      file: args.file,
      property: property.name,
      kind: property.kind,
      promise: property.promise,
      quirks: saved.quirks,
      checkDeterminism: twice,
      value: saved.value,
      description: property.describe(saved.value as never),
      verdict: fails ? 'fail' : 'pass',
      violations: outcome.violations,
      brokenPromises: [...new Set(outcome.violations.map(promiseOf))],
      traceRecords: outcome.trace.length,
      trace: args.trace ?? null,
      scenario,
    };
    return { lines: [JSON.stringify(report, null, 2)], fails };
  }
  const lines = [
    `spar replay: ${property.name} (${property.kind}) from ${args.file}${saved.quirks.length > 0 ? `, quirks ${saved.quirks.join(', ')}` : ''}${twice ? ', determinism checked (the case runs twice)' : ''}`,
    `promise: ${property.promise}`,
    'case:',
    ...property
      .describe(saved.value as never)
      .split('\n')
      .map((l) => `  ${l}`),
    '',
    ...timelineLines(outcome.trace, args.colour),
    '',
    ...(fails
      ? outcome.violations.map((v) => `FAIL  ${v}`)
      : ['ok    the case no longer breaks the promise (fixed since it was saved?)']),
    `verdict: ${fails ? 'fail' : 'pass'}`,
    ...(scenario === null ? [] : scenarioLines(scenario)),
  ];
  return { lines, fails };
}

function readSaved(
  file: string,
  registry: readonly SparProperty<unknown>[],
): { saved: CounterexampleFile; property: SparProperty<unknown> } {
  const read = readCounterexample(file);
  if (!read.ok) throw new UsageError(read.error.message, read.error.file);
  const saved = read.value;
  const property = findProperty(saved.property, registry);
  if (property === undefined)
    throw new UsageError(
      `property '${saved.property}' is not registered in this version of spar-sim`,
      file,
    );
  const unknown = unknownQuirks(saved.quirks, QUIRKS);
  if (unknown.length > 0)
    throw new UsageError(`quirk '${unknown[0]}' is not known to this version of spar-sim`, file);
  return { saved, property };
}

// Before the replay: the output's folder must exist (a typo fails at once, not after the run).
function writeOrFail(file: string, flag: string, write: (file: string) => void): void {
  try {
    write(file);
  } catch (e) {
    throw new UsageError(
      `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      flag,
    );
  }
}

// Writes the case as a scenario, then runs that file as `spar run FILE --runtime sim` would and
// records which expectations failed, so the output says whether it fails the same way.
async function writeScenario(
  out: string,
  from: string,
  saved: CounterexampleFile,
  property: SparProperty<unknown>,
  registry: readonly SparProperty<unknown>[],
  violations: readonly string[],
): Promise<ReplayScenario> {
  const made = caseScenarioFile({
    property,
    registry,
    value: saved.value,
    quirks: saved.quirks,
    violations,
    from,
    out,
  });
  if (!made.ok) throw new UsageError(made.error, '--scenario');
  writeOrFail(out, '--scenario', (f) => writeFileSync(f, made.value.text));
  const loaded = loadScenarioText(made.value.text, out);
  // The file is built from a scenario the property ran: failing to load it is a bug here.
  if (!loaded.ok) throw new Error(`${out} does not load: ${loaded.error[0]?.message ?? '?'}`);
  const seed = loaded.value.scenario.seed ?? 1;
  const { report } = await runScenario(loaded.value, {
    runtime: 'sim',
    seed,
    untilMs: loaded.value.scenario.until,
    wallClock: () => 0,
  });
  return {
    file: out,
    expect: made.value.expect,
    shouldFail: made.value.failing,
    failed: report.expectations.filter((e) => !e.ok).map((e) => e.name),
    run: `spar run ${out} --runtime sim`,
  };
}

function scenarioLines(s: ReplayScenario): string[] {
  const missing = s.shouldFail.filter((e) => !s.failed.includes(e));
  const failed = s.failed.length === 0 ? 'passes' : `fails ${s.failed.join(', ')}`;
  return [
    '',
    `scenario: wrote ${s.file} (expect ${s.expect.join(', ')})`,
    `  ${s.run} ${failed}${missing.length === 0 ? '' : `; warning: ${missing.join(', ')} held, unlike the property's check`}`,
  ];
}
