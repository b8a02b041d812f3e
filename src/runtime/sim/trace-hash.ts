// The fingerprint of a run (STYLE §5 "Determinism test"; reference/stack.md §7 (a)): SHA-256
// over the trace as JSON lines. Two runs with the same configuration and seed must give the
// same hash, in one process, across processes and under tsx or built JavaScript alike.
//
// Keys are written in sorted order at every depth, so the hash depends on what was recorded,
// never on the order in which some code happened to build an object literal.

import { createHash } from 'node:crypto';
import { assert } from '../../base/assert.js';
import type { TraceRecord } from '../../partition/environment.js';

/** One trace record as a JSON line (no trailing newline), keys sorted at every depth. */
export function toJsonLine(record: TraceRecord): string {
  return canonicalJson(record);
}

/** SHA-256 (hex) of the trace as JSON lines, each line ended by `\n`. */
export function traceHash(records: Iterable<TraceRecord>): string {
  const hash = createHash('sha256');
  for (const record of records) hash.update(`${toJsonLine(record)}\n`, 'utf8');
  const hex = hash.digest('hex');
  assert(hex.length === 64, 'a SHA-256 digest has 64 hex digits');
  return hex;
}

/**
 * JSON with object keys sorted and `undefined` properties left out (as JSON.stringify does).
 * Only plain data is accepted: a function, bigint or non-finite number in a trace is a bug.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      assert(Number.isFinite(value), `trace numbers must be finite, got ${value}`);
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value);
    default:
      assert(false, `a trace cannot hold a ${typeof value}`);
  }
}

function canonicalArray(items: readonly unknown[]): string {
  return `[${items.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
}

function canonicalObject(object: object): string {
  const entries = Object.entries(object)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
