// Where a failed expectation shows in the trace, so that `spar run` can name the instant and the
// record of its first violation and print the records around it. A check that can tell points at
// a record itself (KindExpectation.locate); the others are judged on the state at the end of the
// run, and say so: the instant is the end, the record the last one of the partition they name.

import type { TraceRecord } from '../partition/environment.js';
import type { Observation } from './observation.js';

/** Events that recur every poll: counted, not listed, and never what a violation points at. */
export const RECURRING_EVENTS: ReadonlySet<string> = new Set(['controlvm.poll']);

/** The first violation of a failed expectation. */
export interface FirstViolation {
  /** Run time (ms) of the violation, or of the end of the run for a check judged there. */
  readonly atMs: number;
  /** Index of the record in the trace (line `record + 1` of `--trace`); null: no record. */
  readonly record: number | null;
  /** `record`: the check found the record; `end`: judged on the end state of the run. */
  readonly found: 'record' | 'end';
}

/** The first violation of a failed check; `detail` names what failed (partition names). */
export function firstViolation(
  check: { locate?(trace: readonly TraceRecord[], o: Observation): number | undefined },
  detail: string,
  trace: readonly TraceRecord[],
  o: Observation,
  endMs: number,
): FirstViolation {
  const found = check.locate?.(trace, o);
  const at = found === undefined ? undefined : trace[found];
  if (found !== undefined && at !== undefined)
    return { atMs: at.atMs, record: found, found: 'record' };
  const named = o.config.partitions.map((p) => p.name).filter((n) => mentions(detail, n));
  const record = lastIndex(
    trace,
    (r) => !RECURRING_EVENTS.has(r.event) && (named.length === 0 || named.includes(r.partition)),
  );
  return { atMs: endMs, record: record === -1 ? null : record, found: 'end' };
}

/** The index of the last record meeting `test`, or -1. */
export function lastIndex(
  trace: readonly TraceRecord[],
  test: (r: TraceRecord) => boolean,
): number {
  for (let i = trace.length - 1; i >= 0; i--) {
    const r = trace[i];
    if (r !== undefined && test(r)) return i;
  }
  return -1;
}

// `guest1` in "guest1 is crashed", not in "guest10 is crashed".
const mentions = (text: string, name: string): boolean =>
  new RegExp(`(^|[^\\w-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w-])`).test(text);
