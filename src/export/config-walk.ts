// A walk over an XState v5 machine config that knows where guards stand (issue: CLI, `spar
// export`). Guards are the one place where a config holds functions that do have a faithful
// literal form (`and([...])`, `not(...)`, `stateIn(...)`), so the JSON encoder, the Stately
// renderer and the JSON reviver share this walk and differ only in what they do with a guard
// and with everything else ("data": ids, targets, actions, context, descriptions, ...).
//
// Guards stand in transitions, and transitions stand under `on.<event>`, `after.<delay>`,
// `always`, `onDone`, and an invoke's `onDone`, `onError` and `onSnapshot`; a transition is a
// target string, an object, or an array of either. Walking by position, not by key name, keeps
// a state or event that happens to be called `guard` from being taken for one.

import { isPlainObject } from './json-value.js';

/** What to do with each part of a config; `undefined` drops the key. */
export interface ConfigVisitor {
  /** A transition's `guard`. */
  guard(value: unknown, path: string): unknown;
  /** Any other value, whole (its own functions, arrays and objects included). */
  data(value: unknown, path: string): unknown;
}

const TRANSITION_MAPS = new Set(['on', 'after']);
const TRANSITION_LISTS = new Set(['always', 'onDone']);
const INVOKE_TRANSITIONS = new Set(['onDone', 'onError', 'onSnapshot']);

/** Maps a state node config (the machine config is the root one); returns a new plain object. */
export function mapStateNode(node: unknown, path: string, visitor: ConfigVisitor): unknown {
  if (!isPlainObject(node)) return visitor.data(node, path);
  return mapEntries(node, path, (key, value, at) => {
    if (key === 'states') {
      return mapRecord(
        value,
        at,
        (child, childAt) => mapStateNode(child, childAt, visitor),
        visitor,
      );
    }
    if (TRANSITION_MAPS.has(key)) {
      return mapRecord(
        value,
        at,
        (transitions, tAt) => mapTransitions(transitions, tAt, visitor),
        visitor,
      );
    }
    if (TRANSITION_LISTS.has(key)) return mapTransitions(value, at, visitor);
    if (key === 'invoke')
      return mapMaybeArray(value, at, (invoke, iAt) => mapInvoke(invoke, iAt, visitor));
    return visitor.data(value, at);
  });
}

function mapTransitions(value: unknown, path: string, visitor: ConfigVisitor): unknown {
  return mapMaybeArray(value, path, (transition, at) => {
    if (!isPlainObject(transition)) return visitor.data(transition, at);
    return mapEntries(transition, at, (key, v, keyAt) =>
      key === 'guard' ? visitor.guard(v, keyAt) : visitor.data(v, keyAt),
    );
  });
}

function mapInvoke(invoke: unknown, path: string, visitor: ConfigVisitor): unknown {
  if (!isPlainObject(invoke)) return visitor.data(invoke, path);
  return mapEntries(invoke, path, (key, value, at) =>
    INVOKE_TRANSITIONS.has(key) ? mapTransitions(value, at, visitor) : visitor.data(value, at),
  );
}

function mapRecord(
  value: unknown,
  path: string,
  each: (child: unknown, at: string) => unknown,
  visitor: ConfigVisitor,
): unknown {
  if (!isPlainObject(value)) return visitor.data(value, path);
  return mapEntries(value, path, (_key, child, at) => each(child, at));
}

function mapMaybeArray(
  value: unknown,
  path: string,
  each: (item: unknown, at: string) => unknown,
): unknown {
  if (!Array.isArray(value)) return each(value, path);
  return value.map((item: unknown, i) => each(item, `${path}[${i}]`) ?? null);
}

function mapEntries(
  object: Record<string, unknown>,
  path: string,
  each: (key: string, value: unknown, at: string) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const mapped = each(key, value, path === '' ? key : `${path}.${key}`);
    if (mapped !== undefined) out[key] = mapped;
  }
  return out;
}
