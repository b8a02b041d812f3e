// The checks a scenario can expect of its storage (the vhba kind; spar-protocol.md §4.2 "Guarantee
// to the guest"), judged on the run's `io` section with src/check's oracles, which the
// storage-recovery property shares.

import {
  answeredTargets,
  type CompletionFinding,
  completionFindings,
  completionText,
  failureAccounting,
  overdueRequests,
  storageIsolationFindings,
  storageIsolationText,
  unfinishedWork,
} from '../../check/index.js';
import type { Observation } from '../../run/observation.js';
import type { KindExpectation } from '../kind.js';
import { sharedTargets } from './hardware.js';
import { type IoStats, totalIo } from './report.js';

/** The storage isolation findings of every guest, as lines. */
export function storageIsolationLines(o: Observation): string[] {
  return Object.entries(o.io).flatMap(([g, io]) =>
    storageIsolationFindings(io.scans, (iosp) => sharedTargets(o.config, iosp, g)).map((f) =>
      storageIsolationText(g, f),
    ),
  );
}

/**
 * A guest's exactly-once-completion findings: duplicates, requests never completed (every workload
 * finished, or unanswered past the bound), and failures no disk error or spent budget explains.
 */
export function completionProblems(io: IoStats, healedAtMs: number | null): CompletionFinding[] {
  const overdue =
    io.atMs === null ? null : overdueRequests(io.outstandingSinceMs, io.atMs, healedAtMs);
  const unexplained = failureAccounting(io, io.diskErrors);
  return [
    ...completionFindings(io),
    ...(overdue === null ? [] : [overdue]),
    ...(unexplained === null ? [] : [unexplained]),
  ];
}

/** The vhba kind's expectations, by name. */
export const VHBA_EXPECTATIONS: Readonly<Record<string, KindExpectation>> = {
  'no-lost-writes': {
    description:
      'After the run every block holds the last acknowledged write to it, or a later unacknowledged one.',
    kind: 'safety',
    judge: (o) => {
      const problems = Object.entries(o.io).flatMap(([g, io]) => [
        ...(io.lostAckedWrites > 0
          ? [`${g}: ${io.lostAckedWrites} block(s) lost an acknowledged write`]
          : []),
        ...(io.staleReads > 0
          ? [`${g}: ${io.staleReads} read(s) returned data older than an acknowledged write`]
          : []),
      ]);
      return {
        ok: problems.length === 0,
        detail:
          problems.length === 0
            ? `every block holds its last acknowledged write (${totalIo(Object.values(o.io)).succeeded} requests succeeded)`
            : problems.join(', '),
      };
    },
  },
  'exactly-once-completion': {
    description:
      'Every workload request completed exactly once: never twice, never lost (none still unanswered at the end past the 30 s SCSI timeout since its submission or the last fault healed), and failed only for a cause the run injected (a disk error, a retry budget spent).',
    kind: 'safety',
    judge: (o) => {
      const problems = Object.entries(o.io).flatMap(([g, io]) =>
        completionProblems(io, o.faultsHealedAtMs).map((f) => completionText(g, f)),
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
  'storage-isolation': {
    description:
      "Each guest's vhba shows exactly the disks shared with it: its scan finds each shared disk at its address and no other, and a READ to an address with no disk is answered no-disk.",
    kind: 'safety',
    judge: (o) => {
      const problems = storageIsolationLines(o);
      const answered = answeredTargets(Object.values(o.io).flatMap((io) => io.scans));
      // No target answered: nothing was checked, which must not pass.
      if (answered === 0 && problems.length === 0)
        return { ok: false, detail: 'no guest scanned a vhba target: nothing to judge' };
      return {
        ok: problems.length === 0,
        detail:
          problems.length === 0
            ? `${answered} scanned target(s) showed exactly the shared disks`
            : problems.join(', '),
      };
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
