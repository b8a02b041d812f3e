// The mutation run's table (`npm run mutate`): one row per mutant, Markdown so that it pastes
// into docs/testing.md as it stands.

import type { KillerOutcome } from './killers.js';
import type { MutantResult } from './runner.js';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}

function unitCell(tests: readonly KillerOutcome[]): string {
  if (tests.length === 0) return '—';
  const killing = tests.filter((t) => t.verdict !== 'survived').map((t) => t.killer.slice(5));
  return killing.length === 0 ? 'none' : killing.join(', ');
}

/** The results as a Markdown table: mutant, verdict, killed by, (unit tests,) time. */
export function formatResults(results: readonly MutantResult[], unit: boolean): string {
  const head = unit
    ? ['mutant', 'verdict', 'killed by', 'unit tests that kill it', 'time']
    : ['mutant', 'verdict', 'killed by', 'time'];
  const rows = results.map((r) => {
    const cells = [r.name, r.verdict, r.killedBy ?? '—'];
    if (unit) cells.push(unitCell(r.unitTests));
    cells.push(seconds(r.ms));
    return cells;
  });
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
