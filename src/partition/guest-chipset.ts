// The guest host's side of visorchipset (spar-protocol.md §2.5–§2.6, §2.10): the controlvm poll
// and responses on the controlvm channel, the channels a create maps, and the requests handed on
// to visorbus (or, with Era A drivers, to the client bus). The protocol is the machine's.

import type { AnyActorRef } from 'xstate';
import type { visorchipsetMachine } from '../../machines/visorchipset.machine.js';
import { skipsIdlePolls, type VisorbusRequest } from '../../machines/visorchipset.logic.js';
import { Channel, VBUS_CHANNEL } from '../channel/index.js';
import type { ChannelRecord } from '../hypervisor/index.js';
import type { BindingOf } from './binding.js';
import type { ControlvmGuestPort } from './controlvm-port.js';
import type { Environment, TimerHandle } from './environment.js';
import type { GuestChannels } from './guest-channels.js';

/** ENOMEM: what a create answers when its channel cannot be mapped (§2.6). */
const ENOMEM = 12;
/** EINVAL: what BUS_CREATE answers when the mapped channel is not a valid vbus channel (§2.6). */
const EINVAL = 22;

/** The guest's controlvm counters. */
export interface ChipsetCounts {
  controlvmPolls: number;
  commands: number;
  droppedForAck: number;
  discarded: number;
  testMessages: number;
  responses: number;
}

/** What the chipset side uses of its guest. */
export interface ChipsetParts {
  readonly env: Environment;
  readonly port: ControlvmGuestPort;
  readonly channels: GuestChannels;
  readonly counts: ChipsetCounts;
  /** The guest-partition actor (CHIPSET_ONLINE). */
  readonly guest: AnyActorRef;
  chipset(): AnyActorRef;
  /** Where a request goes once its channels are mapped: visorbus, or the Era A client bus. */
  handOn(request: VisorbusRequest): void;
}

/** visorchipset's effects on the controlvm channel and the mapped channels. */
export class GuestChipset {
  private pollTimer: TimerHandle | null = null;
  private lostRingTimer: TimerHandle | null = null;
  /** When the last real poll ran (the jiffy grid the kernel's FAST polls keep). */
  private lastPollAtMs = 0;
  readonly binding: BindingOf<typeof visorchipsetMachine>;

  constructor(private readonly g: ChipsetParts) {
    this.binding = {
      // The poll runs once visorchipset has finished the transition that asked for it, so each
      // command is handed over on its own and everything it sets off synchronously (visorbus, a
      // driver completing at once) is settled before the next command, as in the kernel's
      // `handle_command` loop. A DEVICE_DESTROY after a pause a driver completed at once then
      // finds no pending response.
      'controlvm.poll': () => {
        this.pollTimer = g.env.schedule(0, 'controlvm-poll', () => this.poll());
      },
      'controlvm.respond': ({ response }) => {
        g.counts.responses++;
        g.port.respond(response);
      },
      'visorbus.request': ({ request }) => this.forward(request),
      'chipset.uevent': (uevent) => {
        // The other uevents have no user space in the simulation yet.
        if (uevent.kind === 'online' || uevent.kind === 'offline') {
          g.guest.send({ type: 'CHIPSET_ONLINE', online: uevent.kind === 'online' });
        }
      },
    };
  }

  /** The guest stopped: no further poll. */
  stop(): void {
    if (this.pollTimer !== null) this.g.env.cancel(this.pollTimer);
    if (this.lostRingTimer !== null) this.g.env.cancel(this.lostRingTimer);
    this.pollTimer = null;
    this.lostRingTimer = null;
  }

  /**
   * A doorbell-lost fault took a ring to the controlvm channel (Environment.onRing's `onLost`).
   * visorchipset elides its idle FAST polls on the ground that each command rings; the kernel
   * polls every jiffy and would find the command at its next poll (spar-protocol.md §7), so the
   * machine is woken at that jiffy. A SLOW wait (100 jiffies) ends in a real poll already.
   */
  lostRing(): void {
    const { context } = this.g.chipset().getSnapshot();
    if (this.lostRingTimer !== null || !skipsIdlePolls(context)) return;
    const sinceMs = this.g.env.now() - this.lastPollAtMs;
    const jiffies = Math.max(1, Math.ceil(sinceMs / context.jiffyMs));
    const polledAtMs = this.lastPollAtMs;
    this.lostRingTimer = this.g.env.schedule(
      jiffies * context.jiffyMs - sinceMs,
      'controlvm-lost-ring',
      () => {
        this.lostRingTimer = null;
        // A real ring may have brought the poll already.
        if (this.lastPollAtMs === polledAtMs) this.g.chipset().send({ type: 'DOORBELL' });
      },
    );
  }

  private poll(): void {
    this.pollTimer = null;
    this.lastPollAtMs = this.g.env.now();
    const { counts, port } = this.g;
    const result = port.poll();
    counts.controlvmPolls++;
    counts.commands += result.commands.length;
    counts.droppedForAck += result.droppedForAck;
    counts.discarded += result.discarded;
    if (result.testMessage) counts.testMessages++;
    const chipset = this.g.chipset();
    for (const command of result.commands) chipset.send({ type: 'CONTROLVM_COMMAND', command });
    // Commands dropped for a full ack queue count as activity, as the kernel records the
    // last-message time before processing.
    const commands = result.commands.length + result.droppedForAck;
    chipset.send({ type: 'POLL_DONE', commands });
  }

  private forward(request: VisorbusRequest): void {
    if (request.kind === 'createBus') {
      const channel = this.map(request, 'vbus');
      if (channel === null) return;
      this.g.channels.mapBus(request.busNo, channel);
    } else if (request.kind === 'createDevice') {
      const channel = this.map(request, 'device');
      if (channel === null) return;
      this.g.channels.mapDevice(request.busNo, request.devNo, channel);
    }
    this.g.handOn(request);
  }

  // The kernel maps `channel_addr` from the create message; an address that is not one of this
  // partition's channels cannot be mapped, and the create fails with ENOMEM (12) as a failed
  // ioremap does (§2.6). Any of the partition's channels can be mapped, whatever its kind: a bus
  // then fails the vbus channel check with EINVAL (22, §2.6), and a device is created and left
  // unbound when `visor_check_channel` refuses it (§3.4). Returns the channel, or null after
  // answering visorchipset.
  private map(
    request: Extract<VisorbusRequest, { kind: 'createBus' | 'createDevice' }>,
    kind: 'vbus' | 'device',
  ): ChannelRecord | null {
    const found = this.g.channels.atAddress(request.channelAddr);
    if (found === undefined) return this.failCreate(request, ENOMEM);
    if (kind === 'vbus' && !Channel.attachAs(found.buffer, VBUS_CHANNEL).ok) {
      return this.failCreate(request, EINVAL);
    }
    return found;
  }

  private failCreate(
    request: Extract<VisorbusRequest, { kind: 'createBus' | 'createDevice' }>,
    errno: number,
  ): null {
    const { kind, busNo } = request;
    const done = { type: 'VISORBUS_DONE', kind, busNo, status: -errno } as const;
    const devNo = request.kind === 'createDevice' ? { devNo: request.devNo } : {};
    this.g.chipset().send({ ...done, ...devNo });
    return null;
  }
}
