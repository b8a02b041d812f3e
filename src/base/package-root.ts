// The directory of spar-sim's package.json, found by walking up from this module: the same
// answer whether the code runs from its TypeScript sources or from a build in dist/, which sit
// at different depths. Shipped data (scenarios/) is found relative to it.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assert } from './assert.js';

let root: string | undefined;

/** The package root of spar-sim. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'spar-sim'
    ) {
      root = dir;
      return dir;
    }
    assert(dirname(dir) !== dir, 'spar-sim runs from inside its package');
  }
}
