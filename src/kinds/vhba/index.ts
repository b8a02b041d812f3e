// The vhba kind: a virtual SCSI host bus adapter an IO service partition serves from its disks
// (spar-protocol.md §4.2, §4.4, §4.6). The guest runs Era A virthba on virtpci, the SCSI midlayer
// above it and block workloads above that.

import { blockWorkloadMachine } from '../../../machines/block-workload.machine.js';
import { scsiMidlayerMachine } from '../../../machines/scsi-midlayer.machine.js';
import { VIRTHBA_DRIVER } from '../../../machines/virtpci-driver.logic.js';
import { virthbaMachine } from '../../../machines/virthba.machine.js';
import { DMA_WINDOW_BYTES } from './hardware.js';
import { type DeviceKind, kindMachine } from '../kind.js';
import { VIRTPCI_DRIVER_TRACED } from '../../partition/traced-effects.js';
import { vhbaScenario } from './scenario.js';
import { VHBA_CHANNEL } from './channel.js';
import { vhbaGuest } from './guest.js';
import { VHBA_QUIRKS } from './quirks.js';
import type { Disk } from './disk.js';
import { allocateDisks, type DiskShare, shareDisks } from './disks.js';
import { VHBA_EXPECTATIONS } from './expectations.js';
import { vhbaReport } from './report.js';
import { ScsiServer } from './scsi-server.js';

/** The vhba kind: its hardware is the disks, an IOSP's share the disks it owns. */
export const vhbaKind: DeviceKind<ReadonlyMap<string, Disk>, readonly DiskShare[]> = {
  name: 'vhba',
  summary: 'A virtual SCSI HBA served by an IO service partition from its disks (§4.2, §4.4).',
  channels: [{ type: VHBA_CHANNEL, server: 'iosp', dmaWindowBytes: DMA_WINDOW_BYTES }],
  driver: { bus: 'virtpci', registration: VIRTHBA_DRIVER },
  machines: [
    kindMachine({
      module: 'virthba',
      machine: virthbaMachine,
      summary:
        "Era A virthba with the final driver's IO path: a 128-slot pending table, commands on the channel, responses by handle, DID_RESET for every pending command on pause, busy while the server is down, task management with its 45 s wait (spar-protocol.md §4.2, §4.6).",
      traced: {
        ...VIRTPCI_DRIVER_TRACED,
        'channel.insertScsi': true,
        'channel.insertTaskMgmt': true,
        'channel.removeResponse': true,
        'scsi.blockRequests': true,
        'scsi.unblockRequests': true,
        'scsi.complete': true,
        'taskmgmt.complete': true,
      },
    }),
    kindMachine({
      module: 'scsi-midlayer',
      machine: scsiMidlayerMachine,
      summary:
        "The guest's SCSI midlayer for one virtual HBA: READ/WRITE CDBs, requeue on busy, retry on DID_RESET within SD_MAX_RETRIES, sd's 30 s command timeout with the error handler's abort and resets, each request completed exactly once (spar-protocol.md §4.2 guarantee).",
      traced: {
        'hba.queue': true,
        'hba.taskMgmt': true,
        'request.done': true,
      },
    }),
    kindMachine({
      module: 'block-workload',
      machine: blockWorkloadMachine,
      summary:
        'A guest workload writing versioned blocks to a disk at a queue depth and reading them back, checking every read against the acknowledged writes (spar-protocol.md §4.8).',
      traced: {
        'workload.submit': true,
        'workload.verified': true,
        'workload.done': true,
        'workload.finished': true,
      },
    }),
  ],
  guest: vhbaGuest,
  hardware: { allocate: allocateDisks, share: shareDisks },
  server: (ctx) => new ScsiServer(ctx),
  scenario: vhbaScenario,
  report: vhbaReport,
  expectations: VHBA_EXPECTATIONS,
  quirks: VHBA_QUIRKS,
};
