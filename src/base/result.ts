// Result values for hostile or wrong input (STYLE §6 class 2): decoders and validators return
// these instead of throwing, so a caller can never forget that bytes from another partition lie.

/** Success with a value. */
export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}

/** Failure with a typed error. */
export interface Err<E> {
  readonly ok: false;
  readonly error: E;
}

/** Either a value or a typed error. */
export type Result<T, E> = Ok<T> | Err<E>;

/** Wraps a value. */
export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

/** Wraps an error. */
export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}
