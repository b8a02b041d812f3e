// What `spar run` prints once a run is over: each kind's lines, one line per expectation — a
// FAIL with the instant and trace record of its first violation and the records around it —,
// the verdict and how to run it again.

import type { InternalFailure } from '../base/failure.js';
import { KINDS } from '../kinds/index.js';
import type { TraceRecord } from '../partition/environment.js';
import type { ExpectationResult } from '../run/expectations.js';
import type { RunReport } from '../run/run-scenario.js';
import { formatMs } from '../base/format-time.js';
import { formatRecord, QUIET_EVENTS, type RecordFormat } from './timeline.js';

/** Records printed on each side of a first violation. */
const AROUND = 3;

/** One expectation's lines: ok, or FAIL and where its first violation is. */
export function expectationLines(
  e: ExpectationResult,
  trace: readonly TraceRecord[],
  format: RecordFormat,
): string[] {
  if (e.ok) return [`ok    ${e.name}: ${e.detail}`];
  const head = `FAIL  ${e.name} (${e.kind}): ${e.detail}`;
  const v = e.firstViolation;
  if (v === undefined) return [head];
  const at = formatMs(v.atMs);
  const where =
    v.record === null ? '' : `, trace record ${v.record} (line ${v.record + 1} of --trace)`;
  if (v.found === 'end') {
    const lines = [
      `      judged on the state at the end of the run (${at})${where}; the records before it:`,
    ];
    return [head, ...lines, ...context(trace, v.record, AROUND * 2, 0, format)];
  }
  return [
    head,
    `      first violation at ${at}${where}:`,
    ...context(trace, v.record, AROUND, AROUND, format),
  ];
}

// The records of the marked one's partition around it (`before` earlier, `after` later),
// skipping the ones that recur every poll; the marked one flagged with `>`.
function context(
  trace: readonly TraceRecord[],
  index: number | null,
  before: number,
  after: number,
  format: RecordFormat,
): string[] {
  const marked = index === null ? undefined : trace[index];
  if (index === null || marked === undefined) return [];
  const near = (i: number) => {
    const r = trace[i];
    return r !== undefined && r.partition === marked.partition && !QUIET_EVENTS.has(r.event);
  };
  const picked: number[] = [];
  for (let i = index - 1; i >= 0 && picked.length < before; i--) if (near(i)) picked.unshift(i);
  picked.push(index);
  for (let i = index + 1, n = 0; i < trace.length && n < after; i++) {
    if (!near(i)) continue;
    picked.push(i);
    n++;
  }
  return picked.map((i) => {
    const r = trace[i];
    return `    ${i === index ? '>' : ' '} ${r === undefined ? '' : formatRecord(r, format)}`;
  });
}

/** Each device kind's lines about its section of the report (the vnic kind's ping flows). */
export function kindLines(report: RunReport): string[] {
  return KINDS.flatMap(({ report: kind }) =>
    kind?.lines === undefined ? [] : kind.lines(Reflect.get(report, kind.section)),
  );
}

/** The stderr text of a run a bug ended (exit 3): what and where, then the stack. */
export function failureText(failure: InternalFailure): string {
  const head = `spar: internal error in ${failure.where} at ${failure.atMs} ms (a bug in spar-sim, please report it): ${oneLine(failure)}`;
  return failure.stack === '' ? head : `${head}\n${failure.stack}`;
}

/** The ERROR line of a run a bug ended, among the expectations. */
export function errorLine(failure: InternalFailure): string {
  return `ERROR the run stopped at ${formatMs(failure.atMs)}: ${failure.where}: ${oneLine(failure)}`;
}

// XState wraps a guard's error in a second line ("Unable to evaluate guard ...:\n<error>").
const oneLine = (failure: InternalFailure): string => failure.message.replace(/\s*\n\s*/g, ' ');
