// `spar fuzz` arguments for tests: a small, seeded campaign into `failures`, with overrides.

import type { FuzzArgs } from '../fuzz-command.js';

/** 300 runs at seed 5, every property, no quirks, text output, counterexamples into `failures`. */
export function fuzzArgs(failures: string, over: Partial<FuzzArgs> = {}): FuzzArgs {
  return {
    property: undefined,
    runs: '300',
    seed: '5',
    shard: '1/1',
    timeBudget: undefined,
    quirk: [],
    json: false,
    failures,
    untilFail: false,
    checkDeterminism: false,
    ...over,
  };
}
