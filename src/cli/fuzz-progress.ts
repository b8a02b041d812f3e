// Progress of one property's campaign in `spar fuzz`: a live bar on a terminal (runs, seeds/s,
// elapsed time, ETA, shrinks), otherwise a plain line every 10% of the runs with the same figures.
// The bar hides the cursor and turns line wrap off while it draws; `stop` undoes both, so every
// way out of a campaign (done, failed, budget, Ctrl-C) must call it.

import { SingleBar } from 'cli-progress';
import type { FuzzProgress } from '../fuzz/campaign.js';

/** Where progress goes and the clock it is measured with. */
export interface ProgressSink {
  /** A terminal stream for the live bar, or null for plain lines through `out`. */
  readonly stream: NodeJS.WritableStream | null;
  readonly out: (text: string) => void;
  /** Wall clock in ms. */
  readonly now: () => number;
}

/** One property's progress display. */
export interface Progress {
  update(progress: FuzzProgress): void;
  /** Ends the display and restores the terminal (cursor shown, line wrap on). */
  stop(): void;
}

/** A display that shows nothing (`--json`). */
export const NO_PROGRESS: Progress = { update: () => {}, stop: () => {} };

/**
 * The progress of `name` over `total` runs; `deadline` (a `now()` value, or null) caps the ETA
 * when a time budget ends the campaign first.
 */
export function progressFor(
  name: string,
  total: number,
  deadline: number | null,
  sink: ProgressSink,
): Progress {
  const started = sink.now();
  const figures = (p: FuzzProgress) => progressFigures(p, total, started, deadline, sink.now());
  if (sink.stream === null) {
    const step = Math.max(1, Math.ceil(total / 10));
    let nextReport = step;
    return {
      update: (p) => {
        if (p.runs < nextReport || p.failed) return;
        const f = figures(p);
        sink.out(
          `      ${name}: ${p.runs}/${total} runs, ${f.speed} seeds/s, ${f.elapsed} elapsed, ETA ${f.eta}\n`,
        );
        nextReport += step;
      },
      stop: () => {},
    };
  }
  const bar = new SingleBar({
    format: `${name} [{bar}] {value}/{total} runs | {speed} seeds/s | {elapsedText} elapsed | ETA {etaText} | {shrinks} shrinks`,
    stream: sink.stream,
    hideCursor: true,
    clearOnComplete: true,
  });
  // Payload keys other than cli-progress's own `eta` and `duration`, which it fills itself.
  const payload = (p: FuzzProgress) => {
    const f = figures(p);
    return { speed: f.speed, elapsedText: f.elapsed, etaText: f.eta, shrinks: p.shrinks };
  };
  bar.start(total, 0, payload({ runs: 0, shrinks: 0, failed: false }));
  return {
    update: (p) => bar.update(p.runs, payload(p)),
    stop: () => bar.stop(),
  };
}

/** Seeds/s, elapsed time and ETA of a campaign at `nowMs`, as shown. */
export function progressFigures(
  p: FuzzProgress,
  total: number,
  startedMs: number,
  deadline: number | null,
  nowMs: number,
): { speed: string; elapsed: string; eta: string } {
  const elapsedMs = nowMs - startedMs;
  const perMs = p.runs / Math.max(elapsedMs, 1);
  const byRuns = p.runs === 0 ? null : (total - p.runs) / perMs;
  const byBudget = deadline === null ? null : Math.max(0, deadline - nowMs);
  const etaMs =
    byRuns === null ? byBudget : byBudget === null ? byRuns : Math.min(byRuns, byBudget);
  return {
    speed: (perMs * 1000).toFixed(1),
    elapsed: clockText(elapsedMs),
    eta: p.failed ? 'shrinking' : etaMs === null ? '?' : clockText(etaMs),
  };
}

/** A wall-time span for people: `42s`, `3m07s`, `1h02m`. */
export function clockText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
