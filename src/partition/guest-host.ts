// The partition host of a guest (DESIGN "partition/"): it runs the guest-partition machine, whose
// children are the guest's modules — visorchipset, visorbus, with Era A drivers visorclientbus
// and virtpci, and one actor per bound function driver — and performs the effects they ask for,
// on the channels the hypervisor gave this partition only. Machines hold the protocol; this file
// moves bytes and routes events between them (kernel split, STYLE §4: visorchipset dispatches
// controlvm, visorbus brokers probe/remove/pause/resume to drivers). The Era A routes are in
// client-bus-bridge.ts.

import { createActor, type Actor, type AnyActorRef } from 'xstate';
import { assert } from '../base/assert.js';
import { Channel, channelTypes } from '../channel/index.js';
import {
  doorbellOf,
  type ChannelRecord,
  type GuestNetwork,
  type GuestWorkload,
} from '../hypervisor/index.js';
import type { BlockWorkloadContext } from '../../machines/block-workload.logic.js';
import type { ScsiMidlayerContext } from '../../machines/scsi-midlayer.logic.js';
import type { VisorbusContext } from '../../machines/visorbus.logic.js';
import type { VisorchipsetContext } from '../../machines/visorchipset.logic.js';
import {
  GUEST_DRIVER_MODULES,
  guestPartitionMachine,
  moduleSystemId,
  type GuestDriverModule,
} from '../../machines/guest-partition.machine.js';
import { moduleQuirks } from '../quirks.js';
import { ClientBusBridge } from './client-bus-bridge.js';
import type { NetInterfaceReport } from './net-stack.js';
import { ControlvmGuestPort } from './controlvm-port.js';
import type { DriverSet } from './driver-set.js';
import { effectDetail } from './effect-detail.js';
import type { Environment, TimerHandle } from './environment.js';
import type { HostCounters, PartitionHost } from './partition-host.js';
import { sysfsView } from './sysfs.js';
import { writeVbusRecord } from './vbus-records.js';

export type { GuestDriver } from './driver-set.js';

/** What `GuestHost.io()` reports: plain data, so it crosses the worker boundary. */
export interface GuestIoReport {
  readonly workloads: readonly {
    readonly name: string;
    readonly finished: boolean;
    readonly counts: BlockWorkloadContext['counts'];
    readonly lbas: BlockWorkloadContext['lbas'];
    /** The next version the workload would write: every version from here on is newer. */
    readonly nextVersion: number;
  }[];
  readonly midlayers: readonly ScsiMidlayerContext['counts'][];
  /** Each network interface's ledgers (net-stack.ts). */
  readonly net: readonly NetInterfaceReport[];
}

/** ENOMEM: what a create answers when its channel cannot be mapped (§2.6). */
const ENOMEM = 12;
/** EINVAL: what BUS_CREATE answers when the mapped channel is not a valid vbus channel (§2.6). */
const EINVAL = 22;

/** visorbus polls a device channel every 10 jiffies once its driver enables it (§7). */
export const POLLJIFFIES_NORMALCHANNEL = 10;

type Effect = { readonly type: string } & Record<string, unknown>;

/** One guest partition's actors, wired to its channels. */
export class GuestHost implements PartitionHost {
  private readonly guest: Actor<typeof guestPartitionMachine>;
  private chipset!: AnyActorRef;
  private bus!: AnyActorRef;
  private readonly drivers = new Map<string, AnyActorRef>();
  private readonly stops: (() => void)[] = [];
  private pollTimer: TimerHandle | null = null;
  private readonly polls = new Map<string, { cancel(): void }>();
  private readonly controlvm: ControlvmGuestPort;
  // Channels mapped by BUS_CREATE / DEVICE_CREATE, by the address the command gave (§3.3, §3.4).
  private readonly busChannels = new Map<number, ChannelRecord>();
  private readonly deviceChannels = new Map<string, ChannelRecord>();
  private readonly counts = {
    controlvmPolls: 0,
    commands: 0,
    droppedForAck: 0,
    discarded: 0,
    testMessages: 0,
    responses: 0,
    channelInterrupts: 0,
  };

