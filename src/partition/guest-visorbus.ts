// The guest host's side of visorbus and its function drivers (spar-protocol.md §1.7 channel check,
// §1.9 vbus records, §3.4 probe/remove, §3.5 pause/resume, §7 device polling): it spawns a driver
// actor when visorbus probes, calls its entry points and routes its answers back to visorbus. Matching, binding state and the
// exactly-once rules are the machines', and so is the device poll (visor-driver.logic.ts).

import type { AnyActorRef } from 'xstate';
import {
  type VisorDriverEmitted,
  type VisorDriverMachine,
  visorDriverSystemId,
} from '../../machines/visor-driver.logic.js';
import type { visorbusMachine } from '../../machines/visorbus.machine.js';
import type { VisorbusEmitted } from '../../machines/visorbus.logic.js';
import type { VisorchipsetEvent } from '../../machines/visorchipset.logic.js';
import { assert } from '../base/assert.js';
import { Channel } from '../channel/index.js';
import type { Binder, Binding, BindingOf } from './binding.js';
import type { Environment } from './environment.js';
import type { GuestChannels } from './guest-channels.js';
import { writeVbusRecord } from './vbus-records.js';

/** What the visorbus side uses of its guest. */
export interface VisorbusParts extends Binder {
  readonly partition: string;
  readonly env: Environment;
  readonly channels: GuestChannels;
  /** The guest-partition actor (spawns and stops driver actors). */
  readonly guest: AnyActorRef;
  /** The visorbus driver modules the guest loaded. */
  readonly modules: ReadonlySet<string>;
  bus(): AnyActorRef;
  /** Where visorbus's answers go: visorchipset, or the Era A client bus that asked. */
  answer(done: Omit<Extract<VisorchipsetEvent, { type: 'VISORBUS_DONE' }>, 'type'>): void;
}

/** visorbus's effects and its drivers'. */
export class GuestVisorbus {
  private readonly drivers = new Map<string, AnyActorRef>();
  readonly binding: BindingOf<typeof visorbusMachine>;
  private readonly driverBinding: Binding<VisorDriverEmitted>;

  constructor(private readonly g: VisorbusParts) {
    const call = (e: Extract<VisorbusEmitted, { driver: string }>) => this.callDriver(e);
    this.binding = {
      'visorchipset.done': ({ type: _type, ...done }) => g.answer(done),
      // Choice: a device record's devtype is spar-sim's channel type name (`video`, `vhba`);
      // the real drivers wrote names such as "sparvhba" or "ultravnic" (§1.9).
      'vbus.write': (write) => {
        const bus = g.channels.bus(write.busNo);
        const devNo = write.record === 'device' ? write.devNo : -1;
        const devtype = g.channels.device(write.busNo, devNo)?.typeName ?? '';
        if (bus !== undefined) writeVbusRecord(bus, write, devtype);
      },
      'channel.check': ({ busNo, devNo, guid, minSizeBytes, version }) => {
        const channel = g.channels.device(busNo, devNo);
        const expected = { guid, minSizeBytes, versionId: version };
        const ok = channel !== undefined && Channel.attach(channel.buffer, expected).ok;
        g.bus().send({ type: 'CHANNEL_CHECKED', busNo, devNo, ok });
      },
      'driver.probe': call,
      'driver.pause': call,
      'driver.resume': call,
      'driver.remove': call,
    };
    const bus = () => g.bus();
    this.driverBinding = {
      'driver.probed': ({ busNo, devNo, status }) =>
        bus().send({ type: 'DRIVER_PROBED', busNo, devNo, status }),
      'driver.pauseStarted': ({ busNo, devNo, status }) =>
        bus().send({ type: 'DRIVER_PAUSE_STARTED', busNo, devNo, status }),
      'driver.resumeStarted': ({ busNo, devNo, status }) =>
        bus().send({ type: 'DRIVER_RESUME_STARTED', busNo, devNo, status }),
      'driver.stateComplete': ({ busNo, devNo, status }) =>
        bus().send({ type: 'DRIVER_STATE_COMPLETE', busNo, devNo, status }),
      'driver.removed': ({ busNo, devNo }) => this.removed(busNo, devNo),
      // visorbus_enable_channel_interrupts: the device's poll timer is its driver actor's own
      // (visor-driver.logic.ts); nothing is left for the host to do.
      'channel.enableInterrupts': () => {},
    };
  }

  // driver.probe spawns the driver's actor; the other calls go to it.
  private callDriver(e: Extract<VisorbusEmitted, { driver: string }>): void {
    const { busNo, devNo, driver } = e;
    const id = visorDriverSystemId(driver, { partition: this.g.partition, busNo, devNo });
    if (e.type === 'driver.probe') {
      assert(this.g.modules.has(driver), `visorbus matched unknown driver ${driver}`);
      this.g.guest.send({ type: 'PROBE_DRIVER', module: driver, systemId: id, busNo, devNo });
      const actor = this.g.bind<VisorDriverMachine>(id, this.driverBinding);
      this.drivers.set(id, actor);
      actor.send({ type: 'PROBE' });
      return;
    }
    // A call for a device whose driver is gone (being_removed) is dropped.
    const entry = { 'driver.pause': 'PAUSE', 'driver.resume': 'RESUME', 'driver.remove': 'REMOVE' };
    this.drivers.get(id)?.send({ type: entry[e.type] });
  }

  private removed(busNo: number, devNo: number): void {
    const id = [...this.drivers.keys()].find((d) => d.endsWith(`:vbus${busNo}:dev${devNo}`));
    if (id === undefined) return;
    this.drivers.delete(id);
    this.g.guest.send({ type: 'DRIVER_GONE', systemId: id });
  }
}
