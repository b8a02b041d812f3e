// CPU profile of the storage benchmark's hot paths, for deciding what to optimise (not a bench:
// bin/bench.js does not run it). `node --import tsx bench/storage-profile.ts seeds|iops [top]`
// starts a child `node --cpu-prof` that runs only that part of storage.bench.ts, the same
// scenario and size:
//   seeds  (1): the recovery scenario, 5 warm-up seeds and then 40 more, on the main thread;
//   iops   (3): one worker-runtime run of the QD-32 workload (every worker thread is profiled);
// then prints, per profiled thread with real work, the `top` (default 5) functions by self time,
// and the `top` files by self time (all of xstate counted as one).
// Module loading (Node's loader, tsx, esbuild: each worker compiles the sources at start-up) is
// counted apart and left out of the tables. Positions are of tsx's output, so only the
// function and file are shown. The .cpuprofile files stay in the printed directory (Chrome
// DevTools and speedscope read them).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from './bench-report.js';
import { FULL_SIZE, iopsShape, recoveryShape, runIops, runRecoverySeeds } from './storage.bench.js';
import { loadStorageScenario } from './storage-scenarios.js';

const PARTS = ['seeds', 'iops'] as const;
type Part = (typeof PARTS)[number];
const PROFILED_SEEDS = 40;
const WARM_UP_SEEDS = 5;

/** The subset of a V8 .cpuprofile this reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's self time in one thread's profile. */
export interface SelfTime {
  readonly fn: string;
  readonly file: string;
  readonly ms: number;
  /** Share of the thread's busy time. */
  readonly share: number;
}

/** A thread's profile reduced to what the report needs. */
export interface ThreadSummary {
  readonly file: string;
  /** Guessed from the code it ran: main, cp, iosp, guest or loader. */
  readonly thread: string;
  /** Everything but idle and start-up. */
  readonly busyMs: number;
  /** Module loading and compiling (tsx): start-up, left out of busy and of the tables. */
  readonly startUpMs: number;
  readonly gcMs: number;
  readonly top: readonly SelfTime[];
  /** The same by file (xstate's files as one): where the time goes, coarser. */
  readonly topFiles: readonly Omit<SelfTime, 'fn'>[];
}

const NOT_FUNCTIONS = new Set(['(idle)', '(program)', '(root)', '(garbage collector)']);
/** Frames of module loading (Node's loader, tsx, esbuild): the start-up of a thread. */
const START_UP =
  /^node:internal\/(modules|bootstrap|deps\/cjs-module-lexer)|\/node_modules\/(tsx|esbuild)\//;

// The partition a worker served, from the host code it ran (by self time in its files).
const THREAD_MARKS: readonly (readonly [string, RegExp])[] = [
  [
    'guest',
    /src\/partition\/guest-host\.ts|src\/kinds\/vhba\/storage-stack\.ts|machines\/(block-workload|scsi-midlayer|virthba)\./,
  ],
  ['iosp', /src\/partition\/iosp-host\.ts|machines\/iosp\.|src\/kinds\/vhba\/(scsi-|disk)/],
  [
    'cp',
    /src\/partition\/(command-host|controlvm-cp-port)\.ts|machines\/(command-partition|iosp-recovery)\./,
  ],
];

/** Self time per function of one profile, the `top` largest first. */
export function summarise(
  profile: CpuProfile,
  file: string,
  top: number,
  mainThread: boolean,
): ThreadSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const perFunction = new Map<string, { fn: string; file: string; us: number }>();
  const marks = new Map<string, number>();
  let busyUs = 0;
  let startUpUs = 0;
  let gcUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined || frame.functionName === '(idle)') continue;
    if (START_UP.test(frame.url)) {
      startUpUs += us;
      continue;
    }
    busyUs += us;
    if (frame.functionName === '(garbage collector)') gcUs += us;
    if (NOT_FUNCTIONS.has(frame.functionName)) continue;
    const fileName =
      frame.url === ''
        ? '(native)'
        : frame.url
            .replace(/^file:\/\//, '')
            .replace(/^.*\/(src|machines|bench|node_modules)\//, '$1/');
    const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const key = `${fn} ${fileName}`;
    const entry = perFunction.get(key) ?? { fn, file: fileName, us: 0 };
    entry.us += us;
    perFunction.set(key, entry);
    for (const [thread, re] of THREAD_MARKS)
      if (re.test(frame.url)) marks.set(thread, (marks.get(thread) ?? 0) + us);
  }
  const guessed = [...marks].sort((a, b) => b[1] - a[1])[0]?.[0];
  const thread = mainThread ? 'main' : (guessed ?? 'loader');
  const rows = [...perFunction.values()].sort((a, b) => b.us - a.us).slice(0, top);
  const perFile = new Map<string, number>();
  for (const r of perFunction.values()) {
    const key = r.file.startsWith('node_modules/xstate/') ? 'node_modules/xstate/ (all)' : r.file;
    perFile.set(key, (perFile.get(key) ?? 0) + r.us);
  }
  const share = (us: number) => (busyUs === 0 ? 0 : us / busyUs);
  const files = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    file,
    thread,
    busyMs: busyUs / 1000,
    startUpMs: startUpUs / 1000,
    gcMs: gcUs / 1000,
    top: rows.map((r) => ({ fn: r.fn, file: r.file, ms: r.us / 1000, share: share(r.us) })),
    topFiles: files.map(([file, us]) => ({ file, ms: us / 1000, share: share(us) })),
  };
}

