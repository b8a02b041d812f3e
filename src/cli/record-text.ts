// How one trace record's event and detail read in the human timeline (docs/glossary.md explains
// the words that remain). Display only: the trace file, the report and the trace hash keep the
// records exactly as recorded. Three rewrites:
// - XState's internal events in words: `xstate.after.rebootDelay.rebooting` (a delayed
//   transition firing) reads `after rebootDelay (rebooting)`;
// - a raw status number gets the reference's name: `status=22 (EINVAL)`;
// - a record that an injected fault explains says so: the lifecycle record of the fault itself
//   (`— injected fault 0`), and a failure on the partition a fault hit (`cp.guestFailed
//   guest=guest1 — after injected faults 0 (crash), 1 (reboot) on guest1`), so an expected
//   consequence of the scenario's own faults does not look like a failure nobody noticed.

import type { TraceRecord } from '../partition/environment.js';
import { CHANNEL_QUARANTINED } from '../partition/channel-quarantine.js';
import { completionStatusName } from '../protocol/value-names.js';
import type { FaultRecord } from '../run/faults.js';

/**
 * How far (ms) after a fault fired its own lifecycle record may lie. The injector applies a fault
 * at once: the record follows in the same instant in sim, and within a few ms in workers (1.4 ms
 * seen on a loaded machine). A lifecycle change of the same kind that no fault caused (the CP's
 * watchdog reboot, the runtime's final shutdown) does not follow an injected one that closely.
 */
const INJECTED_WITHIN_MS = 100;

/** The events whose status is a driver entry point's return: 1 done, 0 refused (§4.6, §4.7). */
const DRIVER_RETURN_EVENTS: ReadonlySet<string> = new Set(['driver.suspended', 'driver.resumed']);

/** Events that report a partition failing as seen from the command partition. */
const FAILURE_EVENTS: ReadonlySet<string> = new Set(['cp.guestFailed', CHANNEL_QUARANTINED]);

/** `event` as the timeline shows it: XState's internal event types in words, others as they are. */
export function readableEvent(event: string): string {
  if (!event.startsWith('xstate.')) return event;
  const rest = event.slice('xstate.'.length);
  if (rest === 'init') return 'start';
  if (rest === 'stop') return 'stop';
  if (rest.startsWith('after.')) {
    // `xstate.after.<delay>.<id of the state that set the timer>`; named delays have no dots.
    const [delay, ...state] = rest.slice('after.'.length).split('.');
    return state.length === 0 ? `after ${delay}` : `after ${delay} (${state.join('.')})`;
  }
  if (rest.startsWith('done.actor.')) return `${rest.slice('done.actor.'.length)} done`;
  if (rest.startsWith('error.actor.')) return `${rest.slice('error.actor.'.length)} failed`;
  if (rest.startsWith('done.state.')) return `${rest.slice('done.state.'.length)} finished`;
  return rest.replaceAll('.', ' ');
}

/** What `status` means on a record of `event`, or null when it is plain success (0). */
export function statusMeaning(event: string, status: number): string | null {
  if (DRIVER_RETURN_EVENTS.has(event))
    return status === 1 ? 'done' : status === 0 ? 'refused: a state change was under way' : null;
  if (status === 0) return null;
  return completionStatusName(status) ?? 'not named by the reference';
}

/** The record's detail text with statuses named and the injected fault that explains it. */
export function readableDetail(r: TraceRecord, faults: readonly FaultRecord[] = []): string {
  const text = String(r.detail?.['text'] ?? '').replace(/\bstatus=(-?\d+)/g, (whole, n: string) => {
    const meaning = statusMeaning(r.event, Number(n));
    return meaning === null ? whole : `${whole} (${meaning})`;
  });
  const because = faultNote(r, text, faults);
  return because === null ? text : `${text}${text === '' ? '' : ' '}— ${because}`;
}

// The injected faults behind `r`: the fault itself for a lifecycle record, every fault so far on
// the partition concerned for a failure (a failed status, cp.guestFailed), else none.
function faultNote(r: TraceRecord, text: string, faults: readonly FaultRecord[]): string | null {
  const fired = faults.filter(
    (f): f is FaultRecord & { atMs: number } =>
      f.atMs !== null && f.refused === null && f.atMs <= r.atMs,
  );
  if (r.actor === `${r.partition}/lifecycle`) {
    // The latest such fault, so two injected close together each find their own.
    const own = fired
      .filter((f) => f.partition === r.partition && f.action.toUpperCase() === r.event)
      .sort((a, b) => a.atMs - b.atMs)
      .at(-1);
    if (own === undefined || r.atMs - own.atMs > INJECTED_WITHIN_MS) return null;
    return `injected fault ${own.index}`;
  }
  if (!FAILURE_EVENTS.has(r.event) && !failedStatus(r.event, text)) return null;
  const concerned = /\bguest=(\S+)/.exec(text)?.[1] ?? r.partition;
  const before = fired.filter((f) => f.partition === concerned).sort((a, b) => a.atMs - b.atMs);
  if (before.length === 0) return null;
  const list = before.map((f) => `${f.index} (${f.action})`).join(', ');
  return `after injected fault${before.length === 1 ? '' : 's'} ${list} on ${concerned}`;
}

// True when the text reports a status that is not success for its event.
function failedStatus(event: string, text: string): boolean {
  const n = /\bstatus=(-?\d+)/.exec(text)?.[1];
  if (n === undefined) return false;
  return DRIVER_RETURN_EVENTS.has(event) ? Number(n) !== 1 : Number(n) !== 0;
}
