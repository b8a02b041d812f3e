// guest-partition: one guest's lifecycle and its driver set (spar-protocol.md §6 minimum driver
// set and boot order, §3.4 probe/remove, §5.11–5.12 Era A client bus). The guest's kernel modules
// are its child actors, each with systemId `<partition>/<module>`: visorchipset and visorbus
// always; visorclientbus and virtpci when the driver set has Era A drivers (`clientBus`), which
// §6.2 loads in a disk-booting guest; and one function
// driver actor per bound device, spawned at probe and stopped at remove.
//
// Split (STYLE §4): this machine decides which actors exist; the partition host subscribes to
// each child's effects and performs them (channel I/O, routing answers between children).
//
// - `loading`: the modules are spawned on entry (§6.1 boot order: visorbus, then visorchipset,
//   which starts polling the controlvm channel). The host answers MODULES_LOADED once it listens
//   to every child, so no effect is emitted before someone performs it.
// - `running`: the command partition's creates reach the drivers. `online` records the
//   chipset's KOBJ_ONLINE uevent (CHIPSET_READY, §2.6); the guest is running either way.
// - `stopped`: STOP (orderly shutdown) stops every child; final. A crash is not an event here:
//   the runtime throws the whole actor away (its channel memory survives).
//
// Choice: a driver actor's id is its systemId, so the host can find it by either.
// Choice: PROBE_DRIVER for a device that already has a driver actor is ignored (visorbus never
// probes a bound device twice; a host bug would show as a missing actor, not a duplicate).

import { type AnyStateMachine, assign, enqueueActions, setup } from 'xstate';
import { KIND_MACHINES } from '../src/kinds/index.js';
import { narrowEvent } from './narrow-event.js';
import { virtpciMachine } from './virtpci.machine.js';
import { visorbusMachine } from './visorbus.machine.js';
import type { DriverRegistration } from './visorbus.logic.js';
import { visorchipsetMachine } from './visorchipset.machine.js';
import { visorclientbusMachine } from './visorclientbus.machine.js';

/**
 * The guest's modules by name: the bus modules, and the machines of the device kinds
 * (src/kinds): their drivers and the layers above them. Spawned by name (a kind's module is any
 * string); actor implementations are not part of the config, so Stately reads it as it stands.
 */
const guestModules: Readonly<Record<string, AnyStateMachine>> = {
  visorchipset: visorchipsetMachine,
  visorbus: visorbusMachine,
  visorclientbus: visorclientbusMachine,
  virtpci: virtpciMachine,
  ...Object.fromEntries(KIND_MACHINES.map((m) => [m.module, m.machine])),
};

/** Machine input. */
export interface GuestPartitionInput {
  readonly partition: string;
  /** Milliseconds per jiffy (visorchipset's poll cadence). */
  readonly jiffyMs: number;
  /** visorbus's driver registrations, in registration order. */
  readonly visorbusDrivers: readonly DriverRegistration[];
  /** Load the Era A client bus (visorclientbus, virtpci) for virthba/virtnic (§5.11, §5.12). */
  readonly clientBus: boolean;
  /** Upstream quirks switched on, per module (each module's `quirks` input); default none. */
  readonly quirks?: Readonly<Record<string, Readonly<Record<string, boolean>>>>;
}

/** Context: plain data. */
export interface GuestPartitionContext {
  readonly partition: string;
  readonly jiffyMs: number;
  readonly visorbusDrivers: GuestPartitionInput['visorbusDrivers'];
  readonly clientBus: boolean;
  readonly quirks: Readonly<Record<string, Readonly<Record<string, boolean>>>>;
  /** systemIds of the bound function-driver actors, in probe order. */
  readonly boundDrivers: readonly string[];
  /** KOBJ_ONLINE seen (CHIPSET_READY). */
  readonly online: boolean;
  /** systemIds of the layers running above drivers (SCSI midlayers, IP layers, workloads). */
  readonly layers: readonly string[];
  /** Times any driver was probed and removed. */
  readonly probes: number;
  readonly removals: number;
}

/** Events the partition host sends. */
export type GuestPartitionEvent =
  | { readonly type: 'MODULES_LOADED' }
  /** Spawn the actor of `module` for a device (visorbus asked for probe). */
  | {
      readonly type: 'PROBE_DRIVER';
      /** A device kind's driver module (src/kinds). */
      readonly module: string;
      readonly systemId: string;
      readonly busNo: number;
      readonly devNo: number;
    }
  /** The driver's remove returned: stop its actor. */
  | { readonly type: 'DRIVER_GONE'; readonly systemId: string }
  | { readonly type: 'CHIPSET_ONLINE'; readonly online: boolean }
  /**
   * Start a layer above a driver, a device kind's module: the SCSI midlayer of a probed vhba, the
   * IP layer of an open interface, a workload (a user program). LAYER_GONE stops it.
   */
  | {
      readonly type: 'START_LAYER';
      readonly module: string;
      readonly systemId: string;
      readonly input: unknown;
    }
  | { readonly type: 'LAYER_GONE'; readonly systemId: string }
  | { readonly type: 'STOP' };