async function child(part: Part): Promise<void> {
  if (part === 'seeds') {
    const { ops, until } = FULL_SIZE.recovery;
    const loaded = loadStorageScenario(recoveryShape(ops, until, '30ms', 'recovery'));
    runRecoverySeeds(loaded, 1, WARM_UP_SEEDS);
    const { wallMs } = runRecoverySeeds(loaded, WARM_UP_SEEDS + 1, PROFILED_SEEDS);
    console.log(
      `profiled: ${PROFILED_SEEDS} seeds in ${(wallMs / 1000).toFixed(1)} s (${((PROFILED_SEEDS / wallMs) * 1000).toFixed(2)} seeds/s under the profiler)`,
    );
  } else {
    const r = await runIops(loadStorageScenario(iopsShape(FULL_SIZE.iops.ops)), 1);
    console.log(
      `profiled: ${r.completed} requests in ${(r.spanMs / 1000).toFixed(1)} s (${r.iops.toFixed(0)} IOPS under the profiler)`,
    );
  }
}

function parent(part: Part, top: number): void {
  const dir = mkdtempSync(join(tmpdir(), `spar-prof-${part}-`));
  const self = fileURLToPath(import.meta.url);
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const args = ['--cpu-prof', '--cpu-prof-dir', dir, '--import', 'tsx', self, '--child', part];
  const result = spawnSync(process.execPath, args, { cwd: repo, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`profiled child exited with ${result.status ?? result.signal}`);
  // Node names the files CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is main.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const summaries = files
    .map((f) =>
      summarise(
        JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile,
        f,
        top,
        /\.\d+\.0\.\d+\.cpuprofile$/.test(f),
      ),
    )
    .filter((s) => s.thread !== 'loader' && s.busyMs > 100);
  console.log(`profiles in ${dir}`);
  for (const s of summaries) {
    const gc = `GC ${s.gcMs.toFixed(0)} ms (${((100 * s.gcMs) / s.busyMs).toFixed(1)}%)`;
    const startUp = `start-up ${s.startUpMs.toFixed(0)} ms left out`;
    console.log(
      `\n${s.thread} thread (${s.file}): busy ${s.busyMs.toFixed(0)} ms (${startUp}), ${gc}; top ${top} functions by self time:`,
    );
    const rows = s.top.map((t, i) => [
      `${i + 1}`,
      t.fn,
      t.file,
      `${t.ms.toFixed(0)} ms`,
      `${(100 * t.share).toFixed(1)}%`,
    ]);
    console.log(formatTable(['#', 'function', 'file', 'self', 'of busy'], rows));
    console.log(`by file:`);
    const fileRows = s.topFiles.map((t, i) => [
      `${i + 1}`,
      t.file,
      `${t.ms.toFixed(0)} ms`,
      `${(100 * t.share).toFixed(1)}%`,
    ]);
    console.log(formatTable(['#', 'file', 'self', 'of busy'], fileRows));
  }
}

const argv = process.argv.slice(2);
const childPart = argv[0] === '--child' ? argv[1] : undefined;
const part = (childPart ?? argv[0]) as Part;
if (!PARTS.includes(part)) {
  console.error(`usage: node --import tsx bench/storage-profile.ts ${PARTS.join('|')} [top]`);
  process.exit(2);
}
if (childPart !== undefined) await child(part);
else parent(part, Number(argv[1] ?? 5));
