// The human timeline of a run (`spar run`, `spar replay`): one line per trace record, time, actor,
// event, detail; colour only when the caller says so (colour.ts decides). Effects that
// recur every poll are counted instead of listed. And the machine-readable form: JSON lines.

import { writeFileSync } from 'node:fs';
import type { TraceRecord } from '../partition/environment.js';
import { RECURRING_EVENTS } from '../run/violation.js';

/** Effects that recur every poll; the timeline counts them instead of listing them. */
export const QUIET_EVENTS: ReadonlySet<string> = RECURRING_EVENTS;

/** One record as a timeline line. */
export function formatRecord(r: TraceRecord, colour: boolean): string {
  const time = `+${r.atMs.toFixed(3).padStart(9)} ms`;
  const actor = r.actor.padEnd(36);
  const event = r.event.padEnd(24);
  const detail = String(r.detail?.['text'] ?? '');
  if (!colour) return `${time}  ${actor}  ${event}  ${detail}`.trimEnd();
  return `\u001b[2m${time}\u001b[0m  \u001b[36m${actor}\u001b[0m  ${event}  \u001b[33m${detail}\u001b[0m`;
}

/** The timeline lines of `trace`, quiet events summarised in a last line. */
export function timelineLines(trace: readonly TraceRecord[], colour: boolean): string[] {
  const quiet = trace.filter((r) => QUIET_EVENTS.has(r.event)).length;
  const lines = trace.filter((r) => !QUIET_EVENTS.has(r.event)).map((r) => formatRecord(r, colour));
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
