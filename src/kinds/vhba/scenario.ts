// What the vhba kind adds to the scenario format (docs/scenario-format.md): an IOSP's SCSI
// adapters and their disks (`hardware.scsi`), the `block` workload, the `disk-error` and `disk-slow`
// faults, and the checks that tie them together (a disk shared with real guests, a workload on a
// disk its guest sees through a vhba, a disk fault on a disk the IOSP owns).

import { z } from 'zod';
import type { BadReference } from '../../scenario/references.js';
import type { Scenario } from '../../scenario/schema.js';
import { durationSchema, nameSchema as name, triggerShape } from '../../scenario/schema-parts.js';
import { guestProblem } from '../guest-reference.js';
import type { KindFault, KindScenario } from '../kind.js';
import { BLOCK_SIZES, type BlockSize, checkDiskSpec, type Disk } from './disk.js';

const disk = z.strictObject({
  name,
  blocks: z.number().int().min(1),
  blockSize: z
    .union(
      BLOCK_SIZES.map((b) => z.literal(b)) as [
        z.ZodLiteral<BlockSize>,
        ...z.ZodLiteral<BlockSize>[],
      ],
    )
    .default(512)
    .meta({ description: 'Logical block size in bytes: 512, 1024, 2048 or 4096.' }),
  sharedWith: z
    .array(name)
    .default([])
    .meta({ description: 'Guests that see this disk; others get "no disk" (§4.4.1).' }),
  latencyMs: z
    .strictObject({ min: z.number().min(0).max(60_000), max: z.number().min(0).max(60_000) })
    .refine((l) => l.min <= l.max, { error: 'expected min ≤ max' })
    .optional()
    .meta({
      description: 'Service time of one command in ms, uniform in [min, max] (default 0.1–1).',
    }),
});

const scsi = z
  .array(z.strictObject({ name, disks: z.array(disk).default([]) }))
  .default([])
  .meta({ description: "The IOSP's SCSI adapters and the disks behind them." });

const blockWorkload = z.strictObject({
  kind: z
    .literal('block')
    .meta({ description: 'Writes and reads back blocks of a disk with verifiable content.' }),
  disk: name.meta({ description: 'A disk an IOSP shares with this guest.' }),
  queueDepth: z.number().int().min(1).max(128).default(8),
  ops: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(200)
    .meta({ description: 'Requests in total.' }),
  writeFraction: z.number().min(0).max(1).default(0.5),
  maxBlocks: z
    .number()
    .int()
    .min(1)
    .max(128)
    .default(8)
    .meta({ description: 'Largest request, in blocks (capped by the 64 KiB DMA buffer).' }),
  start: durationSchema
    .default(0)
    .meta({ description: 'When the workload starts, once its disk is there.' }),
});

const diskErrorFault = z.strictObject({
  action: z.literal('disk-error'),
  partition: name.meta({ description: 'The IOSP owning the disk.' }),
  disk: name,
  op: z.enum(['read', 'write']),
  lba: z.number().int().min(0),
  count: z.number().int().min(1).default(1).meta({ description: 'Blocks from lba that fail.' }),
  times: z
    .number()
    .int()
    .min(1)
    .default(1)
    .meta({ description: 'How many operations fail before the disk heals.' }),
  ...triggerShape,
});

const diskSlowFault = z.strictObject({
  action: z.literal('disk-slow'),
  partition: name.meta({ description: 'The IOSP owning the disk.' }),
  disk: name,
  latencyMs: z
    .strictObject({
      min: z.number().int().min(0).max(120_000),
      max: z.number().int().min(0).max(120_000),
    })
    .refine((l) => l.min <= l.max, { error: 'expected min ≤ max' })
    .meta({
      description: 'Service time of each slowed command in whole ms, uniform in [min, max].',
    }),
  times: z
    .number()
    .int()
    .min(1)
    .default(1)
    .meta({ description: 'How many commands to the disk are slowed before it heals.' }),
  ...triggerShape,
});

/** A disk on an IOSP's SCSI adapter (hardware: its contents outlive the IOSP). */
export type DiskConfig = z.output<typeof disk>;
/** A block workload inside a guest: writes and reads back a shared disk. */
export type BlockWorkloadConfig = z.output<typeof blockWorkload>;
/** A disk-error fault: the next `times` operations `op` on blocks lba..lba+count−1 fail. */
export type DiskErrorFault = z.output<typeof diskErrorFault>;
/** A disk-slow fault: the next `times` commands to the disk take `latencyMs` each. */
export type DiskSlowFault = z.output<typeof diskSlowFault>;

declare module '../../hypervisor/config.js' {
  interface HardwareConfig {
    /** SCSI adapters and their disks. */
    readonly scsi: readonly { readonly name: string; readonly disks: readonly DiskConfig[] }[];
  }
  interface WorkloadConfigs {
    readonly block: BlockWorkloadConfig;
  }
}

