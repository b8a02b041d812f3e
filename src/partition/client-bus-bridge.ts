// The Era A half of a guest host (spar-protocol.md §5.7, §5.11, §5.12, §4.6, §4.7): it performs
// the effects of visorclientbus, virtpci and the virtpci drivers (virthba, virtnic), so that
// visorchipset's requests reach visorbus or uislib → virtpci → driver as visorclientbus decides,
// and each comes back as exactly one answer. Channel I/O here is what uislib and virtpci did to
// the device channel: read the WWNN / MAC the IOSP published, poll `srv_state`, set
// `cli_state_os = ATTACHED`, and write vbus device records. A driver's IO effects are its
// device stack's (storage-stack.ts, net-stack.ts).

import type { AnyActorRef } from 'xstate';
import type { virtpciMachine } from '../../machines/virtpci.machine.js';
import type { VirtpciDriverEmitted } from '../../machines/virtpci-driver.logic.js';
import { virtpciDriverSystemId } from '../../machines/virtpci-driver.logic.js';
import type { visorclientbusMachine } from '../../machines/visorclientbus.machine.js';
import type { VisorchipsetEvent, VisorbusRequest } from '../../machines/visorchipset.logic.js';
import type { GuestMsg, UislibInjectMsg } from '../../machines/visoruislib.logic.js';
import { assert } from '../base/assert.js';
import { StructView } from '../base/struct.js';
import {
  CHANNELCLI_ATTACHED,
  ChannelMemory,
  isServerReady,
  setClientState,
} from '../channel/index.js';
import { KINDS } from '../kinds/index.js';
import type { DeviceKind, DeviceStack, GuestKindContext, GuestKindSide } from '../kinds/kind.js';
import { visorIoChannel } from '../protocol/iochannel-layout.js';
import type { AnyBinding, Binding, BindingOf, EffectOf, VariantOf } from './binding.js';
import type { GuestChannels } from './guest-channels.js';
import { writeVbusRecord } from './vbus-records.js';

/** What the bridge uses of its guest host. */
export interface BridgeHost extends GuestKindContext {
  readonly channels: GuestChannels;
  readonly chipset: AnyActorRef;
  readonly bus: AnyActorRef;
  /** The spawned child `systemId`. */
  child(systemId: string): AnyActorRef;
  /** Binds a child with a binding its kind already checked against the child's machine. */
  bindEffects(systemId: string, binding: AnyBinding): AnyActorRef;
}

/** Routes visorclientbus, virtpci and virtpci-driver effects of one guest. */
export class ClientBusBridge {
  private readonly clientbus: AnyActorRef;
  private readonly virtpci: AnyActorRef;
  private readonly drivers = new Map<string, AnyActorRef>();
  private readonly stacks = new Map<string, DeviceStack>();
  /** The guest side of each kind with a virtpci driver, by driver module. */
  private readonly sides = new Map<
    string,
    { readonly kind: DeviceKind; readonly side: GuestKindSide }
  >();

  constructor(private readonly host: BridgeHost) {
    const { partition } = host;
    for (const kind of KINDS) {
      if (kind.driver?.bus !== 'virtpci' || kind.guest === undefined) continue;
      this.sides.set(kind.driver.registration.module, { kind, side: kind.guest(host) });
    }
    const clientbus = `${partition}/visorclientbus`;
    this.clientbus = host.bind<typeof visorclientbusMachine>(clientbus, this.clientBusBinding());
    this.virtpci = host.bind<typeof virtpciMachine>(`${partition}/virtpci`, this.virtpciBinding());
  }

