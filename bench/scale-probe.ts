// One measurement of the scale benchmark (scale.bench.ts), in a process of its own so that its
// memory and threads are the run's alone: `node --import tsx bench/scale-probe.ts RUNTIME GUESTS
// UNTIL [source|built]` runs the scale scenario of GUESTS guests (scale-scenarios.ts) once at seed
// 1 and prints one JSON line (ProbeResult). `built` runs the runtime from `dist/` (`npm run
// build`), so its worker threads load JavaScript; `source` (the default) from the TypeScript
// sources through tsx, as `spar` does today, so every worker also carries tsx's loader thread.
// Memory is the process's resident set (every worker thread's heap is in it); the peak is the
// larger of what a 50 ms sampler saw and the kernel's maxRSS (the sim runtime blocks its thread, so
// only the kernel sees its peak). Threads are sampled from /proc/self/status (Linux only; 0
// elsewhere).

import { readFileSync } from 'node:fs';
import { judge } from '../src/run/expectations.js';
import type { RunResult } from '../src/run/run-sim.js';
import { loadScaleScenario } from './scale-scenarios.js';

/** Where the runtime's code comes from. */
export type Code = 'source' | 'built';

/** What one probe prints. */
export interface ProbeResult {
  readonly runtime: 'sim' | 'workers';
  /** Where the runtime's code came from: TypeScript through tsx, or `dist/`. */
  readonly code: Code;
  readonly guests: number;
  /** Partitions of the scenario: the guests, the IOSP and the command partition. */
  readonly partitions: number;
  /** Resident set before the run (this process with spar-sim loaded), bytes. */
  readonly baseRssBytes: number;
  /** Peak resident set during the run, bytes. */
  readonly peakRssBytes: number;
  /** Workers: the largest resident set sampled until every partition was running, bytes. */
  readonly bootRssBytes: number | null;
  /** Most threads the process had at once. */
  readonly peakThreads: number;
  /** Workers: when the last partition of the first boot was running, ms after the run began. */
  readonly bootMs: number | null;
  /** The whole run, boot and shutdown included, wall ms. */
  readonly wallMs: number;
  /** The run's own time: virtual ms (sim) or wall ms after boot (workers). */
  readonly runMs: number;
  readonly events: number;
  /** True when every expectation held and nothing inside spar-sim failed. */
  readonly pass: boolean;
  /** Why not, when it did not pass. */
  readonly problem: string | null;
}

/** `[VmRSS bytes, Threads]` of this process from /proc/self/status, or zeros where absent. */
function procStatus(): { rssBytes: number; threads: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rssBytes: field('VmRSS') * 1024, threads: field('Threads') };
  } catch {
    return { rssBytes: process.memoryUsage.rss(), threads: 0 };
  }
}

/** The first time every partition was running (a BOOTED record of each), or null. */
function bootMs(result: RunResult, partitions: number): number | null {
  const booted = new Map<string, number>();
  for (const r of result.trace) {
    if (r.actor === `${r.partition}/lifecycle` && r.event === 'BOOTED' && !booted.has(r.partition))
      booted.set(r.partition, r.atMs);
  }
  return booted.size < partitions ? null : Math.max(...booted.values());
}

// The two runtimes' entry points, from the sources or from `dist/` (plain data crosses between
// the two copies: the loaded scenario in, the run's result out).
async function runtimes(code: Code): Promise<{
  runSim: typeof import('../src/run/run-sim.js').runSim;
  runWorkers: typeof import('../src/run/run-workers.js').runWorkers;
}> {
  const from = code === 'built' ? '../dist/src/run/' : '../src/run/';
  const ext = code === 'built' ? '.js' : '.ts';
  const sim = await import(new URL(`${from}run-sim${ext}`, import.meta.url).href);
  const workers = await import(new URL(`${from}run-workers${ext}`, import.meta.url).href);
  return { runSim: sim.runSim, runWorkers: workers.runWorkers };
}

async function probe(
  runtime: 'sim' | 'workers',
  guests: number,
  until: string,
  code: Code,
): Promise<ProbeResult> {
  const { runSim, runWorkers } = await runtimes(code);
  const loaded = loadScaleScenario(guests, until);
  const partitions = loaded.config.partitions.length;
  const base = procStatus();
  const samples: { atMs: number; rssBytes: number; threads: number }[] = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    samples.push({ atMs: performance.now() - started, ...procStatus() });
  }, 50);
  const result =
    runtime === 'sim'
      ? runSim(loaded, 1, loaded.scenario.until)
      : await runWorkers(loaded, 1, loaded.scenario.until);
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  const end = procStatus();
  const booted = runtime === 'workers' ? bootMs(result, partitions) : null;
  const upTo = (atMs: number) => samples.filter((s) => s.atMs <= atMs);
  const most = (list: typeof samples, key: 'rssBytes' | 'threads') =>
    Math.max(0, ...list.map((s) => s[key]));
  const failed = judge(loaded.scenario.expect, result.observation).filter((e) => !e.ok);
  const problem =
    result.failure !== null
      ? `internal failure: ${result.failure.message}`
      : failed.length > 0
        ? failed.map((e) => `${e.name}: ${e.detail}`).join('; ')
        : null;
  return {
    runtime,
    code,
    guests,
    partitions,
    baseRssBytes: base.rssBytes,
    peakRssBytes: Math.max(
      most(samples, 'rssBytes'),
      end.rssBytes,
      process.resourceUsage().maxRSS * 1024,
    ),
    bootRssBytes: booted === null ? null : most(upTo(booted), 'rssBytes'),
    peakThreads: Math.max(most(samples, 'threads'), end.threads),
    bootMs: booted,
    wallMs: Math.round(wallMs),
    runMs: Math.round(result.virtualMs),
    events: result.events,
    pass: problem === null,
    problem,
  };
}

const [runtime, guests, until, code = 'source'] = process.argv.slice(2);
if (
  (runtime !== 'sim' && runtime !== 'workers') ||
  guests === undefined ||
  until === undefined ||
  (code !== 'source' && code !== 'built')
) {
  console.error(
    'usage: node --import tsx bench/scale-probe.ts sim|workers GUESTS UNTIL [source|built]',
  );
  process.exit(2);
}
console.log(JSON.stringify(await probe(runtime, Number(guests), until, code)));
// Workers the run left behind would keep the process alive; the measurement is done.
process.exit(0);
