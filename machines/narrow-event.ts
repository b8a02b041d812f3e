// The one event-narrowing helper of the machines (STYLE §4 "start event-specific actions and
// guards with assertEvent"). Choice: `narrowEvent` rather than bare `assertEvent` or per-machine
// wrappers. It IS XState's `assertEvent` (same check, same error on a wrong type: a bug in the
// config, caught at the first step) but returns the narrowed event, so a guard stays one
// expression and an action can destructure at once: `const { tag } = narrowEvent(event, 'X')`.
// `assertEvent` narrows only as a statement, and its intersection type does not simplify inside
// generic helpers, hence the cast here, once.

import { assertEvent } from 'xstate';

/** `event` narrowed to `types`; throws if it is of another type. */
export function narrowEvent<E extends { readonly type: string }, T extends E['type']>(
  event: E,
  types: T | readonly T[],
): Extract<E, { type: T }> {
  const unnarrowed: E = event;
  assertEvent(event, typeof types === 'string' ? types : [...types]);
  return unnarrowed as Extract<E, { type: T }>;
}
