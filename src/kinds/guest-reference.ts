// A kind's scenario check of a name that must be a guest's (a disk's `sharedWith`, a ping's `to`;
// src/kinds/<kind>/scenario.ts), with one wording for every kind.
// Choice: it lives here rather than beside the core's checks in src/scenario/references.ts, which
// loads the registry (src/kinds/index.ts) at start-up: a kind importing it would close a cycle.

import type { Scenario } from '../scenario/schema.js';

/**
 * Why `name` does not name a guest of `scenario` (it names another kind of partition, or none), or
 * null when it does; `orElse` says what else the name may be (`"outside"`), in the second case.
 */
export function guestProblem(scenario: Scenario, name: string, orElse?: string): string | null {
  // The last partition of that name: a name used twice is an error of its own (validateConfig).
  const partition = scenario.partitions.findLast((p) => p.name === name);
  if (partition === undefined) {
    const hint = orElse === undefined ? '' : ` (a guest, or ${orElse})`;
    return `no partition named "${name}"${hint}`;
  }
  return partition.kind === 'guest' ? null : `"${name}" is a ${partition.kind}, not a guest`;
}
