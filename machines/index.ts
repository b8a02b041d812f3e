// The registry of every machine in machines/ (issue: CLI, `spar export` and `spar list`): one entry
// per `*.machine.ts` file with the machine and one sentence of what it models and where the
// reference describes it. `spar export` writes every entry; its tests iterate this list, so a
// machine added here is exported and round-trip tested without further changes.
//
// Adding a machine: import it below and add one `{ id, machine, summary }` line to MACHINES.
// The id is the machine file's name (`virthba.machine.ts` → `virthba`), which is also the
// kebab-case form of `machine.id` (`commandPartition` → `command-partition`); `registryIdOf`
// computes that mapping and src/export/registry.test.ts holds every entry to it.

import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { commandPartitionMachine } from './command-partition.machine.js';
import { blockWorkloadMachine } from './block-workload.machine.js';
import { guestPartitionMachine } from './guest-partition.machine.js';
import { iospRecoveryMachine } from './iosp-recovery.machine.js';
import { iospMachine } from './iosp.machine.js';
import { partitionLifecycleMachine } from './partition-lifecycle.machine.js';
import { scsiMidlayerMachine } from './scsi-midlayer.machine.js';
import { virthbaMachine } from './virthba.machine.js';
import { ipStackMachine } from './ip-stack.machine.js';
import { virtnicMachine } from './virtnic.machine.js';
import { virtpciMachine } from './virtpci.machine.js';
import { visorbusMachine } from './visorbus.machine.js';
import { visorchipsetMachine } from './visorchipset.machine.js';
import { visorclientbusMachine } from './visorclientbus.machine.js';
import { visorconinclientMachine } from './visorconinclient.machine.js';
import { visornoopMachine } from './visornoop.machine.js';
import { visorvideoclientMachine } from './visorvideoclient.machine.js';

/** One registered machine. */
export interface MachineEntry {
  /** File-name id, `registryIdOf(machine)`: lowercase words joined by `-`, unique. */
  readonly id: string;
  readonly machine: AnyStateMachine;
  /** One sentence: what the machine models, with the reference section. */
  readonly summary: string;
}

