// A property case's scenario, loaded as `spar run` would load a file (the recovery properties
// build theirs from a case; a case that does not make a valid configuration is a bug there).

import type { LoadedScenario } from '../src/scenario/load.js';
import { checkReferences } from '../src/scenario/references.js';
import type { Scenario } from '../src/scenario/schema.js';

/** `scenario` with `quirks` on, checked and loaded as property `property`'s; throws if invalid. */
export function loadCaseScenario(
  property: string,
  scenario: Scenario,
  quirks: readonly string[],
): LoadedScenario {
  const withQuirks = { ...scenario, quirks: [...quirks] };
  const { config, errors } = checkReferences(withQuirks);
  if (config === null)
    throw new Error(
      `${property} built an invalid scenario: ${errors.map((e) => `${e.path.join('.')}: ${e.message}`).join('; ')}`,
    );
  return { file: `${property}.property`, name: property, scenario: withQuirks, config };
}
