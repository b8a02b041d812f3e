// The Era A half of a guest host (spar-protocol.md §5.7, §5.11, §5.12, §4.6, §4.7): it performs
// the effects of visorclientbus, virtpci and the virtpci drivers (virthba, virtnic) and routes
// their answers, so that visorchipset's requests reach visorbus or uislib → virtpci → driver as
// visorclientbus decides, and each comes back as exactly one answer. Channel I/O here is what
// uislib and virtpci did to the device channel: read the WWNN / MAC the IOSP published, poll
// `srv_state`, set `cli_state_os = ATTACHED`, and write vbus device records.

import type { AnyActorRef } from 'xstate';
import { StructView } from '../base/struct.js';
import {
  CHANNELCLI_ATTACHED,
  ChannelMemory,
  isServerReady,
  setClientState,
} from '../channel/index.js';
import type { ChannelRecord, GuestNetwork, GuestWorkload } from '../hypervisor/index.js';
import type { Environment } from './environment.js';
import { NetStack } from './net-stack.js';
import { StorageStack } from './storage-stack.js';
import { visorIoChannel } from '../protocol/iochannel-layout.js';
import { virtpciDriverSystemId } from '../../machines/virtpci-driver.logic.js';
import type { GuestDriverModule } from '../../machines/guest-partition.machine.js';
import { writeVbusRecord } from './vbus-records.js';

type Effect = { readonly type: string } & Record<string, unknown>;

/** What the bridge uses of its guest host. */
export interface BridgeHost {
  readonly partition: string;
  /** The guest-partition actor (spawns and stops driver actors). */
  readonly guest: AnyActorRef;
  readonly chipset: AnyActorRef;
  readonly bus: AnyActorRef;
  /** The child actor with `systemId`, its effects traced and handed to `perform`. */
  connect(systemId: string, perform: (effect: Effect) => void): AnyActorRef;
  readonly env: Environment;
  /** The guest's workloads; each runs on the first vhba its disk's IOSP serves. */
  readonly workloads: readonly GuestWorkload[];
  /** The guest's vnics and ping flows (each flow runs on the vnic the plan chose). */
  readonly network: GuestNetwork;
  busChannel(busNo: number): ChannelRecord | undefined;
  deviceChannel(busNo: number, devNo: number): ChannelRecord | undefined;
}

/** Routes visorclientbus, virtpci and virtpci-driver effects of one guest. */
export class ClientBusBridge {
  private readonly clientbus: AnyActorRef;
  private readonly virtpci: AnyActorRef;
  private readonly drivers = new Map<string, AnyActorRef>();
  private readonly stacks = new Map<string, StorageStack | NetStack>();
  /** IOSPs whose workloads already have a stack. */
  private readonly claimed = new Set<string>();

  constructor(private readonly host: BridgeHost) {
    this.clientbus = host.connect(`${host.partition}/visorclientbus`, (e) =>
      this.performClientBus(e),
    );
    this.virtpci = host.connect(`${host.partition}/virtpci`, (e) => this.performVirtpci(e));
  }

  /** The network stacks, for the run's report. */
  netStacks(): NetStack[] {
    return [...this.stacks.values()].filter((s): s is NetStack => s instanceof NetStack);
  }

  /** The guest stopped: its storage and network stacks stop polling and listening. */
  stop(): void {
    for (const stack of this.stacks.values()) stack.detach();
    this.stacks.clear();
  }

  /** A request visorchipset handed on (channels already mapped). */
  request(request: Readonly<Record<string, unknown>>): void {
    this.clientbus.send({ type: 'CHIPSET_REQUEST', request });
  }

  /** visorbus answered a request visorclientbus forwarded. */
  visorbusDone(effect: Effect): void {
    this.clientbus.send({ ...effect, type: 'VISORBUS_DONE' });
  }

  private performClientBus(effect: Effect): void {
    switch (effect.type) {
      case 'visorbus.forward':
        return void this.host.bus.send({ type: 'VISORBUS_REQUEST', request: effect['request'] });
      case 'uislib.inject':
        return void this.virtpci.send({
          type: 'GUEST_MSG',
          msg: this.withIdentity(effect['msg'] as Readonly<Record<string, unknown>>),
        });
      case 'visorchipset.done':
        return void this.host.chipset.send({ ...effect, type: 'VISORBUS_DONE' });
      default:
        return;
    }
  }

  // uislib read the adapter's identity from the channel before handing the add to virtpci, so
  // what it reads is whatever the IOSP has published by then (zero if it has not).
  private withIdentity(msg: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    if (msg['kind'] !== 'vhba' && msg['kind'] !== 'vnic') return msg;
    const { kind, ...rest } = msg;
    const channel = this.host.deviceChannel(msg['busNo'] as number, msg['devNo'] as number);
    const view = channel === undefined ? null : StructView.at(visorIoChannel, channel.buffer, 0);
    if (kind === 'vhba') {
      const wwnn =
        view === null
          ? 0n
          : (BigInt(view.get('vhba.wwnn.wwnn2')) << 32n) | BigInt(view.get('vhba.wwnn.wwnn1'));
      return { ...rest, wwnn: wwnn.toString(16).padStart(16, '0') };
    }
    const mac = view === null ? new Uint8Array(6) : view.raw('vnic.macaddr');
    return { ...rest, mac: [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':') };
  }

