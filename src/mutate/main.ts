// `npm run mutate`: runs the mutation catalogue (catalogue.ts) and prints, per mutant, which
// property, scenario or stress test killed it and how long that took, or that it survived; with
// --json one JSON object instead. Each mutant runs in a temporary copy of the tree, never the
// working tree; Ctrl-C stops the running check and removes the copy. Exit 0 when every mutant
// was killed, 1 when one survived or its patch does not apply, 2 on a usage error.

import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { fileURLToPath } from 'node:url';
import { CATALOGUE } from './catalogue.js';
import { killGroup, runningChildren } from './killers.js';
import type { Mutant } from './mutant.js';
import { type MutantResult, runCatalogue } from './runner.js';
import { formatResults } from './table.js';
import { liveCopies, removeCopy } from './tree-copy.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
}

function parse(argv: readonly string[]) {
  const program = new Command('mutate')
    .description('Run the mutation catalogue against the properties and shipped scenarios.')
    .option('--only <names>', 'comma-separated mutant names', (v) => v.split(','))
    .option('--runs <n>', 'runs per fuzzed property', positive, 150)
    .option('--seed <n>', 'campaign seed of every fuzz killer', positive, 20261208)
    .option('--timeout <s>', 'seconds before a killer is stopped', positive, 600)
    .option('--unit', "also run each mutant's unit tests (reported apart)", false)
    .option('--list', 'list the catalogue and exit', false)
    .option('--json', 'print one JSON object at the end', false)
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  program.parse(argv, { from: 'user' });
  return program.opts<{
    only?: string[];
    runs: number;
    seed: number;
    timeout: number;
    unit: boolean;
    list: boolean;
    json: boolean;
  }>();
}

function select(only: readonly string[] | undefined): readonly Mutant[] | string {
  if (only === undefined) return CATALOGUE;
  const unknown = only.filter((n) => !CATALOGUE.some((m) => m.name === n));
  if (unknown.length > 0) return `--only: no mutant named ${unknown.join(', ')}`;
  return CATALOGUE.filter((m) => only.includes(m.name));
}

// Ctrl-C: stop the running check's process group and remove the copy; the working tree was never
// touched, so nothing else needs restoring.
function onInterrupt(): void {
  for (const pid of runningChildren) killGroup(pid);
  for (const dir of liveCopies) removeCopy(dir);
  process.stderr.write('mutate: interrupted; temporary copies removed\n');
  process.exit(130);
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: ReturnType<typeof parse>;
  try {
    opts = parse(argv);
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return 0;
    process.stderr.write(`mutate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const mutants = select(opts.only);
  if (typeof mutants === 'string') {
    process.stderr.write(`mutate: ${mutants}\n`);
    return 2;
  }
  if (opts.list) {
    for (const m of mutants) process.stdout.write(`${m.name}: ${m.breaks}\n`);
    return 0;
  }
  process.on('SIGINT', onInterrupt);
  const { runs, seed, unit } = opts;
  // Progress goes to stderr under --json, so stdout stays one JSON object.
  const say = (line: string) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
  say(`mutate: ${mutants.length} mutants, ${runs} runs per property, seed ${seed}`);
  const results: MutantResult[] = await runCatalogue(mutants, {
    root: ROOT,
    runs,
    seed,
    unit,
    timeoutMs: opts.timeout * 1000,
    onStart: (m) => say(`… ${m.name}`),
    onResult: (r) => say(`  ${r.verdict}${r.killedBy === null ? '' : `: ${r.killedBy}`}`),
  });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ runs, seed, results }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${formatResults(results, unit)}\n`);
  }
  return results.every((r) => r.verdict === 'killed') ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
