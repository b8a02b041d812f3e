// Completion ledger: every request completes to its workload exactly once, and failures are
// explicit and explained (spar-protocol.md §4.2 "Guarantee to the guest (vhba)", §4.6: a pause
// completes what is outstanding with DID_RESET, the midlayer retries it within its budget). Fed
// the workloads' and midlayers' counters; says nothing about which runtime counted them.
//
// A failed request is explained by a medium error a disk returned (an operation that touched a
// disk-error range) or by an exhausted retry budget (one per SD_MAX_RETRIES resets retried);
// more failures than those explain are `unexplained-failure`, a finding of exactly-once-completion
// (choice: one promise, "completions are exactly once and explicit", rather than a new name).
//
// A request still unanswered at the end of a run is `overdue` (liveness) unless the run ended
// within COMPLETION_BOUND_MS of its submission or of the moment the last fault healed.

import { SD_MAX_RETRIES } from '../../machines/scsi-midlayer.logic.js';
import { formatMs } from '../base/format-time.js';

/** A guest's completion totals over its workloads and midlayers (the run's `IoStats` is one). */
export interface CompletionTotals {
  readonly submitted: number;
  /** Succeeded plus failed, as the workloads saw them. */
  readonly completed: number;
  readonly failed: number;
  /** Resubmissions after DID_RESET. */
  readonly retried: number;
  /** Completions a midlayer received for a request already completed. */
  readonly duplicateCompletions: number;
  /** Workloads, and those that finished every request. */
  readonly workloads: number;
  readonly finished: number;
}

/** One workload's completion counters (its ledger's `counts`). */
export interface WorkloadCompletion {
  readonly name: string;
  readonly finished: boolean;
  readonly counts: {
    readonly submitted: number;
    readonly succeeded: number;
    readonly failed: number;
    /** REQUEST_DONE for an id that was not outstanding. */
    readonly unknownDones: number;
    /** Read-backs of a recovered ledger after a reboot: submitted, but not of the planned ops. */
    readonly recoveryReads?: number;
  };
}

/** A way exactly-once completion or the failure accounting was broken. */
export type CompletionFinding =
  | { readonly kind: 'duplicate-completion'; readonly count: number }
  | { readonly kind: 'never-completed'; readonly missing: number; readonly submitted: number }
  | { readonly kind: 'unknown-answer'; readonly workload: string; readonly count: number }
  | {
      /** A finished workload did not submit what it planned, or not complete all it submitted. */
      readonly kind: 'incomplete-finish';
      readonly workload: string;
      readonly submitted: number;
      readonly planned: number | undefined;
      readonly completed: number;
    }
  | {
      /** Requests unanswered at the end, submitted and outstanding past the bound since healing. */
      readonly kind: 'overdue';
      readonly count: number;
      /** The oldest one's submission (ms), and the bound (ms). */
      readonly oldestMs: number;
      readonly boundMs: number;
    }
  | {
      readonly kind: 'unexplained-failure';
      readonly failed: number;
      readonly diskErrors: number;
      readonly exhaustedBudgets: number;
      readonly retried: number;
    };

/** The findings {@link completionFindings} makes from a guest's totals. */
export type GuestCompletionFinding = Extract<
  CompletionFinding,
  { readonly kind: 'duplicate-completion' | 'never-completed' }
>;

/**
 * A guest's exactly-once findings: duplicate completions, then requests never completed although
 * every workload finished.
 */
export function completionFindings(t: CompletionTotals): GuestCompletionFinding[] {
  const out: GuestCompletionFinding[] = [];
  if (t.duplicateCompletions > 0)
    out.push({ kind: 'duplicate-completion', count: t.duplicateCompletions });
  if (t.finished === t.workloads && t.completed !== t.submitted)
    out.push({
      kind: 'never-completed',
      missing: t.submitted - t.completed,
      submitted: t.submitted,
    });
  return out;
}

/**
 * One workload's exactly-once findings: answers for requests not outstanding, then a finish that
 * did not submit `plannedOps` requests or did not complete each it submitted.
 */
