// Start-up benchmark (issue 13, "fast start"): how long the `spar` command takes from the shell,
// now that it runs the bundle in dist/ (bin/build.js). Each is timed from spawn to exit, median of
// several runs, and also as a ratio to (B), the cost of starting Node itself, measured in the same
// rounds (each round runs every command once, so load on the VM moves them all alike):
//   (H) `spar --help`: `node bin/spar.js --help`, target under 0.5 s;
//   (S) `npm start` without npm: `node bin/spar.js run`, the default scenario in worker threads
//       (four workers, boot to quiescence), target under 2 s; its run must pass;
//   (N) `npm start` itself, npm's own start-up included;
//   (T) `spar --help` from the TypeScript sources through tsx, what bin/spar.js ran before;
//   (B) the baseline: `node -e ""`.
// Beside wall time, CPU seconds (user + system, the command and its threads and children, from
// /proc/self/stat on Linux): this 2-core VM is shared, and under load wall time mostly measures
// the wait for a core while CPU time barely moves. An untimed warm-up run first builds dist/ if
// it is stale. Run with
// `npm run bench -- startup [--json]`.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/base/package-root.js';
import { formatTable, machineInfo, median, type MachineInfo } from './bench-report.js';
import { type BenchOptions, DeliveryCheckError } from './channel.bench.js';

const ROOT = packageRoot();
const SPAR = join(ROOT, 'bin', 'spar.js');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Command {
  readonly id: string;
  readonly name: string;
  readonly argv: readonly string[];
  /** Timed runs; the slow ones run in fewer rounds. */
  readonly runs: number;
  /** Seconds, or null where the issue sets none. */
  readonly targetSeconds: number | null;
  /** Text the output must hold, so that a broken command is not timed as a fast one. */
  readonly mustPrint: string;
}

const COMMANDS: readonly Command[] = [
  {
    id: 'B',
    name: 'node -e ""',
    argv: [process.execPath, '-e', ''],
    runs: 10,
    targetSeconds: null,
    mustPrint: '',
  },
  {
    id: 'H',
    name: 'spar --help',
    argv: [process.execPath, SPAR, '--help'],
    runs: 10,
    targetSeconds: 0.5,
    mustPrint: 'Usage: spar',
  },
  {
    id: 'S',
    name: 'node bin/spar.js run',
    argv: [process.execPath, SPAR, 'run'],
    runs: 5,
    targetSeconds: 2,
    mustPrint: 'verdict: pass',
  },
  {
    id: 'N',
    name: 'npm start',
    argv: [NPM, 'start'],
    runs: 3,
    targetSeconds: null,
    mustPrint: 'verdict: pass',
  },
  {
    id: 'T',
    name: 'spar --help through tsx',
    argv: [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), '--help'],
    runs: 3,
    targetSeconds: null,
    mustPrint: 'Usage: spar',
  },
];

/** One command's result. */
export interface StartupMeasurement {
  /** B, H, S, N, T as in the header comment. */
  readonly id: string;
  readonly name: string;
  /** Wall seconds of each timed run, in run order. */
  readonly runs: readonly number[];
  /** Median of `runs`: the reported value. */
  readonly medianSeconds: number;
  /** `medianSeconds` over (B)'s median. */
  readonly ratioToNode: number;
  /** CPU seconds of each timed run (null off Linux). */
  readonly cpuRuns: readonly number[] | null;
  /** Median of `cpuRuns`. */
  readonly medianCpuSeconds: number | null;
  readonly targetSeconds: number | null;
}

// Linux's USER_HZ: the unit of /proc's CPU times.
const CLOCK_TICKS_PER_SECOND = 100;

// CPU seconds of this process's waited-for children so far (cutime + cstime), or null.
function childrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name's closing parenthesis start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

interface Timing {
  readonly wallSeconds: number;
  readonly cpuSeconds: number | null;
}

// One run from spawn to exit; throws if the command failed or did not print `mustPrint`.
function timeOnce(command: Command): Timing {
  const [file, ...args] = command.argv as [string, ...string[]];
  const cpuBefore = childrenCpuSeconds();
  const started = process.hrtime.bigint();
  const result = spawnSync(file, args, { cwd: ROOT, encoding: 'utf8', env: process.env });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = childrenCpuSeconds();
  if (result.status !== 0 || !result.stdout.includes(command.mustPrint)) {
    const why = result.error?.message ?? `exit ${result.status}: ${result.stderr.trim()}`;
    throw new DeliveryCheckError(`${command.name}: ${why.split('\n')[0]}`);
  }
  const cpuSeconds = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  return { wallSeconds, cpuSeconds };
}

/** Times every command, interleaved round by round. */
export function measure(progress: (line: string) => void): StartupMeasurement[] {
  progress('warm-up: one untimed `spar --help` (builds dist/ if it is stale) ...');
  timeOnce(COMMANDS[1] as Command);
  const runs = new Map(COMMANDS.map((c) => [c.id, [] as Timing[]]));
  const rounds = Math.max(...COMMANDS.map((c) => c.runs));
  for (let round = 1; round <= rounds; round++) {
    progress(`round ${round} of ${rounds} ...`);
    for (const command of COMMANDS) {
      if (round <= command.runs) runs.get(command.id)?.push(timeOnce(command));
    }
  }
  const baseline = median((runs.get('B') ?? []).map((t) => t.wallSeconds));
  return COMMANDS.map((c) => {
    const timings = runs.get(c.id) ?? [];
    const wall = timings.map((t) => t.wallSeconds);
    const cpu = timings.every((t) => t.cpuSeconds !== null)
      ? timings.map((t) => t.cpuSeconds as number)
      : null;
    return {
      id: c.id,
      name: c.name,
      runs: wall,
      medianSeconds: median(wall),
      ratioToNode: median(wall) / baseline,
      cpuRuns: cpu,
      medianCpuSeconds: cpu === null ? null : median(cpu),
      targetSeconds: c.targetSeconds,
    };
  });
}

function printTable(results: readonly StartupMeasurement[], machine: MachineInfo, load: number[]) {
  console.log(
    `startup: ${machine.cpuModel}, ${machine.nproc} CPUs, Node ${machine.node}, load average ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const rows = results.map((r) => [
    `(${r.id}) ${r.name}`,
    `${r.medianSeconds.toFixed(3)} s`,
    `${r.ratioToNode.toFixed(1)}×`,
    r.medianCpuSeconds === null ? '—' : `${r.medianCpuSeconds.toFixed(2)} s`,
    r.targetSeconds === null ? '—' : `< ${r.targetSeconds} s`,
    `${Math.min(...r.runs).toFixed(3)}–${Math.max(...r.runs).toFixed(3)} s (${r.runs.length} runs)`,
  ]);
  console.log(formatTable(['command', 'median', '× node', 'CPU', 'target', 'range'], rows));
}

/** Runs the bench; prints a table, or JSON with `--json`. */
export async function run(options: BenchOptions): Promise<readonly StartupMeasurement[]> {
  const machine = machineInfo();
  const loadAverage = os.loadavg();
  const results = measure((line) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  });
  if (options.json) {
    console.log(JSON.stringify({ bench: 'startup', machine, loadAverage, results }, null, 2));
  } else {
    printTable(results, machine, loadAverage);
  }
  return results;
}
