// A bug inside spar-sim caught while a run was going (STYLE §10: exit 3 with what ran so far).
// Plain data, so a worker thread can hand it to the main thread.

import { formatMs } from './format-time.js';

/** Where and when a run failed from the inside, and the error that did it. */
export interface InternalFailure {
  /** The actor's systemId or the scheduled event's label (`guest1/guest-partition`). */
  readonly where: string;
  /** Run time (virtual in sim, wall in workers) when it was caught. */
  readonly atMs: number;
  readonly message: string;
  /** The error's stack, for the bug report (empty when the thrown value was not an Error). */
  readonly stack: string;
}

/** Thrown where a run's {@link InternalFailure} must fail its caller (a property's case). */
export class InternalFailureError extends Error {
  override readonly name = 'InternalFailureError';
  constructor(readonly failure: InternalFailure) {
    super(
      `a bug inside spar-sim, in ${failure.where} at ${formatMs(failure.atMs)}: ${failure.message}`,
    );
    if (failure.stack !== '') this.stack = failure.stack;
  }
}

/** `error` (anything thrown) as an {@link InternalFailure} caught in `where` at `atMs`. */
export function internalFailure(error: unknown, where: string, atMs: number): InternalFailure {
  if (error instanceof Error) {
    return { where, atMs, message: error.message, stack: error.stack ?? '' };
  }
  return { where, atMs, message: String(error), stack: '' };
}
