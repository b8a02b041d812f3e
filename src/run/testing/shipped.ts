// The shipped scenarios as run tests load them, and the options of a sim run.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadedScenario, loadScenarioText } from '../../scenario/load.js';
import type { RunOptions } from '../run-scenario.js';

/** The repository's root. */
export const ROOT = join(import.meta.dirname, '../../..');

/** `scenarios/<name>.yaml`, loaded (a shipped scenario that does not load fails the test). */
export function loadShipped(name: string): LoadedScenario {
  const file = `scenarios/${name}.yaml`;
  const loaded = loadScenarioText(readFileSync(join(ROOT, file), 'utf8'), file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  return loaded.value;
}

/** A sim run of `untilMs` at seed 1 on a wall clock that never moves, with `over` on top. */
export function simOptions(untilMs: number, over: Partial<RunOptions> = {}): RunOptions {
  return { runtime: 'sim', seed: 1, untilMs, wallClock: () => 0, ...over };
}
