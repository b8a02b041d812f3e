// The partition host of an IO service partition (spar-protocol.md §4.1, §4.4, §4.8): it runs the
// iosp machine and performs what it asks. At boot it re-initialises every device channel it serves
// (header and empty queues, `srv_state` READY last), as the guest expects after a reboot, and hands
// each to its device kind's server (src/kinds: the SCSI server for vhba, the NIC server for vnic);
// each poll every server takes and answers the guests' commands. The hardware the servers use
// (disks, NIC links) outlives the partition: it is the run's, shared with this boot.

import { type Actor, createActor } from 'xstate';
import { iospMachine } from '../../machines/iosp.machine.js';
import { beat } from '../hypervisor/heartbeats.js';
import {
  type ChannelRecord,
  type CpNotice,
  doorbellOf,
  serverInitializeChannel,
} from '../hypervisor/index.js';
import { deviceChannel, KINDS } from '../kinds/index.js';
import type { DeviceServer } from '../kinds/kind.js';
import type { BindingOf, EffectOf } from './binding.js';
import { bindTraced } from './effect-detail.js';
import { IOSP_TRACED } from './traced-effects.js';
import { failRunOnError } from './environment.js';
import type { HypervisorRequest } from './command-host.js';
import type { HostContext, HostCounters, HostView, PartitionHost } from './partition-host.js';

/** What an IOSP host is made from; its heartbeat page (the CP's watchdog reads it) is its own. */
export type IospHostContext = Pick<
  HostContext,
  'partition' | 'config' | 'channels' | 'env' | 'hardware'
> &
  Partial<Pick<HostContext, 'heartbeats'>>;

/** One IO service partition's actor, wired to the channels it serves and its hardware. */
export class IospHost implements PartitionHost {
  readonly partition: string;
  private readonly actor: Actor<typeof iospMachine>;
  private readonly servers = new Map<string, DeviceServer>();
  private readonly stops: (() => void)[] = [];
  private polls = 0;
  /** Its channels are initialised and served (this boot's CHANNELS_READY). */
  private serving = false;
  /** Stopped: crashed, hung, rebooting or shut down. */
  private stopped = false;
  private readonly heartbeat: SharedArrayBuffer | undefined;

  constructor(private readonly ctx: IospHostContext) {
    const { partition, config, env } = ctx;
    this.partition = partition;
    this.heartbeat = ctx.heartbeats?.get(partition);
    const backlog = () => this.actor.send({ type: 'BACKLOG' });
    for (const kind of KINDS) {
      const hardware = ctx.hardware.get(kind.name);
      const server = kind.server?.({ partition, config, env, hardware, backlog });
      if (server !== undefined) this.servers.set(kind.name, server);
    }
    const systemId = `${partition}/iosp`;
    const input = { partition, jiffyMs: config.jiffyMs };
    this.actor = createActor(iospMachine, { input, clock: env.clock, systemId });
    failRunOnError(this.actor, env, systemId);
    // Polls are counted, not traced (IOSP_TRACED marks them).
    const poll = (effect: EffectOf<typeof iospMachine>) => !IOSP_TRACED[effect.type];
    bindTraced(env, partition, systemId, this.actor, this.binding(), poll);
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    this.stopped = true;
    for (const stop of this.stops.splice(0)) stop();
    for (const server of this.servers.values()) server.stop();
    this.actor.stop();
  }

  snapshot(): Record<string, unknown> {
    return { [`${this.partition}/iosp`]: this.actor.getSnapshot().value };
  }

  /** The polls, and every server's counters (same names summed). */
  counters(): HostCounters {
    const out: Record<string, number> = { polls: this.polls };
    for (const server of this.servers.values()) {
      for (const [name, n] of Object.entries(server.counters())) out[name] = (out[name] ?? 0) + n;
    }
    return out;
  }

  sysfs(): Record<string, string> {
    return {};
  }

  view(): HostView {
    return { snapshot: this.snapshot(), sysfs: {}, reports: {}, command: null };
  }

  /**
   * A guest serving channels here went down (GUEST_DOWN; an IOSP is not told about other IOSPs):
   * each of its channels is re-initialised and served afresh, as at this IOSP's boot, so nothing of
   * its crashed boot (commands in the ring or being served, posts, waiting responses) reaches the
   * next. Not while this IOSP is down, hung or not yet serving: its next boot re-initialises them.
   */
  notify(event: CpNotice): void {
    if (event.type !== 'GUEST_DOWN' || this.stopped || !this.serving) return;
    for (const record of this.deviceChannels())
      if (record.guestPartition === event.guest) this.takeIntoService(record);
  }

  takeRequests(): HypervisorRequest[] {
    return [];
  }

  private binding(): BindingOf<typeof iospMachine> {
    return { 'iosp.initChannels': () => this.initChannels(), 'iosp.poll': () => this.poll() };
  }

  // Boot: every served device channel re-initialised (§4.1) and taken into service by its kind.
  private initChannels(): void {
    const { env } = this.ctx;
    for (const record of this.deviceChannels()) {
      this.takeIntoService(record);
      const bell = doorbellOf(record);
      this.stops.push(env.onRing(bell, 'server', () => this.actor.send({ type: 'DOORBELL' })));
      env.ring(bell, 'client');
    }
    this.serving = true;
    this.actor.send({ type: 'CHANNELS_READY' });
  }

  private deviceChannels(): ChannelRecord[] {
    const { channels, partition } = this.ctx;
    return channels.filter((c) => c.serverPartition === partition && c.kind === 'device');
  }

  // `record` re-initialised (§4.1) and handed to its kind's server, which serves it afresh.
  private takeIntoService(record: ChannelRecord): void {
    serverInitializeChannel(record);
    const kind = deviceChannel(record.typeName)?.kind.name;
    if (kind !== undefined) this.servers.get(kind)?.serve(record);
  }

  private poll(): void {
    let commands = 0;
    let backlog = 0;
    for (const server of this.servers.values()) {
      commands += server.poll();
      backlog += server.backlog();
    }
    this.polls++;
    if (this.heartbeat !== undefined) beat(this.heartbeat);
    this.actor.send({ type: 'POLL_DONE', commands, backlog });
  }
}
