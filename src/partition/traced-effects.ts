// Which effects each machine's actor writes to the trace, as runtime data: a scenario's `when:`
// names a trace event, and the scenario checks (src/scenario/trigger-check.ts) need to know every
// event an actor can record. A host traces every effect of the actors it binds (bindTraced,
// effect-detail.ts) except its polls, so an actor's trace events are its machine's effect types.
//
// Choice: TypeScript erases the effect unions, so each machine's effect types are written here once
// as a record typed `TracedEffects<its effects>`: the compiler rejects a missing or an unknown
// type, so the record cannot drift from the machine. `false` marks a poll that the host counts but
// does not trace; the hosts read those marks (iosp-host.ts, command-host.ts), so it is said once.
// The device kinds' machines declare theirs in their registration (src/kinds/<kind>/index.ts).

import type { commandPartitionMachine } from '../../machines/command-partition.machine.js';
import type { iospRecoveryMachine } from '../../machines/iosp-recovery.machine.js';
import type { iospMachine } from '../../machines/iosp.machine.js';
import type { VirtpciDriverEmitted } from '../../machines/virtpci-driver.logic.js';
import type { virtpciMachine } from '../../machines/virtpci.machine.js';
import type { VisorDriverEmitted } from '../../machines/visor-driver.logic.js';
import type { visorbusMachine } from '../../machines/visorbus.machine.js';
import type { visorchipsetMachine } from '../../machines/visorchipset.machine.js';
import type { visorclientbusMachine } from '../../machines/visorclientbus.machine.js';
import type { Effect, EffectOf } from './binding.js';

/** Every effect type of `E`: true when the host traces it, false for a poll it only counts. */
export type TracedEffects<E extends Effect> = Readonly<Record<E['type'], boolean>>;

/** The trace events of a record: the effect types marked true. */
export function tracedEvents(effects: Readonly<Record<string, boolean>>): string[] {
  return Object.entries(effects).flatMap(([type, traced]) => (traced ? [type] : []));
}

/** The command partition's controlvm traffic and outcomes. */
export const COMMAND_PARTITION_TRACED: TracedEffects<EffectOf<typeof commandPartitionMachine>> = {
  'cp.outcome': true,
  'controlvm.send': true,
  'cp.guestReady': true,
  'cp.guestFailed': true,
  'cp.guestRebooted': true,
  'cp.rejected': true,
  'cp.staleReply': true,
  'cp.bringUpDone': true,
};

/** The command partition's IOSP recovery; its watchdog's heartbeat reads are polls. */
export const IOSP_RECOVERY_TRACED: TracedEffects<EffectOf<typeof iospRecoveryMachine>> = {
  'cp.changeState': true,
  'watchdog.check': false,
  'hypervisor.reboot': true,
};

/** An IOSP's service loop; its channel polls are counted, not traced. */
export const IOSP_TRACED: TracedEffects<EffectOf<typeof iospMachine>> = {
  'iosp.initChannels': true,
  'iosp.poll': false,
};

/** A guest's visorchipset. */
export const VISORCHIPSET_TRACED: TracedEffects<EffectOf<typeof visorchipsetMachine>> = {
  'controlvm.poll': true,
  'controlvm.respond': true,
  'visorbus.request': true,
  'chipset.uevent': true,
};

/** A guest's visorbus. */
export const VISORBUS_TRACED: TracedEffects<EffectOf<typeof visorbusMachine>> = {
  'driver.probe': true,
  'driver.resume': true,
  'driver.remove': true,
  'driver.pause': true,
  'vbus.write': true,
  'channel.check': true,
  'visorchipset.done': true,
};

/** A guest's Era A client bus. */
export const VISORCLIENTBUS_TRACED: TracedEffects<EffectOf<typeof visorclientbusMachine>> = {
  'visorchipset.done': true,
  'visorbus.forward': true,
  'uislib.inject': true,
};

/** A guest's virtpci. */
export const VIRTPCI_TRACED: TracedEffects<EffectOf<typeof virtpciMachine>> = {
  'channel.setClientStateAttached': true,
  'driver.probe': true,
  'driver.suspend': true,
  'driver.resume': true,
  'driver.remove': true,
  'uislib.done': true,
  'channel.readServerState': true,
  'vbus.write': true,
};

/** What every visorbus function driver emits (visor-driver.logic.ts); a kind's driver adds none. */
export const VISOR_DRIVER_TRACED: TracedEffects<VisorDriverEmitted> = {
  'driver.probed': true,
  'driver.removed': true,
  'channel.enableInterrupts': true,
  'driver.pauseStarted': true,
  'driver.resumeStarted': true,
  'driver.stateComplete': true,
};

/** What every Era A virtpci driver emits to virtpci (virtpci-driver.logic.ts); kinds add IO. */
export const VIRTPCI_DRIVER_TRACED: TracedEffects<VirtpciDriverEmitted> = {
  'driver.probed': true,
  'driver.suspended': true,
  'driver.pauseResponse': true,
  'driver.resumed': true,
  'driver.removed': true,
  'channel.setClientStateAttached': true,
};

/** What a guest's host records in the guest-partition actor's name (guest-host.ts). */
export const GUEST_PARTITION_TRACED = { boot: true } as const;
