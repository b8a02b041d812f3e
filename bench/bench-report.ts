// Shared pieces of the benchmarks in bench/: the machine they ran on, medians, and the printed
// table. Speed lives here and nowhere else (STYLE §8: no timed assertions in tests).

import os from 'node:os';

/** The machine a benchmark ran on (rates are only comparable on the same one). */
export interface MachineInfo {
  /** `os.cpus()[0].model`. */
  readonly cpuModel: string;
  /** CPUs this process may use (`os.availableParallelism()`, what `nproc` prints). */
  readonly nproc: number;
  /** `process.version`. */
  readonly node: string;
}

/** Describes the current machine. */
export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    nproc: os.availableParallelism(),
    node: process.version,
  };
}

/** Median of a non-empty list (mean of the middle two for an even length). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? 0) + upper) / 2;
}

/** A rate in signals per second, with a k/M suffix and three significant digits. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toPrecision(3)} M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toPrecision(3)} k`;
  return perSecond.toPrecision(3);
}

/** Renders rows as a left-aligned text table with a header rule. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
