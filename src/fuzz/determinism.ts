// The determinism self-check (`spar fuzz --check-determinism`, STYLE §5 "Determinism test"): a
// case of a property is a pure function of its value and quirks, so running it twice in one
// process must give the same trace record for record. A mismatch is a failure of its own kind,
// the violation `nondeterministic: …`, which the campaign shrinks and saves like any other.
// Records are compared field by field (detail keys in any order), as the trace hash sees them.

import type { CaseOutcome, SparProperty } from '../../properties/registry.js';
import type { TraceRecord } from '../partition/environment.js';

/** The promise a determinism violation names (the text before its first colon). */
export const NONDETERMINISTIC = 'nondeterministic';

/** Where two traces first differ: the index, and each trace's record there (absent past its end). */
export interface Divergence {
  readonly index: number;
  readonly a?: TraceRecord;
  readonly b?: TraceRecord;
}

/** Whether two records are equal in atMs, partition, actor, event, state and detail. */
export function recordsEqual(a: TraceRecord, b: TraceRecord): boolean {
  return (
    a.atMs === b.atMs &&
    a.partition === b.partition &&
    a.actor === b.actor &&
    a.event === b.event &&
    a.state === b.state &&
    detailsEqual(a.detail, b.detail)
  );
}

function detailsEqual(a: TraceRecord['detail'], b: TraceRecord['detail']): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The first index where `a` and `b` differ (a record, or one trace ending), or null if equal. */
export function firstDivergence(
  a: readonly TraceRecord[],
  b: readonly TraceRecord[],
): Divergence | null {
  const shorter = Math.min(a.length, b.length);
  for (let index = 0; index < shorter; index++) {
    const ra = a[index] as TraceRecord;
    const rb = b[index] as TraceRecord;
    if (!recordsEqual(ra, rb)) return { index, a: ra, b: rb };
  }
  if (a.length === b.length) return null;
  const index = shorter;
  return a.length > b.length
    ? { index, a: a[index] as TraceRecord }
    : { index, b: b[index] as TraceRecord };
}

/** The violation for a divergence between a first (`a`) and a second (`b`) run. */
export function divergenceText(d: Divergence, lengthA: number, lengthB: number): string {
  const side = (r: TraceRecord | undefined, length: number): string =>
    r === undefined ? `end of trace (${length} records)` : JSON.stringify(r);
  const lengths = lengthA === lengthB ? '' : ` (traces of ${lengthA} and ${lengthB} records)`;
  return `${NONDETERMINISTIC}: first divergence at record ${d.index}${lengths}: ${side(d.a, lengthA)} vs ${side(d.b, lengthB)}`;
}

/**
 * The determinism violation of two runs of one case, or null when they agree: the first trace
 * divergence, else (same trace, judged differently) the two lists of violations.
 */
export function determinismViolation(first: CaseOutcome, second: CaseOutcome): string | null {
  const d = firstDivergence(first.trace, second.trace);
  if (d !== null) return divergenceText(d, first.trace.length, second.trace.length);
  const va = JSON.stringify(first.violations);
  const vb = JSON.stringify(second.violations);
  return va === vb
    ? null
    : `${NONDETERMINISTIC}: the same trace judged differently: ${va} vs ${vb}`;
}

/**
 * `property` with each case run twice: the first run's outcome, plus the determinism violation
 * when the second run differs. Everything else (name, arbitrary, describe) is the property's.
 */
export function checkingDeterminism<T>(property: SparProperty<T>): SparProperty<T> {
  return {
    ...property,
    run(value, quirks) {
      const first = property.run(value, quirks);
      const second = property.run(value, quirks);
      const violation = determinismViolation(first, second);
      if (violation === null) return first;
      return { violations: [...first.violations, violation], trace: first.trace };
    },
  };
}
