// The partition host of a guest (DESIGN "partition/"): it runs the guest-partition machine, whose
// children are the guest's modules — visorchipset, visorbus, with Era A drivers visorclientbus
// and virtpci, and one actor per bound function driver — and performs the effects they ask for,
// on the channels the hypervisor gave this partition only. Machines hold the protocol; the
// bindings move bytes and route events between them: guest-chipset.ts (controlvm),
// guest-visorbus.ts (visorbus and its drivers), client-bus-bridge.ts (Era A).

import {
  type Actor,
  type ActorRefFrom,
  type AnyActorRef,
  type AnyStateMachine,
  createActor,
} from 'xstate';
import { guestPartitionMachine, moduleSystemId } from '../../machines/guest-partition.machine.js';
import type { visorbusMachine } from '../../machines/visorbus.machine.js';
import type { visorchipsetMachine } from '../../machines/visorchipset.machine.js';
import type { VisorchipsetEvent, VisorbusRequest } from '../../machines/visorchipset.logic.js';
import { assert } from '../base/assert.js';
import { Channel, CONTROLVM_CHANNEL } from '../channel/index.js';
import { doorbellOf } from '../hypervisor/index.js';
import { QUIRKS } from '../kinds/index.js';
import { moduleQuirks } from '../quirks.js';
import type { AnyBinding, BindingOf } from './binding.js';
import { ClientBusBridge } from './client-bus-bridge.js';
import { ControlvmGuestPort } from './controlvm-port.js';
import { guestDriverSet } from './driver-set.js';
import { bindTraced } from './effect-detail.js';
import type { GUEST_PARTITION_TRACED } from './traced-effects.js';
import { GuestChannels } from './guest-channels.js';
import { type ChipsetCounts, GuestChipset } from './guest-chipset.js';
import { GuestVisorbus } from './guest-visorbus.js';
import type { HypervisorRequest } from './command-host.js';
import type { HostContext, HostCounters, HostView, PartitionHost } from './partition-host.js';
import { failRunOnError } from './environment.js';
import { sysfsView } from './sysfs.js';

/** What a guest host is made from. */
export type GuestHostContext = Pick<
  HostContext,
  'partition' | 'config' | 'channels' | 'env' | 'journal' | 'bootCount'
>;

type VisorbusDone = Omit<Extract<VisorchipsetEvent, { type: 'VISORBUS_DONE' }>, 'type'>;

/** One guest partition's actors, wired to its channels. */
export class GuestHost implements PartitionHost {
  readonly partition: string;
  private readonly env: HostContext['env'];
  private readonly guest: Actor<typeof guestPartitionMachine>;
  private readonly systemId: string;
  private readonly channels: GuestChannels;
  private readonly controlvm: ControlvmGuestPort;
  private readonly controlvmBell: ReturnType<typeof doorbellOf>;
  private readonly chipsetSide: GuestChipset;
  private readonly busSide: GuestVisorbus;
  private readonly clientBus: boolean;
  private readonly stops: (() => void)[] = [];
  private chipset: ActorRefFrom<typeof visorchipsetMachine> | null = null;
  private bus: ActorRefFrom<typeof visorbusMachine> | null = null;
  private bridge: ClientBusBridge | null = null;
  private readonly counts: ChipsetCounts = {
    controlvmPolls: 0,
    commands: 0,
    droppedForAck: 0,
    discarded: 0,
    testMessages: 0,
    responses: 0,
  };

