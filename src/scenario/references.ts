// Checks a scenario's shape cannot express: names that must refer to something, and the
// configuration rules of the hypervisor model (validateConfig). Each error keeps the path of the
// node at fault so the loader can give its line.

import { type Config, type ConfigInput, validateConfig } from '../hypervisor/index.js';
import { KINDS, QUIRKS } from '../kinds/index.js';
import { KNOWN_DRIVER_MODULES } from '../partition/driver-set.js';
import { unknownQuirks } from '../quirks.js';
import type { Scenario, ScenarioFault, ScenarioWorkload } from './schema.js';
import { checkTrigger } from './trigger-check.js';

/** An error found here: a path into the document and a message. */
export interface BadReference {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The configuration of `scenario`, or every reference error found. */
export function checkReferences(scenario: Scenario): {
  config: Config | null;
  errors: BadReference[];
} {
  const errors: BadReference[] = [];
  checkPartitions(scenario, errors);
  for (const kind of KINDS) kind.scenario?.check?.(scenario, errors);
  checkFaults(scenario, errors);
  scenario.quirks.forEach((q, i) => {
    if (unknownQuirks([q], QUIRKS).length > 0)
      errors.push({
        path: ['quirks', i],
        message: `unknown quirk "${q}" (known: ${QUIRKS.map((k) => k.name).join(', ')})`,
      });
  });
  const validated = validateConfig(configInput(scenario));
  if (!validated.ok) {
    for (const e of validated.error) errors.push({ path: parsePath(e.path), message: e.message });
    return { config: null, errors };
  }
  for (const kind of KINDS) kind.scenario?.checkConfig?.(validated.value, scenario, errors);
  return { config: validated.value, errors };
}

// Hardware only on an IOSP, drivers and workloads only in a guest, drivers spar-sim has.
function checkPartitions(scenario: Scenario, errors: BadReference[]): void {
  scenario.partitions.forEach((p, i) => {
    if (p.hardware !== undefined && p.kind !== 'iosp') {
      const message = `only an iosp partition owns hardware; "${p.name}" is a ${p.kind}`;
      errors.push({ path: ['partitions', i, 'hardware'], message });
    }
    if (p.drivers.length > 0 && p.kind !== 'guest') {
      const message = `only a guest loads drivers; "${p.name}" is a ${p.kind}`;
      errors.push({ path: ['partitions', i, 'drivers'], message });
    }
    p.drivers.forEach((d, j) => {
      if (KNOWN_DRIVER_MODULES.includes(d)) return;
      const message = `unknown driver module "${d}" (known: ${KNOWN_DRIVER_MODULES.join(', ')})`;
      errors.push({ path: ['partitions', i, 'drivers', j], message });
    });
    if (p.workloads.length > 0 && p.kind !== 'guest') {
      const message = `only a guest runs workloads; "${p.name}" is a ${p.kind}`;
      errors.push({ path: ['partitions', i, 'workloads'], message });
    }
  });
}

// Every fault names a partition, has exactly one trigger, fires before the time limit, and its
// condition can match a record of this scenario (trigger-check.ts).
function checkFaults(scenario: Scenario, errors: BadReference[]): void {
  const names = scenario.partitions.map((p) => p.name);
  scenario.faults.forEach((f, i) => {
    if (!names.includes(f.partition)) {
      const message = `no partition named "${f.partition}" (have ${names.join(', ')})`;
      errors.push({ path: ['faults', i, 'partition'], message });
    }
    if ((f.at === undefined) === (f.when === undefined)) {
      const message = 'a fault needs exactly one trigger: "at" (a time) or "when" (a condition)';
      errors.push({ path: ['faults', i], message });
    }
    if (f.at !== undefined && f.at > scenario.until) {
      const message = `fires at ${f.at} ms, after the time limit (until: ${scenario.until} ms)`;
      errors.push({ path: ['faults', i, 'at'], message });
    }
    if (f.action === 'channel-corrupt') checkCorruptChannel(scenario, f, i, errors);
    checkTrigger(scenario, i, errors);
  });
}

// A channel-corrupt fault names an IO device of its guest (one an IOSP serves).
function checkCorruptChannel(
  scenario: Scenario,
  f: Extract<ScenarioFault, { action: 'channel-corrupt' }>,
  i: number,
  errors: BadReference[],
): void {
  const guest = scenario.partitions.find((p) => p.name === f.partition);
  if (guest === undefined) return; // reported above
  const device = guest.devices.find((d) => d.busNo === f.busNo && d.devNo === f.devNo);
  const served = scenario.partitions.find((p) => p.name === device?.server)?.kind === 'iosp';
  if (device !== undefined && served) return;
  const message = `${f.partition} has no IO device at bus ${f.busNo} dev ${f.devNo} served by an IOSP`;
  errors.push({ path: ['faults', i], message });
}

// The hypervisor model's input: the scenario's partitions, workloads as their kinds configure them.
function configInput(scenario: Scenario): ConfigInput {
  return {
    quirks: scenario.quirks,
    partitions: scenario.partitions.map(
      ({ name, kind, index, buses, devices, drivers, hardware, workloads }) => ({
        name,
        kind,
        buses,
        drivers,
        devices,
        workloads: workloads.map(workloadConfig),
        ...(hardware === undefined ? {} : { hardware }),
        ...(index === undefined ? {} : { index }),
      }),
    ),
    ...(scenario.jiffyMs === undefined ? {} : { jiffyMs: scenario.jiffyMs }),
  };
}

function workloadConfig(w: ScenarioWorkload) {
  const variant = KINDS.flatMap((k) => k.scenario?.workloads ?? []).find((v) => v.kind === w.kind);
  if (variant === undefined) throw new Error(`no kind registers the ${w.kind} workload`);
  return variant.toConfig(w);
}

/** `partitions[2].devices[0]` → ['partitions', 2, 'devices', 0]. */
export function parsePath(path: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}