/** Every machine, in the order `spar export` and `spar list` show them. */
export const MACHINES: readonly MachineEntry[] = [
  {
    id: 'command-partition',
    machine: commandPartitionMachine,
    summary:
      "The command partition's side of every guest's controlvm channel: brings each guest up with CHIPSET_INIT, BUS_CREATE/CONFIGURE and DEVICE_CREATE, then changes device states and destroys devices (spar-protocol.md §2.1–§2.7, §3.5).",
  },
  {
    id: 'guest-partition',
    machine: guestPartitionMachine,
    summary:
      "One guest's lifecycle and driver set: its kernel modules are child actors, visorchipset and visorbus at load and one function driver per probed device (spar-protocol.md §6, §3.4).",
  },
  {
    id: 'iosp-recovery',
    machine: iospRecoveryMachine,
    summary:
      "The command partition's recovery: an IOSP reported down pauses each of its devices with DEVICE_CHANGESTATE standby, reported up resumes them with running (spar-protocol.md §4.1, §4.8).",
  },
  {
    id: 'iosp',
    machine: iospMachine,
    summary:
      "An IO service partition's service loop: re-initialises every channel it serves at boot, then polls them for the guests' commands (spar-protocol.md §4.1, §4.4).",
  },
  {
    id: 'partition-lifecycle',
    machine: partitionLifecycleMachine,
    summary:
      'A partition as the hypervisor sees it: off, booting, running, hung, crashed, rebooting after a down time, or shut down (spar-protocol.md §4.1).',
  },
  {
    id: 'visorchipset',
    machine: visorchipsetMachine,
    summary:
      'The guest side of the controlvm protocol as visorchipset.c runs it: poll cadence, per-command preconditions and exactly one response per request (spar-protocol.md §2.5, §2.6, §2.10).',
  },
  {
    id: 'visorbus',
    machine: visorbusMachine,
    summary:
      'The bus driver of visorbus.ko: registers buses and devices, matches drivers and brokers probe, remove, pause and resume to the driver machines (spar-protocol.md §1.7, §3.3–§3.5).',
  },
  {
    id: 'visornoop',
    machine: visornoopMachine,
    summary:
      'The Era A do-nothing driver for the control director channel: binds at probe and completes pause and resume at once (spar-protocol.md §5.6).',
  },
  {
    id: 'visorvideoclient',
    machine: visorvideoclientMachine,
    summary:
      'The Era A console video driver: binds at probe, completes pause and resume at once and counts poll ticks while running (spar-protocol.md §5.4).',
  },
  {
    id: 'visorconinclient',
    machine: visorconinclientMachine,
    summary:
      'The Era A keyboard and mouse driver: binds at probe, enables channel polling and completes pause and resume at once (spar-protocol.md §5.5).',
  },
  {
    id: 'visorclientbus',
    machine: visorclientbusMachine,
    summary:
      'The Era A client bus: routes vhba/vnic creates, pauses and resumes to uislib and virtpci and everything else to visorbus, answering visorchipset once per request (spar-protocol.md §5.11).',
  },
  {
    id: 'virtpci',
    machine: virtpciMachine,
    summary:
      "Era A virtpci with uislib's bus table: waits up to 120 s for the IOSP to make a channel ready, attaches it and probes virthba or virtnic; routes pause/resume to suspend/resume (spar-protocol.md §5.7, §5.12).",
  },
  {
    id: 'virthba',
    machine: virthbaMachine,
    summary:
      "Era A virthba with the final driver's IO path: a 128-slot pending table, commands on the channel, responses by handle, DID_RESET for every pending command on pause, busy while the server is down, task management with its 45 s wait (spar-protocol.md §4.2, §4.6).",
  },
  {
    id: 'scsi-midlayer',
    machine: scsiMidlayerMachine,
    summary:
      "The guest's SCSI midlayer for one virtual HBA: READ/WRITE CDBs, requeue on busy, retry on DID_RESET within SD_MAX_RETRIES, each request completed exactly once (spar-protocol.md §4.2 guarantee).",
  },
  {
    id: 'block-workload',
    machine: blockWorkloadMachine,
    summary:
      'A guest workload writing versioned blocks to a disk at a queue depth and reading them back, checking every read against the acknowledged writes (spar-protocol.md §4.8).',
  },
  {
    id: 'virtnic',
    machine: virtnicMachine,
    summary:
      'Era A virtnic with the visornic IO path: receive posts, NET_RCV, NET_XMIT with flow control, ENBDIS, the TX watchdog; pause takes the link down, resume reposts and the link returns on the ENBDIS ack (spar-protocol.md §4.3, §4.7).',
  },
  {
    id: 'ip-stack',
    machine: ipStackMachine,
    summary:
      "The guest's IPv4 layer on one vNIC: answers ARP and ICMP echo, resolves neighbours and runs the ping flows with their ledgers, above virtnic's receive filter (spar-protocol.md §4.3, §4.7).",
  },
];

/** What `spar list` shows of a machine. */
export interface MachineListing {
  readonly id: string;
  readonly summary: string;
  /** Every state node below the root, nested and parallel regions included (the root not counted). */
  readonly stateCount: number;
}

/** The registry in the shape `spar list` prints. */
export function machineListing(entries: readonly MachineEntry[] = MACHINES): MachineListing[] {
  return entries.map(({ id, summary, machine }) => ({
    id,
    summary,
    stateCount: countStates(machine.root),
  }));
}

/** The registry id a machine gets: `machine.id` in kebab case (`guestPartition` → `guest-partition`). */
export function registryIdOf(machine: AnyStateMachine): string {
  return machine.id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function countStates(node: AnyStateNode): number {
  return Object.values(node.states).reduce((count, child) => count + 1 + countStates(child), 0);
}
