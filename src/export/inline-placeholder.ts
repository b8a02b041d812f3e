// What an inline function in a machine config becomes in the export (issue: CLI, `spar export`).
// JSON has no functions and Stately's importer shows only named implementations, yet an inline
// function must not silently vanish. So each one becomes a named reference
//
//   { type: 'inline:<config path>', params: { was: '<what it was>' } }
//
// at the place it stood: `inline:context` for a `context: ({ input }) => ...` factory,
// `inline:states.running.on.GO[0].guard` for an inline guard, and so on. `was` is `function`, the
// built-in action it was (`xstate.assign`, `xstate.emit`, ...), or the kind of value that has no
// JSON form (`StateMachine`, `cycle`, `bigint`, `non-finite number`). XState accepts the
// reference as it stands (an action or guard of that name can be supplied with `provide()`), and
// Stately shows it as a named action or guard. STYLE §4 keeps machine configs to names, so in
// spar-sim's own machines only the `context` factories become placeholders.

import type { JsonObject } from './json-value.js';

/** The prefix of every placeholder's `type`. */
export const INLINE_PREFIX = 'inline:';

/** One inline value replaced by a placeholder: where it was and what it was. */
export interface InlinePlaceholder {
  /** Config path, dotted keys and `[index]`: `context`, `states.a.on.GO[1].actions[0]`. */
  readonly path: string;
  /** `function`, a built-in action type such as `xstate.assign`, or a kind of non-JSON value. */
  readonly was: string;
}

/** The placeholder for an inline value at `path`, recorded in `sink`. */
export function inlinePlaceholder(
  path: string,
  was: string,
  sink: InlinePlaceholder[],
): JsonObject {
  sink.push({ path, was });
  return { type: `${INLINE_PREFIX}${path}`, params: { was } };
}

/** True for a value `inlinePlaceholder` made (or an equal one read back from JSON). */
export function isInlinePlaceholder(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const type: unknown = (value as { type?: unknown }).type;
  return typeof type === 'string' && type.startsWith(INLINE_PREFIX);
}
