// Higher-order guards in and out of JSON (issue: CLI, `spar export`). XState v5's `and`, `or`,
// `not` and `stateIn` return functions that carry their operands: `check` (the evaluator) plus
// `guards` (an array, one element for `not`) or `stateValue` (node_modules/xstate/dist/raise-*.js).
// In JSON each becomes a named guard whose params hold the operands,
//
//   and(['a', not('b')])  →  { type: 'xstate.and', params: { guards: ['a', NOT_B] } }
//   not('b')              →  { type: 'xstate.not', params: { guards: ['b'] } }     (NOT_B)
//   stateIn('#draining')  →  { type: 'xstate.stateIn', params: { stateValue: '#draining' } }
//
// so Stately and any JSON reader see the whole expression as data, and `reviveGuard` turns it
// back into the XState call. Any other function guard is an `inline:` placeholder.

import { and, not, or, stateIn } from 'xstate';
import { encodeData } from './json-encode.js';
import type { JsonValue } from './json-value.js';
import { isPlainObject } from './json-value.js';
import type { InlinePlaceholder } from './inline-placeholder.js';

/** The higher-order guard helpers of XState v5, by the name `xstate` exports them under. */
export type GuardHelper = 'and' | 'or' | 'not' | 'stateIn';

/** The JSON `type` of each higher-order guard. */
export const GUARD_TYPES: Readonly<Record<GuardHelper, string>> = {
  and: 'xstate.and',
  or: 'xstate.or',
  not: 'xstate.not',
  stateIn: 'xstate.stateIn',
};

interface HigherOrderGuard {
  readonly check: unknown;
  readonly guards?: readonly unknown[];
  readonly stateValue?: unknown;
}

// The evaluators of this process's xstate; a second copy of xstate (another module instance)
// is recognised by the helper's function name instead.
const CHECKS = new Map<unknown, GuardHelper>([
  [(and([]) as unknown as HigherOrderGuard).check, 'and'],
  [(or([]) as unknown as HigherOrderGuard).check, 'or'],
  [(not('x') as unknown as HigherOrderGuard).check, 'not'],
  [(stateIn('#x') as unknown as HigherOrderGuard).check, 'stateIn'],
]);
const HELPERS = new Set<string>(['and', 'or', 'not', 'stateIn']);

/** Which higher-order guard `guard` is, or null for anything else. */
export function guardHelperOf(guard: unknown): GuardHelper | null {
  if (typeof guard !== 'function') return null;
  const { check } = guard as unknown as HigherOrderGuard;
  if (typeof check !== 'function') return null;
  const known = CHECKS.get(check);
  if (known !== undefined) return known;
  return HELPERS.has(guard.name) ? (guard.name as GuardHelper) : null;
}

/** Encodes a transition's guard at config `path`. */
export function encodeGuard(
  guard: unknown,
  path: string,
  sink: InlinePlaceholder[],
): JsonValue | undefined {
  const helper = guardHelperOf(guard);
  if (helper === null) return encodeData(guard, path, sink);
  const { guards, stateValue } = guard as unknown as HigherOrderGuard;
  const type = GUARD_TYPES[helper];
  if (helper === 'stateIn') {
    return {
      type,
      params: { stateValue: encodeData(stateValue, `${path}.stateValue`, sink) ?? null },
    };
  }
  const operands = (guards ?? []).map(
    (g, i) => encodeGuard(g, `${path}.guards[${i}]`, sink) ?? null,
  );
  return { type, params: { guards: operands } };
}

/** The helper and operands of a JSON higher-order guard, or null for any other guard. */
export function decodeGuardHelper(
  json: unknown,
): { helper: GuardHelper; operands: readonly unknown[] } | null {
  if (!isPlainObject(json) || !isPlainObject(json['params'])) return null;
  const helper = (Object.keys(GUARD_TYPES) as GuardHelper[]).find(
    (h) => GUARD_TYPES[h] === json['type'],
  );
  if (helper === undefined) return null;
  const params = json['params'];
  if (helper === 'stateIn') return { helper, operands: [params['stateValue']] };
  const guards = params['guards'];
  if (!Array.isArray(guards) || (helper === 'not' && guards.length !== 1)) return null;
  return { helper, operands: guards };
}

/** Turns a JSON guard back into what XState takes: `xstate.and` objects into `and([...])` calls. */
export function reviveGuard(json: unknown): unknown {
  const decoded = decodeGuardHelper(json);
  if (decoded === null) return json;
  const operands = decoded.operands.map(reviveGuard) as never[];
  switch (decoded.helper) {
    case 'and':
      return and(operands);
    case 'or':
      return or(operands);
    case 'not':
      return not(operands[0] as never);
    case 'stateIn':
      return stateIn(decoded.operands[0] as never);
  }
}