/** systemId of one of the guest's modules. */
export function moduleSystemId(partition: string, module: string): string {
  return `${partition}/${module}`;
}

/** The guest-partition machine; create with `input: GuestPartitionInput` and the runtime's clock. */
export const guestPartitionMachine = setup({
  types: {
    context: {} as GuestPartitionContext,
    events: {} as GuestPartitionEvent,
    input: {} as GuestPartitionInput,
  },
  actors: guestModules,
  guards: {
    isNewDriver: ({ context, event }) =>
      !context.boundDrivers.includes(narrowEvent(event, 'PROBE_DRIVER').systemId),
    isBoundDriver: ({ context, event }) =>
      context.boundDrivers.includes(narrowEvent(event, 'DRIVER_GONE').systemId),
  },
  actions: {
    spawnModules: enqueueActions(({ context, enqueue }) => {
      const { partition, jiffyMs, visorbusDrivers } = context;
      const bus = moduleSystemId(partition, 'visorbus');
      const chipset = moduleSystemId(partition, 'visorchipset');
      enqueue.spawnChild('visorbus', {
        id: bus,
        systemId: bus,
        input: { partition, drivers: visorbusDrivers },
      });
      enqueue.spawnChild('visorchipset', {
        id: chipset,
        systemId: chipset,
        input: { partition, jiffyMs },
      });
      if (!context.clientBus) return;
      const clientbus = moduleSystemId(partition, 'visorclientbus');
      const virtpci = moduleSystemId(partition, 'virtpci');
      const quirks = (module: string) => ({ quirks: { ...context.quirks[module] } });
      enqueue.spawnChild('visorclientbus', {
        id: clientbus,
        systemId: clientbus,
        input: { partition, ...quirks('visorclientbus') },
      });
      enqueue.spawnChild('virtpci', {
        id: virtpci,
        systemId: virtpci,
        input: { partition, ...quirks('virtpci') },
      });
    }),
    spawnDriver: enqueueActions(({ context, event, enqueue }) => {
      const { module, busNo, devNo, systemId } = narrowEvent(event, 'PROBE_DRIVER');
      const input = {
        partition: context.partition,
        busNo,
        devNo,
        jiffyMs: context.jiffyMs,
        quirks: { ...context.quirks[module] },
      };
      enqueue.spawnChild(module, { id: systemId, systemId, input });
      enqueue.assign({
        boundDrivers: [...context.boundDrivers, systemId],
        probes: context.probes + 1,
      });
    }),
    stopDriver: enqueueActions(({ context, event, enqueue }) => {
      const { systemId } = narrowEvent(event, 'DRIVER_GONE');
      enqueue.stopChild(systemId);
      const boundDrivers = context.boundDrivers.filter((id) => id !== systemId);
      enqueue.assign({ boundDrivers, removals: context.removals + 1 });
    }),
    // A layer lives until its device goes (LAYER_GONE) or, for a workload, until the guest stops.
    spawnLayer: enqueueActions(({ context, event, enqueue }) => {
      const { module, systemId, input } = narrowEvent(event, 'START_LAYER');
      if (context.layers.includes(systemId)) return;
      enqueue.spawnChild(module, { id: systemId, systemId, input });
      enqueue.assign({ layers: [...context.layers, systemId] });
    }),
    stopLayer: enqueueActions(({ context, event, enqueue }) => {
      const { systemId } = narrowEvent(event, 'LAYER_GONE');
      if (!context.layers.includes(systemId)) return;
      enqueue.stopChild(systemId);
      enqueue.assign({ layers: context.layers.filter((id) => id !== systemId) });
    }),
    recordOnline: assign({
      online: ({ event }) => narrowEvent(event, 'CHIPSET_ONLINE').online,
    }),
  },
}).createMachine({
  id: 'guestPartition',
  context: ({ input }) => ({
    partition: input.partition,
    jiffyMs: input.jiffyMs,
    visorbusDrivers: input.visorbusDrivers,
    clientBus: input.clientBus,
    quirks: input.quirks ?? {},
    boundDrivers: [],
    online: false,
    layers: [],
    probes: 0,
    removals: 0,
  }),
  initial: 'loading',
  states: {
    loading: {
      description: 'visorbus and visorchipset are loading; the host is connecting to them.',
      entry: 'spawnModules',
      on: { MODULES_LOADED: { target: 'running' }, STOP: { target: 'stopped' } },
    },
    running: {
      description: 'Polling controlvm; devices are created, probed and removed as the CP asks.',
      on: {
        PROBE_DRIVER: { guard: 'isNewDriver', actions: 'spawnDriver' },
        DRIVER_GONE: { guard: 'isBoundDriver', actions: 'stopDriver' },
        CHIPSET_ONLINE: { actions: 'recordOnline' },
        START_LAYER: { actions: 'spawnLayer' },
        LAYER_GONE: { actions: 'stopLayer' },
        STOP: { target: 'stopped' },
      },
    },
    stopped: {
      description: 'Orderly shutdown: every module stopped.',
      type: 'final',
    },
  },
});
