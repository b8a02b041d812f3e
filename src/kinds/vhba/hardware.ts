// Which disks a guest sees through an IOSP, and the guest memory an IOSP may DMA into
// (spar-protocol.md §4.2, §4.4). Plain functions of the configuration, shared by both runtimes.
//
// Choice: the disks an IOSP shares with a guest appear on every vhba channel of that guest the
// IOSP serves, as SCSI channel 0, target id = the disk's position among them (in configuration
// order: adapters, then disks), LUN 0. The reference says nothing about target numbering.
//
// Choice: a vhba channel comes with a DMA window: guest memory the hypervisor maps into the
// serving IOSP, one DMA_SLOT_BYTES buffer per pending-table slot (128), which is where the
// guest's gpi_list entries point. A real guest hands the IOSP physical addresses of its page
// cache; a fixed window keeps the IOSP's accesses checkable (it may touch nothing else).

import { MAX_PENDING_REQUESTS } from '../../../machines/virthba.logic.js';
import type { Config } from '../../hypervisor/config.js';
import type { DiskConfig } from './scenario.js';
import { serialNumber } from './scsi-pages.js';

/** `max_io_size` the IOSP announces in the vhba channel, and each slot's DMA buffer (64 KiB). */
export const DMA_SLOT_BYTES = 64 * 1024;
/** Bytes of a vhba channel's DMA window: one DMA buffer per pending slot (§4.2). */
export const DMA_WINDOW_BYTES = MAX_PENDING_REQUESTS * DMA_SLOT_BYTES;

/** A disk as one guest sees it through one IOSP. */
export interface SharedDisk {
  readonly disk: DiskConfig;
  readonly adapter: string;
  /** SCSI address on the guest's vhba (channel 0, target `id`, LUN 0). */
  readonly vdest: { readonly channel: number; readonly id: number; readonly lun: number };
}

/**
 * The disks `iosp` shares with `guest`, with their SCSI addresses; with `ignoreSharing` (the
 * quirk iosp-ignores-shared-with) every disk `iosp` owns.
 */
export function disksSeenBy(
  config: Config,
  iosp: string,
  guest: string,
  ignoreSharing = false,
): SharedDisk[] {
  const owner = config.partitions.find((p) => p.name === iosp);
  const shared = (owner?.hardware?.scsi ?? []).flatMap((adapter) =>
    adapter.disks
      .filter((d) => ignoreSharing || d.sharedWith.includes(guest))
      .map((disk) => ({ disk, adapter: adapter.name })),
  );
  return shared.map((s, id) => ({ ...s, vdest: { channel: 0, id, lun: 0 } }));
}

/**
 * The serial number of the disk `iosp` shares with `guest` at each target id (what its scan must
 * show): the storage-isolation oracle's expectation, restated from the configuration's `sharedWith`
 * rather than taken from disksSeenBy, so a bug in the filter the IOSP serves from cannot move the
 * expectation with it (the mutant sharing-filter-of-server-and-oracle, docs/testing.md).
 */
export function sharedTargets(config: Config, iosp: string, guest: string): Map<number, string> {
  const owner = config.partitions.find((p) => p.name === iosp);
  const disks = (owner?.hardware?.scsi ?? []).flatMap((adapter) => adapter.disks);
  const mine = disks.filter((d) => d.sharedWith.includes(guest));
  return new Map(mine.map((disk, id) => [id, serialNumber(disk)]));
}

/** A guest's workload with what its storage stack needs: the disk's IOSP, address and size. */
export interface GuestWorkload {
  readonly iosp: string;
  readonly disk: string;
  readonly vdest: SharedDisk['vdest'];
  readonly blocks: number;
  readonly blockSize: number;
  readonly queueDepth: number;
  readonly ops: number;
  readonly writeFraction: number;
  readonly maxBlocks: number;
  readonly start: number;
}

/** The workloads of `guest`, resolved against the hardware (unresolvable ones are skipped). */
export function guestWorkloads(config: Config, guest: string): GuestWorkload[] {
  const me = config.partitions.find((p) => p.name === guest);
  return (me?.workloads ?? []).flatMap((w) => {
    if (w.kind !== 'block') return [];
    for (const iosp of config.partitions.filter((p) => p.kind === 'iosp')) {
      const shared = disksSeenBy(config, iosp.name, guest).find((s) => s.disk.name === w.disk);
      if (shared === undefined) continue;
      const { queueDepth, ops, writeFraction, maxBlocks, start } = w;
      return [
        {
          iosp: iosp.name,
          disk: w.disk,
          vdest: shared.vdest,
          blocks: shared.disk.blocks,
          blockSize: shared.disk.blockSize,
          queueDepth,
          ops,
          writeFraction,
          maxBlocks,
          start,
        },
      ];
    }
    return [];
  });
}