  constructor(private readonly ctx: GuestHostContext) {
    const { partition, env, config } = ctx;
    this.partition = partition;
    this.env = env;
    const record = ctx.channels.find(
      (c) => c.guestPartition === partition && c.kind === 'controlvm',
    );
    assert(record !== undefined, `${partition}: no controlvm channel`);
    const attached = Channel.attachAs(record.buffer, CONTROLVM_CHANNEL);
    assert(attached.ok, `${partition}: the hypervisor's controlvm channel must validate`);
    this.controlvmBell = doorbellOf(record);
    const quirks = { ...moduleQuirks(config.quirks ?? [], QUIRKS) };
    const ackAfterResponse = quirks['visorchipset']?.['ackAfterResponse'] === true;
    this.controlvm = new ControlvmGuestPort(
      attached.value,
      this.controlvmBell,
      env,
      ackAfterResponse,
    );
    this.channels = new GuestChannels(ctx.channels);
    const driverSet = guestDriverSet(config, partition);
    const visorbusDrivers = [...driverSet.values()].flatMap((d) =>
      d.bus === 'visorbus' ? [d.registration] : [],
    );
    this.clientBus = [...driverSet.values()].some((d) => d.bus === 'virtpci');
    const input = {
      partition,
      jiffyMs: config.jiffyMs,
      visorbusDrivers,
      clientBus: this.clientBus,
      quirks,
    };
    this.systemId = moduleSystemId(partition, 'guest-partition');
    this.guest = createActor(guestPartitionMachine, {
      input,
      clock: env.clock,
      systemId: this.systemId,
    });
    failRunOnError(this.guest, env, this.systemId);
    const guest = this.guest;
    const chipset = () => this.expect(this.chipset, 'visorchipset');
    this.chipsetSide = new GuestChipset({
      env,
      port: this.controlvm,
      channels: this.channels,
      counts: this.counts,
      guest,
      chipset,
      handOn: (request) => this.handOn(request),
    });
    this.busSide = new GuestVisorbus({
      partition,
      env,
      channels: this.channels,
      guest,
      modules: new Set(visorbusDrivers.map((d) => d.name)),
      bus: () => this.expect(this.bus, 'visorbus'),
      answer: (done) => this.answer(done),
      bind: (systemId, binding) => this.bind(systemId, binding),
    });
  }

  /**
   * Starts the guest: its modules load, the host binds to them, and visorchipset begins polling
   * the controlvm channel; a ring of its doorbell wakes that poll early.
   */
  start(): void {
    this.guest.start();
    this.bus = this.bind<typeof visorbusMachine>(this.moduleId('visorbus'), this.busSide.binding);
    this.chipset = this.bind<typeof visorchipsetMachine>(
      this.moduleId('visorchipset'),
      this.chipsetSide.binding,
    );
    if (this.clientBus) this.bridge = this.startClientBus();
    const chipset = this.chipset;
    this.stops.push(
      this.env.onRing(
        this.controlvmBell,
        'client',
        () => chipset.send({ type: 'DOORBELL' }),
        () => this.chipsetSide.lostRing(),
      ),
    );
    this.guest.send({ type: 'MODULES_LOADED' });
    this.traceGuest('boot');
  }

