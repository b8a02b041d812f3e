// A test helper shared by the machine tests: narrowing a lookup the test expects to succeed, with
// an assertion (STYLE §7) rather than a non-null `!` that would hide a wrong expectation.

import { assert } from '../../src/base/assert.js';

/** `value`, which the test expects to be there. */
export function defined<T>(value: T | undefined): T {
  assert(value !== undefined, 'the test expects a value here');
  return value;
}