export function workloadCompletionFindings(
  w: WorkloadCompletion,
  plannedOps: number | undefined,
): CompletionFinding[] {
  const out: CompletionFinding[] = [];
  const c = w.counts;
  if (c.unknownDones > 0)
    out.push({ kind: 'unknown-answer', workload: w.name, count: c.unknownDones });
  const completed = c.succeeded + c.failed;
  const scheduled = c.submitted - (c.recoveryReads ?? 0);
  if (w.finished && (scheduled !== plannedOps || completed !== c.submitted))
    out.push({
      kind: 'incomplete-finish',
      workload: w.name,
      submitted: scheduled,
      planned: plannedOps,
      completed,
    });
  return out;
}

/**
 * How long a request may stay unanswered at the end of a run, from its submission or from when the
 * last fault healed (whichever is later), before it counts as never completed: sd's command
 * timeout (`SD_TIMEOUT`, 30 s, `drivers/scsi/sd.h`), after which Linux would abort it. While an
 * IOSP is down the midlayer's host is blocked and its requests wait without limit (the stated
 * outage), so the bound starts again when the last fault healed.
 */
export const COMPLETION_BOUND_MS = 30_000;

/**
 * The overdue finding for requests unanswered at `endMs` (their submissions, ms), null when each
 * was submitted, or the last fault healed (`healedAtMs`, null: none), less than `boundMs` before.
 */
export function overdueRequests(
  outstandingSinceMs: readonly number[],
  endMs: number,
  healedAtMs: number | null,
  boundMs = COMPLETION_BOUND_MS,
): CompletionFinding | null {
  const overdue = outstandingSinceMs.filter(
    (startMs) => endMs - Math.max(startMs, healedAtMs ?? 0) >= boundMs,
  );
  if (overdue.length === 0) return null;
  return { kind: 'overdue', count: overdue.length, oldestMs: Math.min(...overdue), boundMs };
}

/** Retry budgets exhausted by `retried` resets (each request may be retried SD_MAX_RETRIES times). */
export function exhaustedRetryBudgets(retried: number): number {
  return Math.floor(retried / SD_MAX_RETRIES);
}

/**
 * The failure accounting: null when a guest's `failed` requests are at most the `diskErrors` its
 * disks returned plus its exhausted retry budgets, else the unexplained-failure finding.
 */
export function failureAccounting(
  t: Pick<CompletionTotals, 'failed' | 'retried'>,
  diskErrors: number,
): CompletionFinding | null {
  const exhaustedBudgets = exhaustedRetryBudgets(t.retried);
  if (t.failed <= diskErrors + exhaustedBudgets) return null;
  return {
    kind: 'unexplained-failure',
    failed: t.failed,
    diskErrors,
    exhaustedBudgets,
    retried: t.retried,
  };
}

/** A disk-error fault that fired: the next `times` operations on a range of `disk` fail. */
export interface FiredDiskError {
  readonly disk: string;
  readonly times: number;
}

/**
 * The most medium errors `fired` can have caused on `disks`: every operation each fault could
 * fail (for a runtime that cannot read the disks' own count of the errors they returned).
 */
export function diskErrorsBound(
  fired: readonly FiredDiskError[],
  disks: readonly string[],
): number {
  return fired.reduce((n, f) => n + (disks.includes(f.disk) ? f.times : 0), 0);
}

/** One finding of guest `g` in words (the `spar run` detail and the property's violation). */
export function completionText(g: string, f: CompletionFinding): string {
  switch (f.kind) {
    case 'duplicate-completion':
      return `${g}: ${f.count} duplicate completion(s)`;
    case 'never-completed':
      return `${g}: ${f.missing} of ${f.submitted} request(s) never completed`;
    case 'overdue':
      return `${g}: ${f.count} request(s) never completed, the oldest submitted at ${formatMs(f.oldestMs)}, outstanding past the ${formatMs(f.boundMs)} bound`;
    case 'unknown-answer':
      return `${g}: ${f.count} answer(s) for ${f.workload} requests not outstanding`;
    case 'incomplete-finish':
      return `${g}: ${f.workload} finished with ${f.submitted} of ${f.planned} submitted, ${f.completed} completed`;
    case 'unexplained-failure':
      return `${g}: ${f.failed} request(s) failed, but disk errors on its disks explain at most ${f.diskErrors} and exhausted retry budgets ${f.exhaustedBudgets} (${f.retried} resets retried)`;
  }
}
