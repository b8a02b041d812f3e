// The run's disks: hardware on the IOSPs' SCSI adapters (spar-protocol.md §4; issue "Disks"),
// allocated once per run by the hypervisor model and handed to whichever IOSP incarnation runs,
// so their contents survive any number of IOSP crashes and reboots. Shared memory, so a worker
// IOSP sees the same bytes as the main thread that checks them at the end.

import { assert } from '../../base/assert.js';
import { Disk, type DiskSpec } from './disk.js';
import type { Config } from '../../hypervisor/config.js';

/** Every disk of `config` by name, zeroed. A validated configuration's disks always fit. */
export function allocateDisks(config: Config): ReadonlyMap<string, Disk> {
  const disks = new Map<string, Disk>();
  for (const p of config.partitions) {
    for (const adapter of p.hardware?.scsi ?? []) {
      for (const spec of adapter.disks) {
        const disk = Disk.allocate({
          name: spec.name,
          blocks: spec.blocks,
          blockSize: spec.blockSize,
        });
        assert(disk.ok, `disk ${spec.name}: ${disk.ok ? '' : disk.error.message}`);
        assert(
          !disks.has(spec.name),
          `disk name ${spec.name} is unique in a validated configuration`,
        );
        disks.set(spec.name, disk.value);
      }
    }
  }
  return disks;
}

/** A disk as a partition is given it: its geometry and its memory (structured-cloneable). */
export interface DiskShare {
  readonly spec: DiskSpec;
  readonly memory: SharedArrayBuffer;
}

/** The disks `iosp` owns (on its SCSI adapters), and nothing else of the hardware. */
export function shareDisks(
  disks: ReadonlyMap<string, Disk>,
  config: Config,
  iosp: string,
): readonly DiskShare[] | undefined {
  const owner = config.partitions.find((p) => p.name === iosp);
  const owned = new Set((owner?.hardware?.scsi ?? []).flatMap((a) => a.disks.map((d) => d.name)));
  if (owned.size === 0) return undefined;
  return [...disks.values()]
    .filter((d) => owned.has(d.spec.name))
    .map(({ spec, memory }) => ({ spec, memory }));
}

/** The shared disks, attached in this thread, by name. */
export function attachDisks(shares: readonly DiskShare[] | undefined): ReadonlyMap<string, Disk> {
  return new Map(
    (shares ?? []).map(({ spec, memory }) => {
      const disk = Disk.attach(spec, memory);
      assert(disk.ok, `${spec.name}: the run's disk memory attaches`);
      return [spec.name, disk.value] as const;
    }),
  );
}