  /** Each kind's part of the guest's report, by kind name (plain data). */
  reports(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const { kind, side } of this.sides.values()) out[kind.name] = side.report();
    return out;
  }

  /** The guest stopped: its storage and network stacks stop polling and listening. */
  stop(): void {
    for (const stack of this.stacks.values()) stack.detach();
    this.stacks.clear();
  }

  /** A request visorchipset handed on (channels already mapped). */
  request(request: VisorbusRequest): void {
    this.clientbus.send({ type: 'CHIPSET_REQUEST', request });
  }

  /** visorbus answered a request visorclientbus forwarded. */
  visorbusDone(done: Omit<Extract<VisorchipsetEvent, { type: 'VISORBUS_DONE' }>, 'type'>): void {
    this.clientbus.send({ ...done, type: 'VISORBUS_DONE' });
  }

  private clientBusBinding(): BindingOf<typeof visorclientbusMachine> {
    return {
      'visorbus.forward': ({ request }) =>
        this.host.bus.send({ type: 'VISORBUS_REQUEST', request }),
      'uislib.inject': ({ msg }) =>
        this.virtpci.send({ type: 'GUEST_MSG', msg: this.withIdentity(msg) }),
      'visorchipset.done': ({ type: _type, ...done }) =>
        this.host.chipset.send({ ...done, type: 'VISORBUS_DONE' }),
    };
  }

  // uislib read the adapter's identity from the channel before handing the add to virtpci, so
  // what it reads is whatever the IOSP has published by then (zero if it has not).
  private withIdentity(msg: UislibInjectMsg): GuestMsg {
    if (!('kind' in msg)) return msg;
    const { busNo, devNo } = msg;
    const channel = this.host.channels.device(busNo, devNo);
    const view = channel === undefined ? null : StructView.at(visorIoChannel, channel.buffer, 0);
    if (msg.kind === 'vhba') {
      const high = view === null ? 0n : BigInt(view.get('vhba.wwnn.wwnn2')) << 32n;
      const wwnn = view === null ? 0n : high | BigInt(view.get('vhba.wwnn.wwnn1'));
      return { msgtype: msg.msgtype, busNo, devNo, wwnn: wwnn.toString(16).padStart(16, '0') };
    }
    const mac = view === null ? new Uint8Array(6) : view.raw('vnic.macaddr');
    const text = [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    return { msgtype: msg.msgtype, busNo, devNo, mac: text };
  }

  private virtpciBinding(): BindingOf<typeof virtpciMachine> {
    const call = (type: 'SUSPEND' | 'RESUME' | 'REMOVE') => (e: VirtpciCall) => {
      const at = { partition: this.host.partition, busNo: e.busNo, devNo: e.devNo };
      this.drivers.get(virtpciDriverSystemId(e.driver, at))?.send({ type });
    };
    return {
      'uislib.done': ({ type: _type, ...done }) =>
        this.clientbus.send({ ...done, type: 'UISLIB_DONE' }),
      'channel.readServerState': ({ busNo, devNo }) => {
        const channel = this.host.channels.device(busNo, devNo);
        const serverReady =
          channel !== undefined && isServerReady(new ChannelMemory(channel.buffer));
        this.virtpci.send({ type: 'CHANNEL_STATUS', busNo, devNo, serverReady });
      },
      'channel.setClientStateAttached': ({ busNo, devNo }) => this.attach(busNo, devNo),
      'vbus.write': (write) => {
        const bus = this.host.channels.bus(write.busNo);
        const devtype = write.record === 'device' ? write.devtype : '';
        if (bus !== undefined) writeVbusRecord(bus, write, devtype);
      },
      'driver.probe': ({ driver, busNo, devNo }) => this.probe(driver, busNo, devNo),
      'driver.suspend': call('SUSPEND'),
      'driver.resume': call('RESUME'),
      'driver.remove': call('REMOVE'),
    };
  }

  // virtpci set the channel's OS client state to ATTACHED before registering the device; a
  // hostile or re-initialised channel that refuses the change is left as it is (§1.3).
  private attach(busNo: number, devNo: number): void {
    const channel = this.host.channels.device(busNo, devNo);
    if (channel !== undefined)
      setClientState(new ChannelMemory(channel.buffer), 'os', CHANNELCLI_ATTACHED);
  }

  // The driver's actor is spawned and bound (its control effects here, its IO effects to the
  // device stack its kind puts above it), probed, and then the stack starts its upper layers.
  private probe(module: 'virthba' | 'virtnic', busNo: number, devNo: number): void {
    const id = virtpciDriverSystemId(module, { partition: this.host.partition, busNo, devNo });
    this.host.guest.send({ type: 'PROBE_DRIVER', module, systemId: id, busNo, devNo });
    const driver = this.host.child(id);
    const control = this.driverBinding(id, busNo, devNo);
    const channel = this.host.channels.device(busNo, devNo);
    const side = this.sides.get(module)?.side;
    assert(channel !== undefined, `${id}: virtpci probes only a mapped device`);
    assert(side !== undefined, `${id}: a virtpci driver's kind has a guest side`);
    const stack = side.attach({ busNo, devNo, channel, driver, control });
    this.host.bindEffects(id, stack.binding);
    this.drivers.set(id, driver);
    this.stacks.set(id, stack);
    driver.send({ type: 'PROBE' });
    stack.start();
  }

  // The control half of a virtpci driver's binding: its answers go to virtpci, its pause response
  // straight to visorchipset (§4.6 serverdown).
  private driverBinding(id: string, busNo: number, devNo: number): Binding<VirtpciDriverEmitted> {
    const at = { busNo, devNo };
    return {
      'driver.probed': ({ status }) => this.virtpci.send({ type: 'DRIVER_PROBED', ...at, status }),
      'driver.suspended': ({ status }) =>
        this.virtpci.send({ type: 'DRIVER_SUSPENDED', ...at, status }),
      'driver.resumed': ({ status }) =>
        this.virtpci.send({ type: 'DRIVER_RESUMED', ...at, status }),
      // `visorchipset_device_pause_response`.
      'driver.pauseResponse': ({ status }) =>
        this.host.chipset.send({ type: 'VISORBUS_DONE', kind: 'pauseDevice', ...at, status }),
      'channel.setClientStateAttached': () => this.attach(busNo, devNo),
      'driver.removed': () => {
        this.stacks.get(id)?.remove();
        this.stacks.delete(id);
        this.drivers.delete(id);
        this.host.guest.send({ type: 'DRIVER_GONE', systemId: id });
        this.virtpci.send({ type: 'DRIVER_REMOVED', ...at });
      },
    };
  }
}

/** A virtpci driver call. */
type VirtpciCall = VariantOf<
  EffectOf<typeof virtpciMachine>,
  'driver.suspend' | 'driver.resume' | 'driver.remove'
>;