  constructor(
    readonly partition: string,
    private readonly channels: readonly ChannelRecord[],
    private readonly env: Environment,
    private readonly driverSet: DriverSet,
    jiffyMs: number,
    quirks: readonly string[] = [],
    private readonly workloads: readonly GuestWorkload[] = [],
    private readonly network: GuestNetwork = { vnics: [], flows: [] },
  ) {
    const record = this.record((c) => c.kind === 'controlvm');
    const attached = Channel.attachAs(record.buffer, channelTypes.controlvm);
    assert(attached.ok, `${partition}: the hypervisor's controlvm channel must validate`);
    this.controlvmBell = doorbellOf(record);
    this.controlvm = new ControlvmGuestPort(attached.value, this.controlvmBell, env);
    this.jiffyMs = jiffyMs;
    for (const name of driverSet.keys()) {
      assert(
        (GUEST_DRIVER_MODULES as readonly string[]).includes(name),
        `${partition}: no machine for driver ${name}`,
      );
    }
    const visorbusDrivers = [...driverSet.values()].flatMap((d) =>
      d.bus === 'visorbus' ? [d.registration] : [],
    );
    this.clientBus = [...driverSet.values()].some((d) => d.bus === 'virtpci');
    const input = {
      partition,
      jiffyMs,
      visorbusDrivers,
      clientBus: this.clientBus,
      quirks: { ...moduleQuirks(quirks) },
    };
    this.systemId = moduleSystemId(partition, 'guest-partition');
    this.guest = createActor(guestPartitionMachine, {
      input,
      clock: env.clock,
      systemId: this.systemId,
    });
  }

  private readonly jiffyMs: number;
  private readonly systemId: string;
  private readonly clientBus: boolean;
  private bridge: ClientBusBridge | null = null;
  private readonly controlvmBell: ReturnType<typeof doorbellOf>;

  /**
   * Starts the guest: its modules load, the host connects to them, and visorchipset begins
   * polling the controlvm channel; a ring of its doorbell wakes that poll early.
   */
  start(): void {
    this.guest.start();
    this.bus = this.module('visorbus');
    this.chipset = this.module('visorchipset');
    if (this.clientBus) {
      this.bridge = new ClientBusBridge({
        partition: this.partition,
        guest: this.guest,
        chipset: this.chipset,
        bus: this.bus,
        connect: (systemId, perform) => this.connect(systemId, perform),
        env: this.env,
        workloads: this.workloads,
        network: this.network,
        busChannel: (busNo) => this.busChannels.get(busNo),
        deviceChannel: (busNo, devNo) => this.deviceChannels.get(`${busNo}:${devNo}`),
      });
    }
    this.stops.push(
      this.env.onRing(this.controlvmBell, 'client', () => this.chipset.send({ type: 'DOORBELL' })),
    );
    this.guest.send({ type: 'MODULES_LOADED' });
    this.traceGuest('boot');
  }

