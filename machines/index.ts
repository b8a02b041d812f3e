// The registry of every machine in machines/ (issue: CLI, `spar export` and `spar list`): one entry
// per `*.machine.ts` file with the machine and one sentence of what it models and where the
// reference describes it. `spar export` writes every entry; its tests iterate this list, so a
// machine added here is exported and round-trip tested without further changes.
//
// Adding a machine: a device kind's machines come from its registration (src/kinds, `machines`);
// any other machine is imported below with one `{ id, machine, summary }` line in MACHINES.
// The id is the machine file's name (`virthba.machine.ts` → `virthba`), which is also the
// kebab-case form of `machine.id` (`commandPartition` → `command-partition`); `registryIdOf`
// computes that mapping and src/export/registry.test.ts holds every entry to it.

import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { KIND_MACHINES } from '../src/kinds/index.js';
import { commandPartitionMachine } from './command-partition.machine.js';
import { guestPartitionMachine } from './guest-partition.machine.js';
import { iospRecoveryMachine } from './iosp-recovery.machine.js';
import { iospMachine } from './iosp.machine.js';
import { partitionLifecycleMachine } from './partition-lifecycle.machine.js';
import { virtpciMachine } from './virtpci.machine.js';
import { visorbusMachine } from './visorbus.machine.js';
import { visorchipsetMachine } from './visorchipset.machine.js';
import { visorclientbusMachine } from './visorclientbus.machine.js';

/** One registered machine. */
export interface MachineEntry {
  /** File-name id, `registryIdOf(machine)`: lowercase words joined by `-`, unique. */
  readonly id: string;
  readonly machine: AnyStateMachine;
  /** One sentence: what the machine models, with the reference section. */
  readonly summary: string;
}

/** Every machine, in the order `spar export` and `spar list` show them: the partitions' and the
 * buses' own, then each device kind's (src/kinds). */
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
  ...KIND_MACHINES.map(({ module, machine, summary }) => ({ id: module, machine, summary })),
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
