// Programmer-error assertions (STYLE §6, §7). Always on, in every run: a broken invariant in our
// own code stops the run with a crash verdict instead of silently corrupting a simulation.

/** Thrown only for bugs in spar-sim itself, never for hostile input (that gets typed errors). */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Throws an {@link AssertionError} when `condition` is false. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch the type checker proves unreachable. */
export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
