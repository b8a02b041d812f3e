// The run's disks: hardware on the IOSPs' SCSI adapters (spar-protocol.md §4; issue "Disks"),
// allocated once per run by the hypervisor model and handed to whichever IOSP incarnation runs,
// so their contents survive any number of IOSP crashes and reboots. Shared memory, so a worker
// IOSP sees the same bytes as the main thread that checks them at the end.

import { assert } from '../base/assert.js';
import { Disk } from '../devices/disk.js';
import type { Config } from './config.js';

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
