// The human timeline of a run (`spar run`, `spar replay`): one line per trace record, time, actor,
// event, detail; colour only when the caller says so (colour.ts decides). Effects that
// recur every poll are counted instead of listed. How a record's event and detail read (XState's
// events in words, statuses named, injected faults pointed out) is record-text.ts's; the words
// that remain are explained in docs/glossary.md. And the machine-readable form: JSON lines.

import { writeFileSync } from 'node:fs';
import { formatMsFixed } from '../base/format-time.js';
import type { TraceRecord } from '../partition/environment.js';
import type { FaultRecord } from '../run/faults.js';
import { RECURRING_EVENTS } from '../run/violation.js';
import { readableDetail, readableEvent } from './record-text.js';

/** Effects that recur every poll; the timeline counts them instead of listing them. */
export const QUIET_EVENTS: ReadonlySet<string> = RECURRING_EVENTS;

/** The glossary of the words the timeline, the summary and the expectations use. */
export const GLOSSARY_FILE = 'docs/glossary.md';

/** How {@link formatRecord} writes a record. */
export interface RecordFormat {
  /** ANSI colour (a terminal, NO_COLOR unset). */
  readonly colour: boolean;
  /** The instant (ms, on the trace's clock) shown as +0; default 0, the trace's own origin. */
  readonly origin?: number;
  /** The faults fired so far (the report's faultLog): records they explain say so. */
  readonly faults?: readonly FaultRecord[];
}

/** One record as a timeline line: `+  1501.000 ms  actor  event  detail`. */
export function formatRecord(r: TraceRecord, format: RecordFormat): string {
  const ms = r.atMs - (format.origin ?? 0);
  const time = `${ms < 0 ? '-' : '+'}${formatMsFixed(Math.abs(ms)).padStart(9)} ms`;
  const actor = r.actor.padEnd(36);
  const event = readableEvent(r.event).padEnd(24);
  const detail = readableDetail(r, format.faults);
  if (!format.colour) return `${time}  ${actor}  ${event}  ${detail}`.trimEnd();
  return `\u001b[2m${time}\u001b[0m  \u001b[36m${actor}\u001b[0m  ${event}  \u001b[33m${detail}\u001b[0m`;
}

/** The timeline lines of `trace`, quiet events summarised in a last line. */
export function timelineLines(
  trace: readonly TraceRecord[],
  colour: boolean,
  context: Omit<RecordFormat, 'colour'> = {},
): string[] {
  const format = { ...context, colour };
  const quiet = trace.filter((r) => QUIET_EVENTS.has(r.event)).length;
  const lines = trace.filter((r) => !QUIET_EVENTS.has(r.event)).map((r) => formatRecord(r, format));
  if (quiet > 0) lines.push(`(${quiet} ${[...QUIET_EVENTS].join('/')} effects not shown)`);
  return lines;
}

/**
 * One JSON object per line: time, partition, actor systemId, event, resulting state, detail. The
 * state is written as the JSON value it is (`"running"`, `{"up":"polling"}`), not as the JSON
 * text TraceRecord carries; `JSON.stringify(line.state)` gives that text back, so the trace
 * hash can be recomputed from the file.
 */
export function traceJsonLines(trace: readonly TraceRecord[]): string {
  return (
    trace
      .map((r) =>
        JSON.stringify({
          atMs: r.atMs,
          partition: r.partition,
          actor: r.actor,
          event: r.event,
          state: stateValue(r.state),
          ...(r.detail === undefined ? {} : { detail: r.detail }),
        }),
      )
      .join('\n') + (trace.length > 0 ? '\n' : '')
  );
}

// Every recorder stores JSON.stringify(snapshot.value); a state that is not JSON text is kept as
// the string it is, which is also what that string's JSON would have given.
function stateValue(state: string): unknown {
  try {
    return JSON.parse(state);
  } catch {
    return state;
  }
}

/** Writes the JSON-lines trace to `file`; a failure is the caller's to report. */
export function writeTraceFile(file: string, trace: readonly TraceRecord[]): void {
  writeFileSync(file, traceJsonLines(trace));
}
