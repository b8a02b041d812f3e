#!/usr/bin/env node
// Benchmark launcher: `npm run bench -- [name ...] [--json]` runs bench/<name>.bench.ts for each
// name (default: every bench in bench/): `channel` (signal queue vs postMessage), `storage`
// (the storage path end to end against the storage issue's targets), `net` (frames/s between
// two guests through an IOSP's switch, workers and sim), `startup` (how fast `spar` starts,
// against `node -e ""`) and `scale` (memory, threads and time per guest in each runtime;
// 20–30 minutes, so it runs only when named). Other files in bench/ are
// helpers (storage-profile.ts is run on its own, see its header). Plain JavaScript so that `node bin/bench.js` needs no
// loader flag: it registers tsx itself, and the benches start their workers through
// spawnWorker's trampoline because Node 20 workers ignore `--import` (stack.md §3).
// Exit codes as in STYLE §10: 0 done, 1 a delivery check failed, 2 usage error, 3 internal error.

import { readdirSync } from 'node:fs';
import { register } from 'tsx/esm/api';

const benchDir = new URL('../bench/', import.meta.url);
const SUFFIX = '.bench.ts';
const known = readdirSync(benchDir)
  .filter((file) => file.endsWith(SUFFIX))
  .map((file) => file.slice(0, -SUFFIX.length))
  .sort();

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const names = args.filter((a) => !a.startsWith('-'));

function usage(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

for (const flag of flags) if (flag !== '--json') usage(`unknown option ${flag} (known: --json)`);
for (const name of names) {
  if (!known.includes(name)) usage(`unknown benchmark "${name}" (known: ${known.join(', ')})`);
}

/** Benches too slow to run unless named. */
const ONLY_WHEN_NAMED = ['scale'];

register();
const json = flags.includes('--json');
const chosen = names.length > 0 ? names : known.filter((n) => !ONLY_WHEN_NAMED.includes(n));
for (const name of chosen) {
  try {
    const bench = await import(new URL(`${name}${SUFFIX}`, benchDir).href);
    await bench.run({ json });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`bench ${name}: ${message}`);
    // A failed delivery check is an expectation that did not hold; anything else is our bug.
    process.exit(error instanceof Error && error.name === 'DeliveryCheckError' ? 1 : 3);
  }
}
