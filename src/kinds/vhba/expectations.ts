// The checks a scenario can expect of its storage (the vhba kind; spar-protocol.md §4.2 "Guarantee
// to the guest"), judged on the run's `io` section with src/check's oracles, which the
// storage-recovery property shares.

import { completionFindings, unfinishedWork } from '../../check/index.js';
import type { KindExpectation } from '../kind.js';
import { totalIo } from './report.js';

/** The vhba kind's expectations, by name. */
export const VHBA_EXPECTATIONS: Readonly<Record<string, KindExpectation>> = {
  'no-lost-writes': {
    description:
      'After the run every block holds the last acknowledged write to it, or a later unacknowledged one.',
    kind: 'safety',
    judge: (o) => {
      const lost = Object.entries(o.io).filter(([, io]) => io.lostAckedWrites > 0);
      return {
        ok: lost.length === 0,
        detail:
          lost.length === 0
            ? `every block holds its last acknowledged write (${totalIo(Object.values(o.io)).succeeded} requests succeeded)`
            : lost
                .map(([g, io]) => `${g}: ${io.lostAckedWrites} block(s) lost an acknowledged write`)
                .join(', '),
      };
    },
  },
  'exactly-once-completion': {
    description: 'Every workload request completed exactly once: never twice, never lost.',
    kind: 'safety',
    judge: (o) => {
      const problems = Object.entries(o.io).flatMap(([g, io]) =>
        completionFindings(io).map((f) =>
          f.kind === 'duplicate-completion'
            ? `${g}: ${f.count} duplicate completion(s)`
            : `${g}: ${f.missing} request(s) never completed`,
        ),
      );
      const all = totalIo(Object.values(o.io));
      return {
        ok: problems.length === 0,
        detail:
          problems.length === 0
            ? `${all.completed} of ${all.submitted} requests completed, each once`
            : problems.join(', '),
      };
    },
    // The first command virthba completes a second time (same driver, same tag); a request that
    // never completed has no record to point at.
    locate: (trace) => {
      const seen = new Set<string>();
      for (const [i, r] of trace.entries()) {
        if (r.event !== 'scsi.complete') continue;
        const key = `${r.actor} ${String(r.detail?.['text'])}`;
        if (seen.has(key)) return i;
        seen.add(key);
      }
      return undefined;
    },
  },
  'io-resumes': {
    description:
      'Every workload finished all its requests by the time limit (IO resumed after every fault).',
    kind: 'liveness',
    judge: (o) => {
      const stuck = Object.entries(o.io).flatMap(([g, io]) => {
        const left = unfinishedWork(io, io.workloads);
        return left === null ? [] : [{ g, left }];
      });
      const all = totalIo(Object.values(o.io));
      return {
        ok: stuck.length === 0,
        detail:
          stuck.length === 0
            ? `${all.finished} workload(s) finished (${all.retried} retries after resets)`
            : stuck
                .map(
                  ({ g, left }) =>
                    `${g}: ${left.unfinished} workload(s) unfinished, ${left.outstanding} request(s) outstanding`,
                )
                .join(', '),
      };
    },
  },
};
