// Runs one killer in a mutated copy and reads its verdict from the exit code, as CI would:
// `spar` exits 1 when a property or expectation fails and 3 when the simulator itself broke (both
// kill the mutant: the check saw it), 2 on a usage error (the catalogue is wrong, not the code);
// vitest exits 1 when a test fails. A killer that outlives its timeout is stopped and counted.

import { spawn } from 'node:child_process';
import type { Killer } from './mutant.js';

/** The mutation run's budget, shared by every fuzz killer that names none of its own. */
export interface KillerBudget {
  /** Runs per property for a fuzz killer without its own `runs`. */
  readonly runs: number;
  /** The campaign seed of every fuzz killer (fixed, so a verdict replays). */
  readonly seed: number;
  /** Wall-clock limit per killer, in milliseconds. */
  readonly timeoutMs: number;
}

/** What a killer did to a mutant. `broken` means the killer itself could not run (exit 2). */
export type KillerVerdict = 'killed' | 'crashed' | 'timeout' | 'survived' | 'broken';

/** One killer's outcome: verdict, wall time in ms and the last line it printed. */
export interface KillerOutcome {
  readonly killer: string;
  readonly verdict: KillerVerdict;
  readonly ms: number;
  readonly lastLine: string;
}

/** The command line of `killer` (argv, run from the tree's root). */
export function killerArgv(killer: Killer, budget: KillerBudget): readonly string[] {
  const spar = ['node', 'bin/spar.js'];
  const seed = String(budget.seed);
  switch (killer.kind) {
    case 'fuzz':
    case 'determinism': {
      const runs = String(killer.runs ?? budget.runs);
      const extra = killer.kind === 'determinism' ? ['--check-determinism'] : [];
      const base = [...spar, 'fuzz', killer.property, '--runs', runs, '--seed', seed];
      return [...base, ...extra, '--failures', '.mutant-failures'];
    }
    case 'run':
      return [
        ...spar,
        'run',
        `scenarios/${killer.scenario}.yaml`,
        ...['--runtime', 'sim', '--quiet', '--seed', `${killer.seed ?? 1}`],
      ];
    case 'test':
      return ['node', 'node_modules/vitest/vitest.mjs', 'run', killer.file];
    case 'canary':
      return ['node', 'node_modules/vitest/vitest.mjs', 'run', killer.file, '-t', killer.test];
    case 'command':
      return killer.argv;
  }
}

/** A short label: `fuzz storage-recovery`, `run iosp-reboot-storage`, `test FILE`. */
export function killerLabel(killer: Killer): string {
  switch (killer.kind) {
    case 'fuzz':
      return `fuzz ${killer.property}`;
    case 'determinism':
      return `determinism ${killer.property}`;
    case 'run':
      return `run ${killer.scenario}`;
    case 'test':
      return `test ${killer.file}`;
    case 'canary':
      return `canary ${killer.quirk}`;
    case 'command':
      return killer.label;
  }
}

/** The children running now, so that Ctrl-C can stop them (their process groups). */
export const runningChildren = new Set<number>();

/** Runs `killer` in `dir` and classifies its exit. */
export function runKiller(
  dir: string,
  killer: Killer,
  budget: KillerBudget,
): Promise<KillerOutcome> {
  const [command, ...args] = killerArgv(killer, budget);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command ?? 'false', args, {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0', CI: 'true' },
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, budget.timeoutMs);
    if (child.pid !== undefined) runningChildren.add(child.pid);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) runningChildren.delete(child.pid);
      const verdict = timedOut ? 'timeout' : verdictOf(code);
      const lastLine = tail.trim().split('\n').pop() ?? '';
      resolve({ killer: killerLabel(killer), verdict, ms: performance.now() - started, lastLine });
    });
  });
}

/** Stops a child's whole process group (spar's workers, vitest's forks); gone already is fine. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already exited.
  }
}

function verdictOf(code: number | null): KillerVerdict {
  if (code === 0) return 'survived';
  if (code === 1) return 'killed';
  if (code === 2) return 'broken';
  return 'crashed';
}