  /** Stops every actor, poll and doorbell listener (channel memory is untouched). */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.chipsetSide.stop();
    this.bridge?.stop();
    this.guest.stop();
  }

  /** The state value of each actor, by systemId: the guest-partition machine and its children. */
  snapshot(): Record<string, unknown> {
    const snapshot = this.guest.getSnapshot();
    const out: Record<string, unknown> = { [this.systemId]: snapshot.value };
    for (const [id, child] of Object.entries(this.children())) out[id] = child.getSnapshot().value;
    return out;
  }

  counters(): HostCounters {
    return { ...this.counts };
  }

  /** Each device kind's part of the guest's report, by kind name (plain data). */
  reports(): Record<string, unknown> {
    return this.bridge?.reports() ?? {};
  }

  view(): HostView {
    return {
      snapshot: this.snapshot(),
      sysfs: this.sysfs(),
      reports: this.reports(),
      command: null,
    };
  }

  /** A guest is not told about IOSPs: the command partition pauses its devices instead. */
  notify(): void {}

  takeRequests(): HypervisorRequest[] {
    return [];
  }

  /** The sysfs view of the guest's buses and devices (§3.8), path → contents. */
  sysfs(): Record<string, string> {
    const chipset = this.expect(this.chipset, 'visorchipset').getSnapshot().context;
    const bus = this.expect(this.bus, 'visorbus').getSnapshot().context;
    const buses = Object.values(bus.buses).flatMap((b) => {
      const channel = this.channels.bus(b.busNo);
      const guestHandle = chipset.buses[String(b.busNo)]?.guestHandle ?? null;
      return channel === undefined ? [] : [{ busNo: b.busNo, channel, guestHandle }];
    });
    const devices = Object.values(bus.devices).flatMap((d) => {
      const channel = this.channels.device(d.busNo, d.devNo);
      const driver = d.phase === 'bound' ? d.driver : null;
      return channel === undefined || d.beingRemoved
        ? []
        : [{ busNo: d.busNo, devNo: d.devNo, channel, typeGuid: d.dataTypeGuid, driver }];
    });
    return sysfsView({ buses, devices });
  }

  private startClientBus(): ClientBusBridge {
    const { config, partition } = this.ctx;
    return new ClientBusBridge({
      partition,
      config,
      guest: this.guest,
      chipset: this.expect(this.chipset, 'visorchipset'),
      bus: this.expect(this.bus, 'visorbus'),
      env: this.env,
      journal: this.ctx.journal,
      bootCount: this.ctx.bootCount ?? 1,
      channels: this.channels,
      bind: (systemId, binding) => this.bind(systemId, binding),
      bindEffects: (systemId, binding) => this.bindEffects(systemId, binding),
      child: (systemId) => this.child(systemId),
    });
  }

  // visorchipset's request, its channels mapped: to the client bus when there is one (it routes
  // to visorbus or uislib itself), else to visorbus.
  private handOn(request: VisorbusRequest): void {
    if (this.bridge !== null) this.bridge.request(request);
    else this.expect(this.bus, 'visorbus').send({ type: 'VISORBUS_REQUEST', request });
  }

  // visorbus's answer: to the client bus that forwarded the request, else to visorchipset.
  private answer(done: VisorbusDone): void {
    if (this.bridge !== null) this.bridge.visorbusDone(done);
    else this.expect(this.chipset, 'visorchipset').send({ ...done, type: 'VISORBUS_DONE' });
  }

  private moduleId(module: string): string {
    return moduleSystemId(this.partition, module);
  }

  /**
   * The child actor `systemId` the guest-partition machine spawned, each of its effects traced
   * and then performed by `binding`. The binding is typed by the child's machine `M`.
   */
  bind<M extends AnyStateMachine>(systemId: string, binding: BindingOf<M>): ActorRefFrom<M> {
    // The child was spawned from M's logic (the guest-partition machine's actor of that name).
    return this.bindEffects(systemId, binding) as ActorRefFrom<M>;
  }

  /** The child `systemId` bound to `binding`, which was type-checked against its machine. */
  bindEffects(systemId: string, binding: AnyBinding): AnyActorRef {
    const actor = this.child(systemId);
    this.stops.push(bindTraced(this.env, this.partition, systemId, actor, binding));
    return actor;
  }

  /** The spawned child `systemId`. */
  child(systemId: string): AnyActorRef {
    const actor = this.guest.system.get(systemId) as AnyActorRef | undefined;
    assert(actor !== undefined, `${this.partition}: ${systemId} was not spawned`);
    return actor;
  }

  private children(): Record<string, AnyActorRef> {
    const children = this.guest.getSnapshot().children as Record<string, AnyActorRef | undefined>;
    const out: Record<string, AnyActorRef> = {};
    for (const [id, child] of Object.entries(children)) if (child !== undefined) out[id] = child;
    return out;
  }

  private expect<T>(actor: T | null, module: string): T {
    assert(actor !== null, `${this.partition}: ${module} is not bound yet`);
    return actor;
  }

  private traceGuest(event: keyof typeof GUEST_PARTITION_TRACED): void {
    const state = JSON.stringify(this.guest.getSnapshot().value);
    const { partition, systemId: actor } = this;
    this.env.trace({ atMs: this.env.now(), partition, actor, event, state });
  }
}
