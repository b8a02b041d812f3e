// The actors a partition of a scenario can have and the trace events each can record, for the
// scenario checks of a fault's `when:` (src/scenario/trigger-check.ts). An actor is named
// `<partition>/<module>` (the systemIds the hosts give: hypervisor.ts's lifecycle, command-host.ts,
// iosp-host.ts, guest-partition.machine.ts's modules) or, for a device kind's machine,
// `<partition>/<module>:<instance>`. Its events are its machine's traced effect types
// (traced-effects.ts, each kind's registration), and for the lifecycle its machine's events.
// trace-actors.test.ts holds this table to the records of real runs.
//
// Choice: a device kind's actors exist only in a guest with a device of the kind (the driver is
// probed for it, the layers start above it); the Era A client bus (visorclientbus, virtpci) only in
// a guest whose driver set has a virtpci driver (driver-set.ts), as guest-host.ts loads it.

import { partitionLifecycleMachine } from '../../machines/partition-lifecycle.machine.js';
import { KINDS } from '../kinds/index.js';
import { type DriverSetInput, guestDriverSet } from './driver-set.js';
import {
  COMMAND_PARTITION_TRACED,
  GUEST_PARTITION_TRACED,
  IOSP_RECOVERY_TRACED,
  IOSP_TRACED,
  tracedEvents,
  VIRTPCI_TRACED,
  VISORBUS_TRACED,
  VISORCHIPSET_TRACED,
  VISORCLIENTBUS_TRACED,
} from './traced-effects.js';

/** One kind of actor a partition can have, and the trace events it can record. */
export interface TracedModule {
  /** The module part of its systemId (`visorchipset`, `virthba`). */
  readonly module: string;
  /** True when its systemId carries an instance after the module: `guest1/virthba:2:0`. */
  readonly instanced: boolean;
  readonly events: readonly string[];
}

/** What the table reads of a scenario or configuration (the guests' devices and drivers). */
export interface TracedScenario {
  readonly partitions: readonly (DriverSetInput['partitions'][number] & {
    readonly kind: 'command' | 'iosp' | 'guest';
  })[];
}

/** The lifecycle actor `<partition>/lifecycle` records its machine's events (hypervisor.ts). */
const LIFECYCLE: TracedModule = {
  module: 'lifecycle',
  instanced: false,
  events: partitionLifecycleMachine.root.events,
};

const core = (module: string, traced: Readonly<Record<string, boolean>>): TracedModule => ({
  module,
  instanced: false,
  events: tracedEvents(traced),
});

const COMMAND: readonly TracedModule[] = [
  core('command-partition', COMMAND_PARTITION_TRACED),
  core('iosp-recovery', IOSP_RECOVERY_TRACED),
];
const IOSP: readonly TracedModule[] = [core('iosp', IOSP_TRACED)];
const GUEST: readonly TracedModule[] = [
  core('guest-partition', GUEST_PARTITION_TRACED),
  core('visorchipset', VISORCHIPSET_TRACED),
  core('visorbus', VISORBUS_TRACED),
];
const CLIENT_BUS: readonly TracedModule[] = [
  core('visorclientbus', VISORCLIENTBUS_TRACED),
  core('virtpci', VIRTPCI_TRACED),
];

/** The actors partition `name` of `scenario` can have; empty when it has no such partition. */
export function tracedModules(scenario: TracedScenario, name: string): TracedModule[] {
  const partition = scenario.partitions.findLast((p) => p.name === name);
  if (partition === undefined) return [];
  if (partition.kind === 'command') return [LIFECYCLE, ...COMMAND];
  if (partition.kind === 'iosp') return [LIFECYCLE, ...IOSP];
  const drivers = [...guestDriverSet(scenario, name).values()];
  const clientBus = drivers.some((d) => d.bus === 'virtpci') ? CLIENT_BUS : [];
  const types = new Set(partition.devices.map((d) => d.channelType));
  const kinds = KINDS.filter((k) => k.channels.some((c) => types.has(c.type.name)));
  const devices = kinds.flatMap((k) =>
    k.machines.map((m) => ({ module: m.module, instanced: true, events: tracedEvents(m.traced) })),
  );
  return [LIFECYCLE, ...GUEST, ...clientBus, ...devices];
}

/**
 * Where actors of `module` run, when some partition of some scenario has them (`a guest with a
 * vnic device`); undefined for a name no partition ever has.
 */
export function moduleHome(module: string): string | undefined {
  if (module === LIFECYCLE.module) return 'every partition';
  if (COMMAND.some((m) => m.module === module)) return 'the command partition';
  if (IOSP.some((m) => m.module === module)) return 'an IOSP';
  if (GUEST.some((m) => m.module === module)) return 'a guest';
  const eraA = KINDS.filter((k) => k.driver?.bus === 'virtpci').map((k) => k.name);
  if (CLIENT_BUS.some((m) => m.module === module))
    return `a guest with an Era A device (${eraA.join(' or ')}), which loads the client bus`;
  const kind = KINDS.find((k) => k.machines.some((m) => m.module === module));
  return kind === undefined ? undefined : `a guest with a ${kind.name} device`;
}