  private performVirtpci(effect: Effect): void {
    const busNo = effect['busNo'] as number;
    const devNo = effect['devNo'] as number;
    switch (effect.type) {
      case 'uislib.done':
        return void this.clientbus.send({ ...effect, type: 'UISLIB_DONE' });
      case 'channel.readServerState': {
        const channel = this.host.deviceChannel(busNo, devNo);
        const serverReady =
          channel !== undefined && isServerReady(new ChannelMemory(channel.buffer));
        return void this.virtpci.send({ type: 'CHANNEL_STATUS', busNo, devNo, serverReady });
      }
      case 'channel.setClientStateAttached':
        return this.attach(busNo, devNo);
      case 'vbus.write': {
        const bus = this.host.busChannel(busNo);
        if (bus !== undefined) writeVbusRecord(bus, effect, String(effect['devtype'] ?? ''));
        return;
      }
      case 'driver.probe':
        return this.probe(effect['driver'] as 'virthba' | 'virtnic', busNo, devNo);
      case 'driver.suspend':
      case 'driver.resume':
      case 'driver.remove': {
        const id = virtpciDriverSystemId(effect['driver'] as 'virthba' | 'virtnic', {
          partition: this.host.partition,
          busNo,
          devNo,
        });
        const entry = {
          'driver.suspend': 'SUSPEND',
          'driver.resume': 'RESUME',
          'driver.remove': 'REMOVE',
        }[effect.type];
        return void this.drivers.get(id)?.send({ type: entry });
      }
      default:
        return;
    }
  }

  // virtpci set the channel's OS client state to ATTACHED before registering the device; a
  // hostile or re-initialised channel that refuses the change is left as it is (§1.3).
  private attach(busNo: number, devNo: number): void {
    const channel = this.host.deviceChannel(busNo, devNo);
    if (channel !== undefined)
      setClientState(new ChannelMemory(channel.buffer), 'os', CHANNELCLI_ATTACHED);
  }

  private probe(module: 'virthba' | 'virtnic', busNo: number, devNo: number): void {
    const id = virtpciDriverSystemId(module, { partition: this.host.partition, busNo, devNo });
    this.host.guest.send({
      type: 'PROBE_DRIVER',
      module: module satisfies GuestDriverModule,
      systemId: id,
      busNo,
      devNo,
    });
    const actor = this.host.connect(id, (e) => this.performDriver(id, e));
    this.drivers.set(id, actor);
    actor.send({ type: 'PROBE' });
    const channel = this.host.deviceChannel(busNo, devNo);
    if (module === 'virthba' && channel !== undefined && channel.dma !== undefined) {
      const iosp = channel.serverPartition;
      const workloads = this.claimed.has(iosp)
        ? []
        : this.host.workloads.filter((w) => w.iosp === iosp);
      this.claimed.add(iosp);
      this.stacks.set(
        id,
        new StorageStack(
          { ...this.host, partition: this.host.partition },
          actor,
          channel,
          busNo,
          devNo,
          workloads,
        ),
      );
    }
    const vnic = this.host.network.vnics.find((v) => v.busNo === busNo && v.devNo === devNo);
    if (module === 'virtnic' && channel !== undefined && vnic !== undefined) {
      const flows = this.host.network.flows.filter(
        (f) => f.vnic.busNo === busNo && f.vnic.devNo === devNo,
      );
      const ifindex = this.host.network.vnics.indexOf(vnic);
      const stack = new NetStack(
        { ...this.host, partition: this.host.partition },
        actor,
        channel,
        busNo,
        devNo,
        vnic,
        flows,
        ifindex,
      );
      this.stacks.set(id, stack);
      stack.start();
    }
  }

  private performDriver(id: string, effect: Effect): void {
    if (this.stacks.get(id)?.perform(effect) === true) return;
    const busNo = effect['busNo'] as number;
    const devNo = effect['devNo'] as number;
    const answer = {
      'driver.probed': 'DRIVER_PROBED',
      'driver.suspended': 'DRIVER_SUSPENDED',
      'driver.resumed': 'DRIVER_RESUMED',
    }[effect.type as string];
    if (answer !== undefined)
      return void this.virtpci.send({ type: answer, busNo, devNo, status: effect['status'] });
    switch (effect.type) {
      case 'driver.pauseResponse':
        // `visorchipset_device_pause_response`: straight to visorchipset (§4.6 serverdown).
        return void this.host.chipset.send({
          type: 'VISORBUS_DONE',
          kind: 'pauseDevice',
          busNo,
          devNo,
          status: effect['status'],
        });
      case 'channel.setClientStateAttached':
        return this.attach(busNo, devNo);
      case 'driver.removed':
        this.stacks.get(id)?.remove();
        this.stacks.delete(id);
        this.drivers.delete(id);
        this.host.guest.send({ type: 'DRIVER_GONE', systemId: id });
        return void this.virtpci.send({ type: 'DRIVER_REMOVED', busNo, devNo });
      default:
        return;
    }
  }
}
