// `spar boot` (what `npm start` runs until `spar run` and scenario files land): the command
// partition brings every guest of a configuration up, in the worker runtime (default) or the
// deterministic sim runtime; prints the timeline and a verdict.

import { minimalGuestConfig, type Config } from '../hypervisor/index.js';
import type { TraceRecord } from '../partition/environment.js';
import { simulateBoot } from '../runtime/sim/boot.js';
import { bootInWorkers } from '../runtime/workers/boot.js';

/** Options of `spar boot`. */
export interface BootOptions {
  readonly runtime: 'workers' | 'sim';
  readonly seed: number;
  readonly colour: boolean;
}

/** The report of one boot: lines to print and whether every check held. */
export interface BootReport {
  readonly pass: boolean;
  readonly lines: readonly string[];
}

// Effects that recur every poll; the timeline counts them instead of listing them.
const QUIET = new Set(['controlvm.poll']);

/** Boots the minimal guest configuration and reports. */
export async function runBoot(options: BootOptions): Promise<BootReport> {
  const config = minimalGuestConfig();
  const result = options.runtime === 'sim' ? bootSim(config, options.seed) : await bootWorkers(config, options.seed);
  const checks = verdict(config, result.ready, result.failed, result.drivers);
  const quiet = result.trace.filter((r) => QUIET.has(r.event)).length;
  const lines = [
    `spar boot: runtime ${options.runtime}, seed ${options.seed}, configuration: cp + guest1 (minimum driver set)`,
    '',
    ...result.trace.filter((r) => !QUIET.has(r.event)).map((r) => formatRecord(r, options.colour)),
    `(${quiet} controlvm polls not shown)`,
    '',
    ...checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    `verdict: ${checks.every((c) => c.ok) ? 'pass' : 'fail'}`,
    `reproduce with: spar boot --runtime ${options.runtime} --seed ${options.seed}`,
  ];
  return { pass: checks.every((c) => c.ok), lines };
}

interface BootResult {
  readonly ready: readonly string[];
  readonly failed: readonly string[];
  /** Bound driver actors per guest (systemIds). */
  readonly drivers: Readonly<Record<string, readonly string[]>>;
  readonly trace: readonly TraceRecord[];
}

function bootSim(config: Config, seed: number): BootResult {
  const outcome = simulateBoot(config, seed, 5_000);
  const done = outcome.commandPartition.outcomes.find((o) => o.type === 'cp.bringUpDone') as
    | { ready: string[]; failed: string[] }
    | undefined;
  const drivers: Record<string, string[]> = {};
  for (const [name, guest] of outcome.guests) drivers[name] = Object.keys(guest.snapshot()).filter((id) => id.includes(':vbus'));
  return { ready: done?.ready ?? [], failed: done?.failed ?? [], drivers, trace: outcome.world.trace };
}

async function bootWorkers(config: Config, seed: number): Promise<BootResult> {
  const outcome = await bootInWorkers(config, seed, 30_000);
  const drivers: Record<string, string[]> = {};
  for (const [name, snapshot] of Object.entries(outcome.snapshots)) {
    drivers[name] = Object.keys(snapshot as object).filter((id) => id.includes(':vbus'));
  }
  return { ready: outcome.bringUpDone?.ready ?? [], failed: outcome.bringUpDone?.failed ?? [], drivers, trace: outcome.trace };
}

function verdict(config: Config, ready: readonly string[], failed: readonly string[], drivers: BootResult['drivers']) {
  const guests = config.partitions.filter((p) => p.kind === 'guest');
  return guests.flatMap((g) => [
    { name: `${g.name}-ready`, ok: ready.includes(g.name) && !failed.includes(g.name), detail: ready.includes(g.name) ? 'bring-up answered in full' : 'not brought up' },
    {
      name: `${g.name}-drivers-bound`,
      ok: (drivers[g.name]?.length ?? 0) === g.devices.length,
      detail: `${drivers[g.name]?.length ?? 0}/${g.devices.length} devices bound: ${(drivers[g.name] ?? []).map((d) => d.split('/')[1]).join(', ')}`,
    },
  ]);
}

function formatRecord(r: TraceRecord, colour: boolean): string {
  const time = `+${r.atMs.toFixed(3).padStart(9)} ms`;
  const actor = r.actor.padEnd(36);
  const event = r.event.padEnd(24);
  const detail = String(r.detail?.['text'] ?? '');
  if (!colour) return `${time}  ${actor}  ${event}  ${detail}`;
  return `\u001b[2m${time}\u001b[0m  \u001b[36m${actor}\u001b[0m  ${event}  \u001b[33m${detail}\u001b[0m`;
}
