// Scale benchmark (issue 13, "limits"): how many guests each runtime holds on this machine. For
// each size it runs the scale scenario (scale-scenarios.ts: N guests, each with its own disk and a
// 200-request workload, under one IOSP that reboots once) in a fresh process (scale-probe.ts), and
// reports the peak resident set, the most threads, the boot time (workers) and the wall time, and
// whether the run held every expectation within its time limit. Per row it prints the growth of the
// resident set per partition (src/run/limits.ts takes the largest of the passing rows), and per
// runtime the least-squares slope of peak RSS over partitions beside it. Workers run from the
// sources through tsx (as `spar` does today) and, when `dist/` holds a build (`npm run build`),
// from JavaScript too. A full run takes 20–30 minutes on a 2-vCPU VM; it is not run in CI. (A sim
// run of 1000 guests took 33 minutes and ended at the sim's trace limit, docs/performance.md; it is
// left out.) Memory is what the limit rests on; times swing with the machine's load. Run with `npm
// run bench -- scale [--json]`.

import { execFile } from 'node:child_process';
import os from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatTable, machineInfo } from './bench-report.js';
import type { BenchOptions } from './channel.bench.js';
import type { Code, ProbeResult } from './scale-probe.js';

/** Guests per workers run; the scenario's time limit (wall time after boot). */
export const WORKERS_SIZES = [2, 8, 16, 32, 64] as const;
export const WORKERS_UNTIL = '30s';
/** Guests per sim run; the scenario's time limit (virtual time). */
export const SIM_SIZES = [10, 100, 300] as const;
export const SIM_UNTIL = '1s';
/** A probe that runs longer than this is stopped and counted as failed. */
const PROBE_TIMEOUT_MS = 20 * 60_000;

const PROBE = fileURLToPath(new URL('./scale-probe.ts', import.meta.url));
const BUILT = new URL('../dist/src/run/run-workers.js', import.meta.url);
const MB = 1024 * 1024;

// One probe in a fresh process (its memory is the run's alone).
function runProbe(
  runtime: 'sim' | 'workers',
  guests: number,
  until: string,
  code: Code,
): Promise<ProbeResult> {
  const args = ['--import', 'tsx', PROBE, runtime, String(guests), until, code];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: PROBE_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`probe ${runtime} ${guests} ${code}: ${error.message} ${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ProbeResult);
    });
  });
}

/** Least-squares slope of peak RSS over partitions, bytes per partition. */
export function bytesPerPartition(rows: readonly ProbeResult[]): number {
  const n = rows.length;
  const mx = rows.reduce((a, r) => a + r.partitions, 0) / n;
  const my = rows.reduce((a, r) => a + r.peakRssBytes, 0) / n;
  const sxy = rows.reduce((a, r) => a + (r.partitions - mx) * (r.peakRssBytes - my), 0);
  const sxx = rows.reduce((a, r) => a + (r.partitions - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

function row(r: ProbeResult): string[] {
  const growth = (r.peakRssBytes - r.baseRssBytes) / r.partitions;
  return [
    `${r.runtime} (${r.code})`,
    String(r.guests),
    String(r.partitions),
    `${(r.peakRssBytes / MB).toFixed(0)} MB`,
    `${(growth / MB).toFixed(1)} MB`,
    String(r.peakThreads),
    r.bootMs === null ? '—' : `${(r.bootMs / 1000).toFixed(1)} s`,
    `${(r.wallMs / 1000).toFixed(1)} s`,
    `${(r.runMs / 1000).toFixed(1)} s`,
    r.pass ? 'pass' : `FAIL ${r.problem ?? ''}`,
  ];
}

/** Runs every size; prints the table (or JSON with `--json`). */
export async function run(options: BenchOptions): Promise<void> {
  const codes: Code[] = existsSync(BUILT) ? ['source', 'built'] : ['source'];
  const rows: ProbeResult[] = [];
  const progress = (r: ProbeResult) => {
    rows.push(r);
    console.error(`scale: ${row(r).join('  ')}`);
  };
  for (const code of codes) {
    for (const n of WORKERS_SIZES) progress(await runProbe('workers', n, WORKERS_UNTIL, code));
  }
  for (const n of SIM_SIZES) progress(await runProbe('sim', n, SIM_UNTIL, 'source'));
  const perPartition = Object.fromEntries(
    (['workers', 'sim'] as const).flatMap((runtime) =>
      codes.map((code) => {
        const these = rows.filter((r) => r.runtime === runtime && r.code === code);
        return [`${runtime}-${code}`, these.length < 2 ? null : bytesPerPartition(these)];
      }),
    ),
  );
  const largestPassing = (code: Code) =>
    Math.max(
      0,
      ...rows
        .filter((r) => r.runtime === 'workers' && r.code === code && r.pass)
        .map((r) => r.guests),
    );
  if (options.json) {
    const machine = { ...machineInfo(), totalMemBytes: os.totalmem() };
    console.log(JSON.stringify({ machine, rows, perPartition }, null, 2));
    return;
  }
  const header = [
    'runtime',
    'guests',
    'parts',
    'peak RSS',
    'RSS/part',
    'threads',
    'boot',
    'wall',
    'run',
    'verdict',
  ];
  console.log(formatTable(header, rows.map(row)));
  for (const [name, bytes] of Object.entries(perPartition)) {
    if (bytes !== null) console.log(`${name}: ${(bytes / MB).toFixed(1)} MB per partition (fit)`);
  }
  for (const code of codes)
    console.log(`workers (${code}): largest passing ${largestPassing(code)} guests`);
  const m = machineInfo();
  const gib = (os.totalmem() / 1024 ** 3).toFixed(1);
  console.log(`machine: ${m.cpuModel}, ${m.nproc} CPUs, ${gib} GiB, Node ${m.node}`);
}
