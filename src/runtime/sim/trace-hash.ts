// The fingerprint of a run (STYLE §5 "Determinism test"; reference/stack.md §7 (a)): SHA-256
// over the trace as JSON lines. Two runs with the same configuration and seed must give the
// same hash, in one process, across processes and under tsx or built JavaScript alike.
//
// Keys are written in sorted order at every depth, so the hash depends on what was recorded,
// never on the order in which some code happened to build an object literal.

import { createHash } from 'node:crypto';
import { assert } from '../../base/assert.js';
import type { TraceRecord } from '../../partition/environment.js';

/** The keys of a trace record, sorted; a record with exactly these takes the fast path. */
const RECORD_KEYS = ['actor', 'atMs', 'detail', 'event', 'partition', 'state'] as const;

/** Lines hashed per `update` call (each call crosses into native code). */
const LINES_PER_UPDATE = 256;

/**
 * One trace record as a JSON line (no trailing newline), keys sorted at every depth. Records of
 * the TraceRecord shape (the hot path: thousands per run) are written field by field in sorted
 * order; anything else goes through {@link canonicalJson}. Both give the same text.
 */
export function toJsonLine(record: TraceRecord): string {
  const keys = Object.keys(record);
  const hasDetail = record.detail !== undefined;
  const shaped =
    keys.length === (hasDetail ? 6 : 5) &&
    keys.every((k) => (RECORD_KEYS as readonly string[]).includes(k));
  if (!shaped || typeof record.atMs !== 'number') return canonicalJson(record);
  const { actor, atMs, detail, event, partition, state } = record;
  assert(Number.isFinite(atMs), `trace numbers must be finite, got ${atMs}`);
  const head = `{"actor":${JSON.stringify(actor)},"atMs":${JSON.stringify(atMs)}`;
  const tail = `"event":${JSON.stringify(event)},"partition":${JSON.stringify(partition)},"state":${JSON.stringify(state)}}`;
  return hasDetail ? `${head},"detail":${canonicalJson(detail)},${tail}` : `${head},${tail}`;
}

/** SHA-256 (hex) of the trace as JSON lines, each line ended by `\n`. */
export function traceHash(records: Iterable<TraceRecord>): string {
  const hash = createHash('sha256');
  let lines: string[] = [];
  for (const record of records) {
    lines.push(toJsonLine(record));
    if (lines.length === LINES_PER_UPDATE) {
      hash.update(`${lines.join('\n')}\n`, 'utf8');
      lines = [];
    }
  }
  if (lines.length > 0) hash.update(`${lines.join('\n')}\n`, 'utf8');
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
  const keys = Object.keys(object).sort();
  let out = '';
  for (const key of keys) {
    const value = (object as Record<string, unknown>)[key];
    if (value === undefined) continue;
    out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(value)}`;
  }
  return `{${out}}`;
}
