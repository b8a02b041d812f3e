// Narrowing a machine's event union to the types an action or guard expects, asserting it: a
// wrong type is a bug in the machine's config, caught at the first step (XState's assertEvent
// checks, but its generic narrowing does not simplify, hence the cast).

import { assertEvent } from 'xstate';

/** `event` narrowed to `types`; throws if it is of another type. */
export function narrowEvent<E extends { readonly type: string }, T extends E['type']>(
  event: E,
  types: T | T[],
): Extract<E, { type: T }> {
  const unnarrowed: E = event;
  assertEvent(event, types);
  return unnarrowed as Extract<E, { type: T }>;
}