  /** Stops every actor, poll and doorbell listener (channel memory is untouched). */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    for (const poll of this.polls.values()) poll.cancel();
    this.polls.clear();
    if (this.pollTimer !== null) this.env.cancel(this.pollTimer);
    this.pollTimer = null;
    this.bridge?.stop();
    this.guest.stop();
  }

  /** The state value of each actor, by systemId: the guest-partition machine and its children. */
  snapshot(): Record<string, unknown> {
    const snapshot = this.guest.getSnapshot();
    const out: Record<string, unknown> = { [this.systemId]: snapshot.value };
    for (const [id, child] of Object.entries(
      snapshot.children as Record<string, AnyActorRef | undefined>,
    )) {
      if (child !== undefined) out[id] = child.getSnapshot().value;
    }
    return out;
  }

  counters(): HostCounters {
    return { ...this.counts };
  }

  /** The storage ledgers: each workload's counts and per-LBA versions, each midlayer's counts. */
  io(): GuestIoReport {
    const children = Object.entries(
      this.guest.getSnapshot().children as Record<string, AnyActorRef | undefined>,
    );
    const workloads = children.flatMap(([id, child]) => {
      if (child === undefined || !id.includes('/block-workload:')) return [];
      const snapshot = child.getSnapshot() as { value: unknown; context: BlockWorkloadContext };
      const { name, counts, lbas, nextVersion } = snapshot.context;
      return [{ name, finished: snapshot.value === 'finished', counts, lbas, nextVersion }];
    });
    const midlayers = children.flatMap(([id, child]) =>
      child === undefined || !id.includes('/scsi-midlayer:')
        ? []
        : [(child.getSnapshot().context as ScsiMidlayerContext).counts],
    );
    return { workloads, midlayers, net: this.bridge?.netStacks().map((s) => s.report()) ?? [] };
  }

  /** The sysfs view of the guest's buses and devices (§3.8), path → contents. */
  sysfs(): Record<string, string> {
    const chipset = this.chipset.getSnapshot().context as VisorchipsetContext;
    const bus = this.bus.getSnapshot().context as VisorbusContext;
    const buses = Object.values(bus.buses).flatMap((b) => {
      const channel = this.busChannels.get(b.busNo);
      const guestHandle = chipset.buses[String(b.busNo)]?.guestHandle ?? null;
      return channel === undefined ? [] : [{ busNo: b.busNo, channel, guestHandle }];
    });
    const devices = Object.values(bus.devices).flatMap((d) => {
      const channel = this.deviceChannels.get(`${d.busNo}:${d.devNo}`);
      const driver = d.phase === 'bound' ? d.driver : null;
      return channel === undefined || d.beingRemoved
        ? []
        : [{ busNo: d.busNo, devNo: d.devNo, channel, typeGuid: d.dataTypeGuid, driver }];
    });
    return sysfsView({ buses, devices });
  }

  // The child the guest-partition machine spawned for `module`, with its effects routed here.
  private module(module: string): AnyActorRef {
    return this.connect(moduleSystemId(this.partition, module), (effect) =>
      this.perform(module, effect),
    );
  }

  // The child actor `systemId`, each effect traced and then handed to `perform`.
  private connect(systemId: string, perform: (effect: Effect) => void): AnyActorRef {
    const actor = this.guest.system.get(systemId) as AnyActorRef | undefined;
    assert(actor !== undefined, `${this.partition}: ${systemId} was not spawned`);
    actor.on('*', (effect: Effect) => {
      this.trace(systemId, actor, effect);
      perform(effect);
    });
    return actor;
  }

  private traceGuest(event: string): void {
    const state = JSON.stringify(this.guest.getSnapshot().value);
    this.env.trace({
      atMs: this.env.now(),
      partition: this.partition,
      actor: this.systemId,
      event,
      state,
    });
  }

  private trace(systemId: string, actor: AnyActorRef, effect: Effect): void {
    const state = JSON.stringify(actor.getSnapshot().value);
    const detail = { text: effectDetail(effect) };
    this.env.trace({
      atMs: this.env.now(),
      partition: this.partition,
      actor: systemId,
      event: effect.type,
      state,
      detail,
    });
  }

  private record(match: (c: ChannelRecord) => boolean): ChannelRecord {
    const found = this.channels.find((c) => c.guestPartition === this.partition && match(c));
    assert(found !== undefined, `${this.partition}: no such channel`);
    return found;
  }

  // The kernel maps `channel_addr` from the create message; an address that is not one of this
  // partition's channels cannot be mapped, and the create fails with ENOMEM (12) as a failed
  // ioremap does (§2.6). Any of the partition's channels can be mapped, whatever its kind: a bus
  // then fails the vbus channel check with EINVAL (22, §2.6), and a device is created and left
  // unbound when `visor_check_channel` refuses it (§3.4). Returns the channel, or null after
  // answering visorchipset.
  private mapChannel(
    request: Readonly<Record<string, unknown>>,
    kind: 'vbus' | 'device',
  ): ChannelRecord | null {
    const address = String(request['channelAddr']);
    const found = this.channels.find((c) => String(c.channelAddr) === address);
    if (found === undefined) return this.failCreate(request, ENOMEM);
    if (kind === 'vbus' && !Channel.attachAs(found.buffer, channelTypes.vbus).ok)
      return this.failCreate(request, EINVAL);
    return found;
  }

  private failCreate(request: Readonly<Record<string, unknown>>, errno: number): null {
    const busNo = request['busNo'] as number;
    const done = { type: 'VISORBUS_DONE', kind: request['kind'], busNo, status: -errno };
    this.chipset.send(
      request['kind'] === 'createDevice' ? { ...done, devNo: request['devNo'] } : done,
    );
    return null;
  }

  private pollControlvm(): void {
    this.pollTimer = null;
    const result = this.controlvm.poll();
    this.counts.controlvmPolls++;
    this.counts.commands += result.commands.length;
    this.counts.droppedForAck += result.droppedForAck;
    this.counts.discarded += result.discarded;
    if (result.testMessage) this.counts.testMessages++;
    for (const command of result.commands)
      this.chipset.send({ type: 'CONTROLVM_COMMAND', command });
    // Commands dropped for a full ack queue count as activity, as the kernel records the
    // last-message time before processing.
    this.chipset.send({
      type: 'POLL_DONE',
      commands: result.commands.length + result.droppedForAck,
    });
  }

  // Routes one effect; `module` says which actor asked.
  private perform(module: string, effect: Effect): void {
    if (module === 'visorchipset') this.performChipset(effect);
    else if (module === 'visorbus') this.performBus(effect);
    else this.performDriver(effect);
  }

  private performChipset(effect: Effect): void {
    switch (effect.type) {
      case 'controlvm.poll':
        // The poll runs once visorchipset has finished the transition that asked for it, so each
        // command is handed over on its own and everything it sets off synchronously (visorbus,
        // a driver completing at once) is settled before the next command, as in the kernel's
        // `handle_command` loop. A DEVICE_DESTROY after a pause a driver completed at once then
        // finds no pending response.
        this.pollTimer = this.env.schedule(0, 'controlvm-poll', () => this.pollControlvm());
        return;
      case 'controlvm.respond':
        this.counts.responses++;
        this.controlvm.respond(effect['response'] as Parameters<ControlvmGuestPort['respond']>[0]);
        return;
      case 'visorbus.request':
        return this.forwardToBus(effect['request'] as Readonly<Record<string, unknown>>);
      case 'chipset.uevent':
        if (effect['kind'] === 'online' || effect['kind'] === 'offline') {
          this.guest.send({ type: 'CHIPSET_ONLINE', online: effect['kind'] === 'online' });
        }
        return; // the other uevents: no user space in the simulation yet
      default:
        return;
    }
  }

  private forwardToBus(request: Readonly<Record<string, unknown>>): void {
    const busNo = request['busNo'] as number;
    if (request['kind'] === 'createBus') {
      const channel = this.mapChannel(request, 'vbus');
      if (channel === null) return;
      this.busChannels.set(busNo, channel);
    } else if (request['kind'] === 'createDevice') {
      const channel = this.mapChannel(request, 'device');
      if (channel === null) return;
      this.deviceChannels.set(`${busNo}:${String(request['devNo'])}`, channel);
    }
    if (this.bridge !== null) this.bridge.request(request);
    else this.bus.send({ type: 'VISORBUS_REQUEST', request });
  }

  private performBus(effect: Effect): void {
    const busNo = effect['busNo'] as number;
    const devNo = effect['devNo'] as number;
    switch (effect.type) {
      case 'visorchipset.done':
        if (this.bridge !== null) this.bridge.visorbusDone(effect);
        else this.chipset.send({ ...effect, type: 'VISORBUS_DONE' });
        return;
      case 'vbus.write': {
        // Choice: a device record's devtype is spar-sim's channel type name (`video`, `vhba`);
        // the real drivers wrote names such as "sparvhba" or "ultravnic" (§1.9).
        const bus = this.busChannels.get(busNo);
        if (bus !== undefined)
          writeVbusRecord(
            bus,
            effect,
            this.deviceChannels.get(`${busNo}:${devNo}`)?.typeName ?? '',
          );
        return;
      }
      case 'channel.check': {
        const channel = this.deviceChannels.get(`${busNo}:${devNo}`);
        if (channel === undefined)
          return void this.bus.send({ type: 'CHANNEL_CHECKED', busNo, devNo, ok: false });
        const checked = Channel.attach(channel.buffer, {
          guid: effect['guid'] as string,
          minSizeBytes: effect['minSizeBytes'] as number,
          versionId: effect['version'] as number,
        });
        this.bus.send({ type: 'CHANNEL_CHECKED', busNo, devNo, ok: checked.ok });
        return;
      }
      default:
        this.callDriver(effect);
    }
  }

  // driver.probe spawns the driver's actor; the other calls go to it.
  private callDriver(effect: Effect): void {
    const busNo = effect['busNo'] as number;
    const devNo = effect['devNo'] as number;
    const name = effect['driver'] as string;
    const id = `${this.partition}/${name}:vbus${busNo}:dev${devNo}`;
    if (effect.type === 'driver.probe') {
      assert(this.driverSet.has(name), `visorbus matched unknown driver ${name}`);
      this.guest.send({
        type: 'PROBE_DRIVER',
        module: name as GuestDriverModule,
        systemId: id,
        busNo,
        devNo,
      });
      const actor = this.connect(id, (e) => this.performDriver(e));
      this.drivers.set(id, actor);
      actor.send({ type: 'PROBE' });
      return;
    }
    const actor = this.drivers.get(id);
    if (actor === undefined) return; // a call for a device whose driver is gone (being_removed)
    const entry = { 'driver.pause': 'PAUSE', 'driver.resume': 'RESUME', 'driver.remove': 'REMOVE' }[
      effect.type
    ];
    if (entry !== undefined) actor.send({ type: entry });
  }

  private performDriver(effect: Effect): void {
    const busNo = effect['busNo'] as number;
    const devNo = effect['devNo'] as number;
    const status = effect['status'] as number;
    const key = `${busNo}:${devNo}`;
    switch (effect.type) {
      case 'driver.probed':
        return void this.bus.send({ type: 'DRIVER_PROBED', busNo, devNo, status });
      case 'driver.pauseStarted':
        return void this.bus.send({ type: 'DRIVER_PAUSE_STARTED', busNo, devNo, status });
      case 'driver.resumeStarted':
        return void this.bus.send({ type: 'DRIVER_RESUME_STARTED', busNo, devNo, status });
      case 'driver.stateComplete':
        return void this.bus.send({ type: 'DRIVER_STATE_COMPLETE', busNo, devNo, status });
      case 'driver.removed': {
        this.polls.get(key)?.cancel();
        this.polls.delete(key);
        const id = [...this.drivers.keys()].find((d) => d.endsWith(`:vbus${busNo}:dev${devNo}`));
        if (id === undefined) return;
        this.drivers.delete(id);
        this.guest.send({ type: 'DRIVER_GONE', systemId: id });
        return;
      }
      case 'channel.enableInterrupts':
        return this.startChannelPoll(key, busNo, devNo);
      default:
        return;
    }
  }

  // visorbus's per-device timer (§7): CHANNEL_INTERRUPT to the bound driver every 10 jiffies.
  private startChannelPoll(key: string, busNo: number, devNo: number): void {
    const driver = [...this.drivers.entries()].find(([id]) =>
      id.endsWith(`:vbus${busNo}:dev${devNo}`),
    )?.[1];
    if (driver === undefined) return;
    let handle = { id: -1 };
    const tick = (): void => {
      this.counts.channelInterrupts++;
      driver.send({ type: 'CHANNEL_INTERRUPT' });
      handle = this.env.schedule(POLLJIFFIES_NORMALCHANNEL * this.jiffyMs, `poll:${key}`, tick);
    };
    handle = this.env.schedule(POLLJIFFIES_NORMALCHANNEL * this.jiffyMs, `poll:${key}`, tick);
    this.polls.set(key, { cancel: () => this.env.cancel(handle) });
  }
}