declare module '../../scenario/schema.js' {
  interface ScenarioWorkloads {
    readonly block: BlockWorkloadConfig;
  }
  interface ScenarioKindFaults {
    readonly 'disk-error': DiskErrorFault;
    readonly 'disk-slow': DiskSlowFault;
  }
}

const diskError: KindFault<ReadonlyMap<string, Disk>> = {
  action: 'disk-error',
  schema: diskErrorFault,
  apply: (disks, fault) => {
    if (fault.action !== 'disk-error') return `not a disk error: ${fault.action}`;
    const target = disks?.get(fault.disk);
    if (target === undefined) return `no disk named ${fault.disk}`;
    const { op, lba, count, times } = fault;
    const injected = target.injectFailure({ op, lba, count, times });
    return injected.ok ? null : injected.error.message;
  },
};

const diskSlow: KindFault<ReadonlyMap<string, Disk>> = {
  action: 'disk-slow',
  schema: diskSlowFault,
  apply: (disks, fault) => {
    if (fault.action !== 'disk-slow') return `not a disk slowness: ${fault.action}`;
    const target = disks?.get(fault.disk);
    if (target === undefined) return `no disk named ${fault.disk}`;
    const { min: minMs, max: maxMs } = fault.latencyMs;
    const injected = target.injectSlowness({ times: fault.times, minMs, maxMs });
    return injected.ok ? null : injected.error.message;
  },
};

/** The vhba kind's part of the scenario format. */
export const vhbaScenario: KindScenario<ReadonlyMap<string, Disk>> = {
  hardware: { scsi },
  workloads: [
    {
      kind: 'block',
      schema: blockWorkload,
      toConfig: (w) => {
        if (w.kind !== 'block') throw new Error(`not a block workload: ${w.kind}`);
        return w;
      },
    },
  ],
  faults: [diskError, diskSlow],
  check: checkStorage,
};

type Disks = ReadonlyMap<string, { readonly iosp: string; readonly disk: DiskConfig }>;

// Disks shared with guests that exist, each disk's geometry, unique names; workloads on disks
// their guest sees through a vhba; disk errors and slowness on a disk of their IOSP.
function checkStorage(scenario: Scenario, errors: BadReference[]): void {
  const disks: Disks = new Map(
    scenario.partitions.flatMap((p) =>
      (p.hardware?.scsi ?? []).flatMap((a) =>
        a.disks.map((d) => [d.name, { iosp: p.name, disk: d }] as const),
      ),
    ),
  );
  const names = new Set<string>();
  for (const [i, p] of scenario.partitions.entries()) {
    for (const [j, a] of (p.hardware?.scsi ?? []).entries()) {
      for (const [k, d] of a.disks.entries()) {
        const at = ['partitions', i, 'hardware', 'scsi', j, 'disks', k];
        if (names.has(d.name))
          errors.push({ path: ['partitions'], message: `disk name "${d.name}" used twice` });
        names.add(d.name);
        const checked = checkDiskSpec({ name: d.name, blocks: d.blocks, blockSize: d.blockSize });
        if (!checked.ok) errors.push({ path: at, message: checked.error.message });
        d.sharedWith.forEach((guest, m) => {
          const what = guestProblem(scenario, guest);
          if (what === null) return;
          const message = `disk "${d.name}" is shared with a guest that does not exist: ${what}`;
          errors.push({ path: [...at, 'sharedWith', m], message });
        });
      }
    }
  }
  for (const [i, p] of scenario.partitions.entries()) {
    for (const [j, w] of p.workloads.entries()) {
      if (w.kind !== 'block' || p.kind !== 'guest') continue;
      const problem = workloadProblem(p, w, disks);
      if (problem !== null)
        errors.push({ path: ['partitions', i, 'workloads', j, 'disk'], message: problem });
    }
  }
  scenario.faults.forEach((f, i) => {
    const onDisk = f.action === 'disk-error' || f.action === 'disk-slow';
    if (onDisk && disks.get(f.disk)?.iosp !== f.partition) {
      errors.push({
        path: ['faults', i, 'disk'],
        message: `${f.partition} owns no disk named "${f.disk}"`,
      });
    }
  });
}

function workloadProblem(
  guest: Scenario['partitions'][number],
  w: BlockWorkloadConfig,
  disks: Disks,
): string | null {
  const found = disks.get(w.disk);
  if (found === undefined) return `no disk named "${w.disk}"`;
  if (!found.disk.sharedWith.includes(guest.name))
    return `disk "${w.disk}" is not shared with ${guest.name}`;
  if (guest.devices.some((d) => d.channelType === 'vhba' && d.server === found.iosp)) return null;
  return `${guest.name} has no vhba device served by ${found.iosp}, which owns disk "${w.disk}"`;
}
