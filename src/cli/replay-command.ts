// `spar replay FILE`: re-runs a saved counterexample deterministically (a property case is a pure
// function of its value and quirks) and shows its timeline and the promise it breaks.

import { findProperty, PROPERTIES, type SparProperty } from '../../properties/registry.js';
import { readCounterexample } from '../fuzz/counterexample-file.js';
import { QUIRKS } from '../kinds/index.js';
import { unknownQuirks } from '../quirks.js';
import { timelineLines, writeTraceFile } from './timeline.js';
import { UsageError } from './usage-error.js';

/** Options of `spar replay`. */
export interface ReplayArgs {
  readonly file: string;
  readonly trace: string | undefined;
  readonly colour: boolean;
}

/** Replays; returns the lines to print and whether the case still fails. */
export function runReplayCommand(
  args: ReplayArgs,
  registry: readonly SparProperty<unknown>[] = PROPERTIES,
): { lines: string[]; fails: boolean } {
  const read = readCounterexample(args.file);
  if (!read.ok) throw new UsageError(read.error.message, read.error.file);
  const saved = read.value;
  const property = findProperty(saved.property, registry);
  if (property === undefined)
    throw new UsageError(
      `property '${saved.property}' is not registered in this version of spar-sim`,
      args.file,
    );
  const unknown = unknownQuirks(saved.quirks, QUIRKS);
  if (unknown.length > 0)
    throw new UsageError(
      `quirk '${unknown[0]}' is not known to this version of spar-sim`,
      args.file,
    );
  const outcome = property.run(saved.value as never, saved.quirks);
  if (args.trace !== undefined) {
    try {
      writeTraceFile(args.trace, outcome.trace);
    } catch (e) {
      throw new UsageError(
        `cannot write the trace: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        '--trace',
      );
    }
  }
  const fails = outcome.violations.length > 0;
  const lines = [
    `spar replay: ${property.name} (${property.kind}) from ${args.file}${saved.quirks.length > 0 ? `, quirks ${saved.quirks.join(', ')}` : ''}`,
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
  ];
  return { lines, fails };
}
