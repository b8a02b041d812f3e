// What `spar run` prints while a run runs: the records it selects (a summary by default, the
// full or filtered timeline on request), each fault as it fires, and progress — a live status
// line on a terminal, a plain line every PLAIN_PROGRESS_MS otherwise, both on stderr so that
// stdout stays the run's output.

import type { TraceRecord } from '../partition/environment.js';
import { CHANNEL_QUARANTINED } from '../partition/channel-quarantine.js';
import type { FaultRecord } from '../run/faults.js';
import type { RunProgress, RunWatch } from '../run/watch.js';
import { formatMs } from '../base/format-time.js';
import { formatRecord, QUIET_EVENTS } from './timeline.js';

/** Which records a run prints as they happen. */
export interface RecordSelection {
  /** `summary`: partition state changes and milestones; `timeline`: every record; `none`. */
  readonly mode: 'summary' | 'timeline' | 'none';
  /** Only records of these partitions (empty: all). */
  readonly partitions: readonly string[];
  /** Only records whose actor systemId contains one of these (empty: all). */
  readonly actors: readonly string[];
  /** Only records whose printed line matches. */
  readonly grep: RegExp | null;
}

// The summary: partition lifecycle changes, the command partition's milestones, the
// hypervisor's own actions, workloads and ping flows ending, channels quarantined. Everything else is --timeline's.
const SUMMARY_EVENTS: ReadonlySet<string> = new Set([
  'cp.guestReady',
  'cp.guestFailed',
  'cp.bringUpDone',
  'hypervisor.reboot',
  'workload.finished',
  'ping.flowDone',
  CHANNEL_QUARANTINED,
]);

/** True when the summary shows `record`. */
function inSummary(record: TraceRecord): boolean {
  return record.actor.endsWith('/lifecycle') || SUMMARY_EVENTS.has(record.event);
}

/** True when `selection` prints `record`; `line` gives its plain line (read only by --grep). */
export function selects(
  selection: RecordSelection,
  record: TraceRecord,
  line: () => string,
): boolean {
  if (selection.mode === 'none' || QUIET_EVENTS.has(record.event)) return false;
  if (selection.mode === 'summary' && !inSummary(record)) return false;
  if (selection.partitions.length > 0 && !selection.partitions.includes(record.partition))
    return false;
  if (selection.actors.length > 0 && !selection.actors.some((a) => record.actor.includes(a)))
    return false;
  return selection.grep === null || selection.grep.test(line());
}

/** Where the stream writes, and what it may draw. */
export interface StreamIo {
  out(text: string): void;
  err(text: string): void;
  /** Progress text (stderr in the CLI; tests keep it apart from the errors). */
  progress(text: string): void;
  readonly colour: boolean;
  /** stderr is a terminal: progress is a live line redrawn in place. */
  readonly interactive: boolean;
  readonly now: () => number;
}

/** How often progress is written off a terminal, and redrawn on one. */
const PLAIN_PROGRESS_MS = 5_000;
const LIVE_PROGRESS_MS = 100;

/** A run's live output: give {@link RunStream.watch} to the run, call `end` when it returns. */
export class RunStream {
  private shown = 0;
  private quiet = 0;
  private liveLine = false;
  private lastProgress: number;
  private readonly started: number;
  /** The faults fired so far: the records they explain say so. */
  private readonly fired: FaultRecord[] = [];

  constructor(
    private readonly io: StreamIo,
    private readonly selection: RecordSelection,
    /** The runtime's unit of `atMs`, for the progress line. */
    private readonly clock: 'virtual' | 'wall',
    private readonly signal?: AbortSignal,
  ) {
    this.started = io.now();
    this.lastProgress = this.started;
  }

  /** The hooks to give the run. */
  watch(): RunWatch {
    return {
      onRecord: (r) => this.record(r),
      onFault: (f) => this.fault(f),
      onProgress: (p) => this.progress(p),
      ...(this.signal === undefined ? {} : { signal: this.signal }),
    };
  }

  /** Records printed so far. */
  get printed(): number {
    return this.shown;
  }

  /** Clears the live line; returns how many records recur every poll and were not listed. */
  end(): number {
    this.clearLive();
    return this.quiet;
  }

  private record(r: TraceRecord): void {
    if (QUIET_EVENTS.has(r.event)) {
      if (this.selection.mode === 'timeline') this.quiet++;
      return;
    }
    const faults = this.fired;
    if (!selects(this.selection, r, () => formatRecord(r, { colour: false, faults }))) return;
    this.write(`${formatRecord(r, { colour: this.io.colour, faults })}\n`);
    this.shown++;
  }

  // Told as the fault fires (refused null), and again if it was refused.
  private fault(f: FaultRecord): void {
    const before = this.fired.findIndex((x) => x.index === f.index);
    if (before === -1) this.fired.push(f);
    else this.fired[before] = f;
    if (this.selection.mode === 'none') return;
    this.write(`${faultLine(f)}\n`);
  }

  private progress(p: RunProgress): void {
    const now = this.io.now();
    const every = this.io.interactive ? LIVE_PROGRESS_MS : PLAIN_PROGRESS_MS;
    if (now - this.lastProgress < every) return;
    this.lastProgress = now;
    const text = progressText(p, this.clock, (now - this.started) / 1000);
    if (this.io.interactive) {
      this.io.progress(`\r\u001b[2K${text}`);
      this.liveLine = true;
    } else {
      this.io.progress(`spar run: ${text}\n`);
    }
  }

  private write(text: string): void {
    this.clearLive();
    this.io.out(text);
  }

  private clearLive(): void {
    if (!this.liveLine) return;
    this.io.progress('\r\u001b[2K');
    this.liveLine = false;
  }
}

/** A fault as the run output shows it. */
export function faultLine(f: FaultRecord): string {
  const what = `fault ${f.index}: ${f.action} ${f.partition}`;
  if (f.atMs === null) return `note  ${what}: never fired`;
  const at = formatMs(f.atMs);
  return f.refused === null
    ? `note  ${what}: fired at ${at}`
    : `note  ${what}: refused at ${at} (${f.refused})`;
}

function progressText(p: RunProgress, clock: 'virtual' | 'wall', wallS: number): string {
  if (p.booting !== undefined)
    return `booting partition ${p.booting.booted + 1} of ${p.booting.of} (one worker thread each) · ${wallS.toFixed(1)} s`;
  const rate = wallS > 0 ? Math.round(p.events / wallS) : 0;
  const what = clock === 'virtual' ? 'events' : 'records';
  return `${clock} time ${formatMs(p.atMs)} · ${p.events.toLocaleString('en-US')} ${what} (${rate.toLocaleString('en-US')}/s) · faults ${p.faultsFired}/${p.faultsTotal} · ${wallS.toFixed(1)} s`;
}
