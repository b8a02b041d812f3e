// Watching a sim run (`spar run`) never changes it: driven in slices with the event loop given a
// turn between them, it runs the same events in the same order (same trace hash) as unwatched;
// the watcher sees every record as it is made, every fault as it fires, and an abort stops it.

import { describe, expect, test } from 'vitest';
import type { TraceRecord } from '../partition/environment.js';
import type { FaultRecord } from './faults.js';
import { runScenario } from './run-scenario.js';
import { loadShipped, simOptions } from './testing/shipped.js';
import type { RunProgress } from './watch.js';

describe('a watched sim run', () => {
  test('has the trace hash of the unwatched run, and the watcher saw every record, every fault and progress', async () => {
    const loaded = loadShipped('iosp-reboot-storage');
    const plain = await runScenario(loaded, simOptions(2_000));
    const seen: TraceRecord[] = [];
    const faults: FaultRecord[] = [];
    const progress: RunProgress[] = [];
    // A clock that moves 30 ms per reading makes the run take many slices of virtual time.
    let wall = 0;
    const watched = await runScenario(
      loaded,
      simOptions(2_000, {
        wallClock: () => (wall += 30),
        watch: {
          onRecord: (r) => seen.push(r),
          onFault: (f) => faults.push(f),
          onProgress: (p) => progress.push(p),
        },
      }),
    );
    expect(watched.report.traceHash).toBe(plain.report.traceHash);
    expect(seen).toEqual(watched.trace);
    expect(faults.map((f) => [f.index, f.atMs, f.refused])).toEqual(
      plain.report.faultLog.map((f) => [f.index, f.atMs, f.refused]),
    );
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)).toMatchObject({ atMs: 2_000, faultsFired: 3, faultsTotal: 3 });
    expect(watched.report.verdict).toBe('pass');
  });

  test('an abort ends it early: verdict interrupted, nothing judged, what ran kept', async () => {
    const loaded = loadShipped('iosp-reboot-storage');
    const abort = new AbortController();
    let wall = 0;
    const { report, trace } = await runScenario(
      loaded,
      simOptions(2_000, {
        wallClock: () => (wall += 30),
        watch: {
          signal: abort.signal,
          onProgress: (p) => {
            if (p.atMs >= 100) abort.abort();
          },
        },
      }),
    );
    expect(report.verdict).toBe('interrupted');
    expect(report.expectations).toEqual([]);
    expect(report.stats.virtualMs).toBeGreaterThanOrEqual(100);
    expect(report.stats.virtualMs).toBeLessThan(2_000);
    expect(trace.length).toBeGreaterThan(0);
    expect(trace.every((r) => r.atMs <= report.stats.virtualMs)).toBe(true);
  });
});
