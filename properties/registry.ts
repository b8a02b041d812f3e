// The property registry (STYLE §8): one definition of each promise serves both runners — the
// vitest file (`npm test`, fixed seed in CI, modest run count) and `spar fuzz` (any count, sharded,
// saved counterexamples, `spar replay`). A property is plain data in, violations out, so a
// counterexample is a JSON file that replays exactly.
//
// Extending: later issues append their properties to PROPERTIES (network).

import type fc from 'fast-check';
import type { TraceRecord } from '../src/partition/environment.js';
import type { Scenario } from '../src/scenario/schema.js';
import { clientBusConvergence } from './client-bus-convergence.property.js';
import { controlPlaneConvergence } from './control-plane-convergence.property.js';
import { netRecovery } from './net-recovery.property.js';
import { resetBudget } from './reset-budget.property.js';
import { ringFull } from './ring-full.property.js';
import { storageRecovery } from './storage-recovery.property.js';

/** What one case of a property did: the broken promises (none: it held) and, if any, a trace. */
export interface CaseOutcome {
  readonly violations: readonly string[];
  readonly trace: readonly TraceRecord[];
}

/** A registered property. `T` must survive a JSON round trip (counterexamples are saved). */
export interface SparProperty<T> {
  /** Kebab-case name, used by `spar fuzz NAME` and in failure file names. */
  readonly name: string;
  /** The promise, in words, as `spar list` prints it. */
  readonly promise: string;
  /** Safety (nothing bad ever happens) or liveness (something good eventually happens). */
  readonly kind: 'safety' | 'liveness';
  readonly arbitrary: fc.Arbitrary<T>;
  /** Runs one case with the named quirks switched on. */
  run(value: T, quirks: readonly string[]): CaseOutcome;
  /** The case in a few lines, for counterexample reports. */
  describe(value: T): string;
  /** Runs per `npm test`. */
  readonly testRuns: number;
  /** How a case is a scenario file (`spar replay --scenario`); absent when it cannot be one. */
  readonly asScenario?: CaseAsScenario<T>;
}

/** A property whose case runs as a scenario: the case, and its promises as expectations. */
export interface CaseAsScenario<T> {
  /** The case's scenario (its bound as `until`) and the sim seed it ran with. */
  of(value: T): { readonly scenario: Scenario; readonly seed: number };
  /**
   * For each promise (the name a violation starts with), the scenario expectation that checks
   * it, or null when none does (the property checks it where no expectation looks).
   */
  readonly expectations: Readonly<Record<string, string | null>>;
}

/** Every property, in `spar list` order. */
export const PROPERTIES: readonly SparProperty<unknown>[] = [
  controlPlaneConvergence as SparProperty<unknown>,
  clientBusConvergence as SparProperty<unknown>,
  storageRecovery as SparProperty<unknown>,
  netRecovery as SparProperty<unknown>,
  ringFull as SparProperty<unknown>,
  resetBudget as SparProperty<unknown>,
];

/** The property named `name`, or undefined. */
export function findProperty(
  name: string,
  registry: readonly SparProperty<unknown>[] = PROPERTIES,
): SparProperty<unknown> | undefined {
  return registry.find((p) => p.name === name);
}
