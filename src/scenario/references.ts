// Checks a scenario's shape cannot express: names that must refer to something, and the
// configuration rules of the hypervisor model (validateConfig). Each error keeps the path of the
// node at fault so the loader can give its line.

import {
  networkPlan,
  validateConfig,
  type Config,
  type ConfigInput,
  type HardwareConfig,
} from '../hypervisor/index.js';
import { KNOWN_DRIVER_MODULES } from '../partition/driver-set.js';
import { checkDiskSpec } from '../devices/disk.js';
import { QUIRKS, unknownQuirks } from '../quirks.js';
import type { Scenario } from './schema.js';

/** An error found here: a path into the document and a message. */
export interface ReferenceError {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The configuration of `scenario`, or every reference error found. */
export function checkReferences(scenario: Scenario): {
  config: Config | null;
  errors: ReferenceError[];
} {
  const errors: ReferenceError[] = [];
  const kinds = new Map(scenario.partitions.map((p) => [p.name, p.kind]));
  scenario.partitions.forEach((p, i) => {
    if (p.hardware !== undefined && p.kind !== 'iosp') {
      errors.push({
        path: ['partitions', i, 'hardware'],
        message: `only an iosp partition owns hardware; "${p.name}" is a ${p.kind}`,
      });
    }
    if (p.drivers.length > 0 && p.kind !== 'guest') {
      errors.push({
        path: ['partitions', i, 'drivers'],
        message: `only a guest loads drivers; "${p.name}" is a ${p.kind}`,
      });
    }
    p.drivers.forEach((d, j) => {
      if (!KNOWN_DRIVER_MODULES.includes(d))
        errors.push({
          path: ['partitions', i, 'drivers', j],
          message: `unknown driver module "${d}" (known: ${KNOWN_DRIVER_MODULES.join(', ')})`,
        });
    });
    p.hardware?.scsi.forEach((hba, j) =>
      hba.disks.forEach((disk, k) =>
        disk.sharedWith.forEach((guest, m) => {
          if (kinds.get(guest) === 'guest') return;
          const what = kinds.has(guest)
            ? `"${guest}" is a ${kinds.get(guest)}, not a guest`
            : `no partition named "${guest}"`;
          errors.push({
            path: ['partitions', i, 'hardware', 'scsi', j, 'disks', k, 'sharedWith', m],
            message: `disk "${disk.name}" is shared with a guest that does not exist: ${what}`,
          });
        }),
      ),
    );
  });
  const disks = new Map(
    scenario.partitions.flatMap((p) =>
      (p.hardware?.scsi ?? []).flatMap((a) =>
        a.disks.map((d) => [d.name, { iosp: p.name, disk: d }] as const),
      ),
    ),
  );
  const nicsOf = (iosp: string): string[] =>
    (
      scenario.partitions.find((p) => p.name === iosp && p.kind === 'iosp')?.hardware?.nics ?? []
    ).map((n) => n.name);
  const diskNames = scenario.partitions.flatMap((p) =>
    (p.hardware?.scsi ?? []).flatMap((a) => a.disks.map((d) => d.name)),
  );
  scenario.partitions.forEach((p, i) =>
    (p.hardware?.scsi ?? []).forEach((a, j) =>
      a.disks.forEach((d, k) => {
        const checked = checkDiskSpec({ name: d.name, blocks: d.blocks, blockSize: d.blockSize });
        if (!checked.ok)
          errors.push({
            path: ['partitions', i, 'hardware', 'scsi', j, 'disks', k],
            message: checked.error.message,
          });
      }),
    ),
  );
  diskNames.forEach((n, i) => {
    if (diskNames.indexOf(n) !== i)
      errors.push({ path: ['partitions'], message: `disk name "${n}" used twice` });
  });
  scenario.partitions.forEach((p, i) =>
    p.workloads.forEach((w, j) => {
      const where = ['partitions', i, 'workloads', j, 'disk'];
      if (p.kind !== 'guest')
        return void errors.push({
          path: ['partitions', i, 'workloads'],
          message: `only a guest runs workloads; "${p.name}" is a ${p.kind}`,
        });
      if (w.kind === 'ping') {
        const to = ['partitions', i, 'workloads', j, 'to'];
        if (w.to === p.name)
          return void errors.push({ path: to, message: `${p.name} cannot ping itself` });
        if (w.to !== 'outside' && kinds.get(w.to) !== 'guest')
          return void errors.push({
            path: to,
            message: kinds.has(w.to)
              ? `"${w.to}" is a ${kinds.get(w.to)}, not a guest`
              : `no partition named "${w.to}" (a guest, or "outside")`,
          });
        return;
      }
      const found = disks.get(w.disk);
      if (found === undefined)
        return void errors.push({ path: where, message: `no disk named "${w.disk}"` });
      if (!found.disk.sharedWith.includes(p.name))
        return void errors.push({
          path: where,
          message: `disk "${w.disk}" is not shared with ${p.name}`,
        });
      if (!p.devices.some((d) => d.channelType === 'vhba' && d.server === found.iosp)) {
        errors.push({
          path: where,
          message: `${p.name} has no vhba device served by ${found.iosp}, which owns disk "${w.disk}"`,
        });
      }
    }),
  );
  scenario.faults.forEach((f, i) => {
    if (f.action === 'disk-error' && disks.get(f.disk)?.iosp !== f.partition) {
      errors.push({
        path: ['faults', i, 'disk'],
        message: `${f.partition} owns no disk named "${f.disk}"`,
      });
    }
    if (f.action === 'nic-link' && !nicsOf(f.partition).includes(f.nic)) {
      const have = nicsOf(f.partition);
      errors.push({
        path: ['faults', i, 'nic'],
        message: `${f.partition} owns no NIC named "${f.nic}"${have.length === 0 ? '' : ` (have ${have.join(', ')})`}`,
      });
    }
    if (!kinds.has(f.partition)) {
      errors.push({
        path: ['faults', i, 'partition'],
        message: `no partition named "${f.partition}" (have ${[...kinds.keys()].join(', ')})`,
      });
    }
    if ((f.at === undefined) === (f.when === undefined)) {
      errors.push({
        path: ['faults', i],
        message: 'a fault needs exactly one trigger: "at" (a time) or "when" (a condition)',
      });
    }
    if (f.at !== undefined && f.at > scenario.until) {
      errors.push({
        path: ['faults', i, 'at'],
        message: `fires at ${f.at} ms, after the time limit (until: ${scenario.until} ms)`,
      });
    }
  });
  scenario.quirks.forEach((q, i) => {
    if (unknownQuirks([q]).length > 0)
      errors.push({
        path: ['quirks', i],
        message: `unknown quirk "${q}" (known: ${QUIRKS.map((k) => k.name).join(', ')})`,
      });
  });
  const input: ConfigInput = {
    quirks: scenario.quirks,
    partitions: scenario.partitions.map(
      ({ name, kind, index, buses, devices, drivers, hardware, workloads }) => ({
        name,
        kind,
        buses,
        drivers,
        workloads: workloads.map((w) =>
          w.kind === 'block'
            ? w
            : {
                kind: 'ping' as const,
                to: w.to,
                count: w.count,
                intervalMs: w.interval,
                frameBytes: w.size,
                window: w.window,
                timeoutMs: w.timeout,
                start: w.start,
              },
        ),
        ...(hardware === undefined ? {} : { hardware: hardware as HardwareConfig }),
        devices: devices.map(({ server, segment, promiscuous, ...d }) => ({
          ...d,
          ...(server === undefined ? {} : { server }),
          ...(segment === undefined ? {} : { segment }),
          ...(promiscuous === undefined ? {} : { promiscuous }),
        })),
        ...(index === undefined ? {} : { index }),
      }),
    ),
    ...(scenario.jiffyMs === undefined ? {} : { jiffyMs: scenario.jiffyMs }),
  };
  const validated = validateConfig(input);
  if (!validated.ok)
    for (const e of validated.error) errors.push({ path: parsePath(e.path), message: e.message });
  if (validated.ok) {
    const plan = networkPlan(validated.value);
    for (const u of plan.unaddressable) {
      const i = scenario.partitions.findIndex((p) => p.name === u.guest);
      const j =
        scenario.partitions[i]?.devices.findIndex(
          (d) => d.busNo === u.busNo && d.devNo === u.devNo,
        ) ?? -1;
      errors.push({
        path: ['partitions', i, 'devices', j],
        message: `no address for this vnic: ${u.reason}`,
      });
    }
    const named = new Set(errors.map((e) => e.path.join('.')));
    for (const u of plan.unreachable) {
      const path = [
        'partitions',
        scenario.partitions.findIndex((p) => p.name === u.guest),
        'workloads',
        u.workload,
        'to',
      ];
      if (!named.has(path.join('.')))
        errors.push({ path, message: `ping cannot be answered: ${u.reason}` }); // one error per line
    }
  }
  return { config: validated.ok ? validated.value : null, errors };
}

/** `partitions[2].devices[0]` → ['partitions', 2, 'devices', 0]. */
export function parsePath(path: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}
