// A machine's `machine.config` → the JSON of `<id>.json`, and back (issue: CLI, `spar export`).
// `createMachine(json)` gives a machine with the same states, initial states and transitions
// (targets, guards, actions, delays by name) as the original; `reviveConfig(json)` first turns
// higher-order guards back into `and([...])` calls, so the guards also evaluate as before once
// the named implementations are supplied. Inline functions become `inline:` placeholders and
// are listed (inline-placeholder.ts).

import type { AnyStateMachine } from 'xstate';
import { mapStateNode } from './config-walk.js';
import { encodeGuard, reviveGuard } from './guards.js';
import { encodeData } from './json-encode.js';
import type { JsonObject } from './json-value.js';
import { isPlainObject } from './json-value.js';
import type { InlinePlaceholder } from './inline-placeholder.js';
import { assert } from '../base/assert.js';

/** A config as JSON, with the inline values that became placeholders. */
export interface ConfigJson {
  readonly config: JsonObject;
  /** In config order; empty when the config referenced every implementation by name. */
  readonly placeholders: readonly InlinePlaceholder[];
}

/** `machine.config` as JSON. */
export function machineConfigJson(machine: AnyStateMachine): ConfigJson {
  return configJson(machine.config);
}

/** A machine config (as given to `createMachine`) as JSON. */
export function configJson(config: unknown): ConfigJson {
  assert(isPlainObject(config), 'a machine config is a plain object');
  const placeholders: InlinePlaceholder[] = [];
  const encoded = mapStateNode(config, '', {
    guard: (value, path) => encodeGuard(value, path, placeholders),
    data: (value, path) => encodeData(value, path, placeholders),
  });
  assert(isPlainObject(encoded), 'an encoded config is a plain object');
  return { config: encoded as JsonObject, placeholders };
}

/** A JSON config ready for `createMachine`, higher-order guards revived as XState calls. */
export function reviveConfig(json: JsonObject): Record<string, unknown> {
  const revived = mapStateNode(json, '', {
    guard: (value) => reviveGuard(value),
    data: (value) => value,
  });
  assert(isPlainObject(revived), 'a revived config is a plain object');
  return revived;
}
