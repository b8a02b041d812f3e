// The storage benchmark's results (storage.bench.ts): one measurement each, with its ratio to the
// storage issue's target, and the table it prints.

import { formatRate, formatTable, median, type MachineInfo } from './bench-report.js';

/** One measurement's result. */
export interface Measurement {
  /** 1, 2, 3, 4a, 4b. */
  readonly id: string;
  readonly name: string;
  readonly unit: string;
  /** Each timed run's value, in run order. */
  readonly runs: readonly number[];
  /** Median of `runs`: the reported value. */
  readonly median: number;
  /** The target (null: none, (4) is shown for comparison). */
  readonly target: number | null;
  /** `median / target` (null without a target). */
  readonly ratioToTarget: number | null;
  /** What was run, for the table's last column. */
  readonly detail: string;
  /** The numbers behind the detail, for JSON. */
  readonly facts: Readonly<Record<string, number | string>>;
}

/** A measurement of `fields`: the median of its runs and its ratio to the target. */
export function measurement(
  fields: Omit<Measurement, 'median' | 'ratioToTarget' | 'target'> & {
    readonly target: number | null;
  },
): Measurement {
  const value = median(fields.runs);
  return {
    ...fields,
    median: value,
    ratioToTarget: fields.target === null ? null : value / fields.target,
  };
}

function formatValue(m: Measurement, value: number): string {
  if (m.unit === '×') return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)}×`;
  return formatRate(value);
}

function formatTarget(m: Measurement): string {
  if (m.target === null) return '—';
  return m.unit === '×' ? `≥ ${m.target}×` : `≥ ${formatRate(m.target)}`;
}

function formatRatio(ratio: number | null): string {
  if (ratio === null) return '—';
  return ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2);
}

/** Prints the results as a table under a header saying what ran and on which machine. */
export function printTable(
  results: readonly Measurement[],
  machine: MachineInfo,
  loadAverage: readonly number[],
): void {
  console.log("storage: the storage path end to end, against the storage issue's targets;");
  console.log(
    'median of the runs shown; every run judged on its expectations (no lost writes, exactly once, IO resumes)',
  );
  const load = loadAverage.map((l) => l.toFixed(2)).join(' ');
  console.log(
    `machine: ${machine.cpuModel}, nproc ${machine.nproc}, node ${machine.node}; load average before the run ${load}\n`,
  );
  const header = ['measurement', 'measured', 'target', 'measured/target', 'min – max', 'what ran'];
  const rows = results.map((m) => [
    `(${m.id}) ${m.name}`,
    formatValue(m, m.median),
    formatTarget(m),
    formatRatio(m.ratioToTarget),
    m.runs.length > 1
      ? `${formatValue(m, Math.min(...m.runs))} – ${formatValue(m, Math.max(...m.runs))}`
      : '',
    m.detail,
  ]);
  console.log(formatTable(header, rows));
}
