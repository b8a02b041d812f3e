// Any value of a machine config → JSON (issue: CLI, `spar export`). Plain data passes through;
// what JSON cannot hold (functions, class instances, cycles, bigints, symbols, NaN and ±Infinity)
// becomes an `inline:` placeholder recorded in the sink, never dropped (inline-placeholder.ts).
// `undefined` is dropped from objects, as JSON.stringify does: it means "not set" in a config.

import type { JsonValue } from './json-value.js';
import { isPlainObject } from './json-value.js';
import { inlinePlaceholder, type InlinePlaceholder } from './inline-placeholder.js';

/** Encodes `value` found at config `path`; `undefined` stays `undefined` (the key is dropped). */
export function encodeData(
  value: unknown,
  path: string,
  sink: InlinePlaceholder[],
): JsonValue | undefined {
  return encode(value, path, sink, new Set());
}

function encode(
  value: unknown,
  path: string,
  sink: InlinePlaceholder[],
  ancestors: Set<object>,
): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : inlinePlaceholder(path, 'non-finite number', sink);
  }
  if (typeof value === 'function') return inlinePlaceholder(path, functionKind(value), sink);
  if (typeof value !== 'object') return inlinePlaceholder(path, typeof value, sink);
  if (ancestors.has(value)) return inlinePlaceholder(path, 'cycle', sink);
  if (!Array.isArray(value) && !isPlainObject(value)) {
    return inlinePlaceholder(path, constructorName(value), sink);
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map(
        (item: unknown, i) => encode(item, `${path}[${i}]`, sink, ancestors) ?? null,
      );
    }
    const out: Record<string, JsonValue> = {};
    for (const [key, child] of Object.entries(value)) {
      const encoded = encode(child, path === '' ? key : `${path}.${key}`, sink, ancestors);
      if (encoded !== undefined) out[key] = encoded;
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/** `xstate.assign` and the other built-in actions carry their type; anything else is a function. */
function functionKind(fn: object): string {
  const type: unknown = (fn as { type?: unknown }).type;
  return typeof type === 'string' && type.startsWith('xstate.') ? type : 'function';
}

function constructorName(value: object): string {
  const ctor: unknown = (value as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'object';
}
