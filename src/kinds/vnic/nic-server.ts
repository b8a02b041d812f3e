// The NIC server of an IO service partition (spar-protocol.md §4.3, §4.4.3, §4.4.4, §4.8): it
// serves every vnic channel the IOSP owns (one port each, nic-port.ts) and moves frames between the
// guests' channels, its virtual switch (virtual-switch.ts) and the outside behind its physical NICs
// (external-endpoint.ts). The IOSP host calls it at boot and on every poll.
//
//   guest NET_RCV_POST ─► the port's posted buffers (FIFO)
//   guest NET_XMIT ─► gather from the guest's DMA window ─► switch ─► each out port:
//       a guest port: scatter into its posted buffers, NET_RCV (chained, ≤ MAX_NET_RCV_CHAIN)
//       an uplink: the outside answers (ARP, echo) after OUTSIDE_RTT_US ─► back into the switch
//     ─► NET_XMIT_DONE (buf echoed, §4.4.4) after the NIC's completion time
//   guest NET_RCV_ENBDIS ─► the port enabled or disabled, NET_RCV_ENBDIS_ACK (context echoed)
//   guest NET_RCV_PROMISC ─► recorded
//
// Choice: at boot the IOSP writes each vnic channel's configuration (MAC, num_rcv_bufs, mtu; §1.9),
// as it writes a vhba's adapter limits: the driver reads them at probe (§4.3 Probe).
// Choice: a port receives only while enabled (ENBDIS(1) since the IOSP booted). ENBDIS(0) also
// forgets the port's posted buffers: the guest frees them once the ack arrives (§4.3 close), so
// the IOSP must never write them after acknowledging. A reboot forgets everything (new server),
// and so does a guest's crash for its port (serve() again): its old posts are not the next boot's.
// Choice: a frame for a port without enough posted buffers (or not enabled) is dropped and counted
// in the next NET_RCV's `rcvs_dropped_delta`, as a NIC drops on an empty receive ring.
// Choice: a frame reaches a guest port after the switch's forwarding time (SWITCH_US, seeded stream
// `switch/<channel id>`) and NET_XMIT_DONE follows after the NIC's completion time (XMIT_DONE_US,
// stream `nic/<channel id>`), both timed from the poll that took the NET_XMIT; frames to one port
// (and answers from one uplink) never overtake each other, as on one wire. So a crash can fall
// between a frame's delivery and its completion: the guest then never learns the frame went out,
// which is what makes a driver that re-sends unacknowledged frames after recovery deliver twice.
// Choice: a promiscuous port (NET_RCV_PROMISC on) also receives a copy of every other frame switched
// within its segment, as a promiscuous port of a VLAN-aware virtual switch does; never one from
// another segment.
// Choice: a transmit whose fragments leave the guest's DMA window, or whose `ethhdr` is not the
// frame's own header (`badXmit`), is completed with XMIT_FAILED and touches no memory; an undecodable message
// carries no handle to echo, so it is counted (`badNet`) and not answered. A post outside the
// window is ignored (`dmaErrors`), as is one beyond the 64 a driver can have out (`postsRefused`).
// Choice: port security, as a hypervisor switch enforces it: a frame whose source MAC is not the
// MAC the configuration gave the port is completed (the NIC sent it) but not switched (`spoofed`),
// so a guest cannot claim another's address or poison the MAC table.
// Choice: link loss (§4.3 NET_CONNECT_STATUS; segment-links.ts). Each poll first tells every
// enabled port of a segment whose link changed NET_CONNECT_STATUS {context 0, enable 1|0}; a port
// not enabled is told nothing (virtnic only counts it), but while its segment is down its
// ENBDIS(1) ack is followed by CONNECT_STATUS 0. So a link down at boot reaches a port as soon as
// it enables, a change reaches the enabled ports within one poll (≤ IDLE_POLL_JIFFIES, 100 ms at
// HZ=1000, when idle), and an IOSP that is down meanwhile sees the state at its next boot. Frames
// notice at once: one for an uplink without link, or an outside answer arriving then, is dropped
// (`linkDropped`). Frames between guests are still switched; the guests stop sending once their
// carrier is off (virtnic's rule), as vNICs bridged to a physical NIC that lost its link do.

import { assert } from '../../base/assert.js';
import type { Prng } from '../../base/prng.js';
import { StructView } from '../../base/struct.js';
import type { ChannelRecord } from '../../hypervisor/index.js';
import type { Environment } from '../../partition/environment.js';
import type { OutboxCounts } from '../../partition/response-outbox.js';
import {
  answerServed,
  drainServed,
  openServedChannel,
  ringIfAnswered,
  ServerTimers,
} from '../../partition/served-channel.js';
import { visorIoChannel } from '../../protocol/iochannel-layout.js';
import { SIZEOF_CMDRSP, XMIT_FAILED, XMIT_SUCCESS } from '../../protocol/uiscmdrsp-constants.js';
import { decodeNet, encodeNetInto, type NetMessage } from '../../protocol/uiscmdrsp-net.js';
import { VNIC_CHANNEL } from './channel.js';
import { readMac, writeMac } from './ethernet.js';
import { ExternalEndpoint } from './external-endpoint.js';
import { NIC_MTU, NUM_RCV_BUFS, networkPlan, type UplinkPlan, vnicOf } from './network.js';
import { nicLinkIndex } from './nic-links.js';
import { gather, openPort, type Port, sameHeader, scatter, takePost } from './nic-port.js';
import { SegmentLinks, type UplinkWord } from './segment-links.js';
import { VirtualSwitch } from './virtual-switch.js';
import { Wire } from './wire.js';
import type { DeviceServer, ServerContext } from '../kind.js';

/**
 * The NIC's transmit completion time, in µs (see the header): up to 2 ms, as a NIC that moderates
 * its interrupts reports completions in batches, well after the frame left.
 */
export const XMIT_DONE_US = { min: 50, max: 2_000 } as const;
/** The switch's forwarding time from one guest's port to another's, in µs. */
export const SWITCH_US = { min: 20, max: 100 } as const;
/** Round trip to the outside behind an uplink, in µs. */
export const OUTSIDE_RTT_US = { min: 100, max: 500 } as const;

/** What the NIC server counts (the IOSP host's counters). */
export interface NicCounts extends OutboxCounts {
  netCommands: number;
  rcvPosts: number;
  xmits: number;
  framesDelivered: number;
  rxDropped: number;
  outsideAnswers: number;
  badNet: number;
  /** Transmits whose `ethhdr` is not their frame's header. */
  badXmit: number;
  /** Frames whose source MAC is not the port's (port security). */
  spoofed: number;
  /** NET_CONNECT_STATUS messages sent (link changes told to enabled ports). */
  connectStatus: number;
  /** Frames to or from an uplink dropped because its link was down. */
  linkDropped: number;
  dmaErrors: number;
  /** Posts beyond what a driver can have outstanding (a guest posting without end). */
  postsRefused: number;
}

/** One of this IOSP's uplinks: its switch port (`uplink:<nic>`), link word and outside host. */
interface Uplink extends UplinkWord, Pick<UplinkPlan, 'nic' | 'mac' | 'ip'> {}

/** The NIC server of one IOSP boot. */
export class NicServer implements DeviceServer {
  private readonly ports = new Map<string, Port>();
  /** This IOSP's uplinks by switch port id, in configuration order. */
  private readonly uplinks: ReadonlyMap<string, Uplink>;
  private readonly outside = new Map<
    string,
    { uplink: Uplink; endpoint: ExternalEndpoint; rtt: Prng; wire: Wire }
  >();
  private readonly timers: ServerTimers;
  /** Scratch for the command being served (each removed into it). */
  private readonly slot = new Uint8Array(SIZEOF_CMDRSP);
  /**
   * Scratch for the response being sent: only encodeNetInto writes it (so its padding stays
   * zero, as a fresh slot's), and the outbox copies a response it keeps.
   */
  private readonly response = new Uint8Array(SIZEOF_CMDRSP);
  private switch: VirtualSwitch | null = null;
  private readonly plan;
  private readonly links: SegmentLinks;

  private readonly partition: string;
  private readonly env: Environment;
  private readonly onBacklog: () => void;
  private readonly counts: NicCounts = {
    netCommands: 0,
    rcvPosts: 0,
    xmits: 0,
    framesDelivered: 0,
    rxDropped: 0,
    outsideAnswers: 0,
    badNet: 0,
    badXmit: 0,
    spoofed: 0,
    connectStatus: 0,
    linkDropped: 0,
    dmaErrors: 0,
    postsRefused: 0,
    responses: 0,
    outboxed: 0,
    outboxDropped: 0,
  };

  /** `ctx.hardware`: this IOSP's NIC link words (nic-links.ts); without them every link is up. */
  constructor(ctx: ServerContext<SharedArrayBuffer>) {
    const { partition, config } = ctx;
    this.partition = partition;
    this.env = ctx.env;
    this.timers = new ServerTimers(ctx.env);
    this.onBacklog = () => ctx.backlog();
    const links = ctx.hardware;
    this.plan = networkPlan(config);
    const mine = this.plan.uplinks.filter((u) => u.iosp === partition);
    this.uplinks = new Map(
      mine.map(({ nic, segment, mac, ip }) => {
        const index = nicLinkIndex(config, partition, nic);
        assert(index !== null, `${partition}: every uplink is a NIC it owns`);
        const id = `uplink:${nic}`;
        return [id, { id, nic, segment, mac, ip, index }] as const;
      }),
    );
    this.links = new SegmentLinks([...this.uplinks.values()], links);
  }

  /** Takes a freshly initialised vnic channel into service and publishes its configuration. */
  serve(record: ChannelRecord): void {
    const served = openServedChannel(record, VNIC_CHANNEL, this.counts, this.onBacklog, this.env);
    assert(
      record.dma !== undefined && record.busNo !== undefined && record.devNo !== undefined,
      `${record.id}: a vnic channel has a DMA window and an address`,
    );
    const vnic = vnicOf(this.plan, record.guestPartition, record.busNo, record.devNo);
    assert(vnic !== undefined, `${record.id}: every vnic is in the network plan`);
    const view = StructView.at(visorIoChannel, record.buffer, 0);
    writeMac(view.raw('vnic.macaddr'), 0, vnic.mac);
    view.set('vnic.num_rcv_bufs', NUM_RCV_BUFS);
    view.set('vnic.mtu', NIC_MTU);
    const port = openPort(served, record.dma, this.env, vnic, this.timers);
    const again = this.ports.has(record.id);
    this.ports.set(record.id, port);
    // Its guest went down: the old port's completions and frames go (its posts with the old port),
    // and the switch forgets where its MAC was, as at ENBDIS(0). Else the switch is rebuilt.
    if (again) this.timers.cancelOwned(record.id);
    if (again) this.switch?.forgetPort(record.id);
    else this.switch = null;
  }

  /** Responses waiting for ring space, over every port. */
  backlog(): number {
    let n = 0;
    for (const p of this.ports.values()) n += p.outbox.length;
    return n;
  }

  /** One poll: link changes, each port's waiting responses, then its commands; rings the guests. */
  poll(): number {
    this.tellLinkChanges();
    let commands = 0;
    for (const port of this.ports.values()) {
      commands += drainServed(port, this.slot, this.env.now(), (slot) => {
        this.counts.netCommands++;
        this.serveCommand(port, slot);
      });
    }
    this.ringAnswered();
    return commands;
  }

  /** What the server counted (the IOSP host's counters). */
  counters(): Readonly<Record<string, number>> {
    return { ...this.counts };
  }

  /** The IOSP stopped: completions and outside answers in flight are lost with it. */
  stop(): void {
    this.timers.cancelAll();
  }

  private serveCommand(port: Port, slot: Uint8Array): void {
    const decoded = decodeNet(slot);
    if (!decoded.ok) return void this.counts.badNet++;
    const msg = decoded.value;
    if (msg.kind === 'rcvPost') this.post(port, msg);
    else if (msg.kind === 'xmit') this.transmit(port, msg);
    else if (msg.kind === 'enbdis') this.enableDisable(port, msg);
    else if (msg.kind === 'promisc') port.promisc = msg.enable !== 0;
    else this.counts.badNet++; // an IOSP → guest message sent the wrong way
  }

  // NET_RCV_ENBDIS: ENBDIS(0) also forgets the posts (the guest frees them on the ack, §4.3 close).
  private enableDisable(
    port: Port,
    msg: { readonly context: number; readonly enable: number },
  ): void {
    port.enabled = msg.enable === 1;
    if (!port.enabled) {
      port.posted = [];
      this.switchOf().forgetPort(port.id); // its guest closed the interface
    }
    this.answer(port, { kind: 'enbdisAck', context: msg.context, enable: msg.enable });
    if (port.enabled && this.links.toldDown(port.segment)) this.tellLink(port, false);
  }

  private post(port: Port, msg: Extract<NetMessage, { kind: 'rcvPost' }>): void {
    const taken = takePost(port, msg);
    if (taken === 'ok') this.counts.rcvPosts++;
    else if (taken === 'outsideWindow') this.counts.dmaErrors++;
    else this.counts.postsRefused++;
  }

  private transmit(port: Port, msg: Extract<NetMessage, { kind: 'xmit' }>): void {
    this.counts.xmits++;
    const frame = gather(port, msg.frags, msg.len);
    if (frame === null || !sameHeader(frame, msg.ethhdr)) {
      if (frame === null) this.counts.dmaErrors++;
      else this.counts.badXmit++;
      this.answer(port, { kind: 'xmitDone', buf: msg.buf, result: XMIT_FAILED });
      return;
    }
    const src = readMac(frame, 6);
    if (src === port.mac) this.switchFrame(port.id, readMac(frame, 0), src, frame);
    else this.counts.spoofed++;
    const { min, max } = XMIT_DONE_US;
    const delayMs = port.completion.int(min, max) / 1000;
    const done = () => {
      this.answer(port, { kind: 'xmitDone', buf: msg.buf, result: XMIT_SUCCESS });
      this.ringAnswered();
    };
    this.timers.schedule(delayMs, `xmit-done:${port.id}`, done, port.id);
  }

  // Through the switch from `inPort`: into guests' posted buffers, or to the outside.
  private switchFrame(inPort: string, dst: number, src: number, frame: Uint8Array): void {
    const sw = this.switchOf();
    const outs = sw.forward(inPort, dst, src);
    for (const out of this.withPromiscuous(sw, inPort, outs)) {
      const port = this.ports.get(out);
      if (port === undefined) {
        this.toOutside(out, frame);
        continue;
      }
      port.wire.send(port.forwarding.int(SWITCH_US.min, SWITCH_US.max) / 1000, () => {
        this.deliver(port, frame);
        this.ringAnswered();
      });
    }
  }

  // The forwarded ports, then every other promiscuous port of the in-port's segment.
  private withPromiscuous(
    sw: VirtualSwitch,
    inPort: string,
    outs: readonly string[],
  ): readonly string[] {
    if (!this.anyPromiscuous) return outs;
    const segment = this.segmentOf(inPort);
    const extra = sw
      .portsOf(segment)
      .filter((id) => id !== inPort && !outs.includes(id) && this.ports.get(id)?.promisc === true);
    return extra.length === 0 ? outs : [...outs, ...extra];
  }

  private get anyPromiscuous(): boolean {
    for (const p of this.ports.values()) if (p.promisc) return true;
    return false;
  }

  private segmentOf(port: string): string {
    return this.ports.get(port)?.segment ?? this.uplinks.get(port)?.segment ?? '';
  }

  private toOutside(uplink: string, frame: Uint8Array): void {
    const outside = this.outside.get(uplink);
    if (outside === undefined) return;
    if (!this.links.uplinkUp(outside.uplink)) return void this.counts.linkDropped++;
    for (const reply of outside.endpoint.receive(frame)) {
      this.counts.outsideAnswers++;
      const { min, max } = OUTSIDE_RTT_US;
      outside.wire.send(outside.rtt.int(min, max) / 1000, () => {
        if (!this.links.uplinkUp(outside.uplink)) return void this.counts.linkDropped++;
        this.switchFrame(uplink, readMac(reply, 0), readMac(reply, 6), reply);
        this.ringAnswered();
      });
    }
  }

  private deliver(port: Port, frame: Uint8Array): void {
    const posts = port.enabled ? scatter(port, frame) : null;
    const first = posts?.[0];
    if (posts === null || first === undefined) {
      port.dropped++;
      return void this.counts.rxDropped++;
    }
    this.counts.framesDelivered++;
    this.answer(port, {
      kind: 'rcv',
      buf: first.buf,
      rcvDoneLen: frame.length,
      rcvbufs: posts.map((p) => p.buf),
      uniqueNum: first.uniqueNum,
      rcvsDroppedDelta: port.dropped,
    });
    port.dropped = 0;
  }

  // Every segment whose link changed: each enabled port on it hears the new state (see the header).
  private tellLinkChanges(): void {
    for (const { segment, up } of this.links.changes()) {
      for (const port of this.ports.values())
        if (port.enabled && port.segment === segment) this.tellLink(port, up);
    }
  }

  // NET_CONNECT_STATUS (§4.3): the guest's carrier follows the link of its segment.
  private tellLink(port: Port, up: boolean): void {
    this.counts.connectStatus++;
    this.answer(port, { kind: 'connectStatus', context: 0, enable: up ? 1 : 0 });
  }

  private answer(port: Port, msg: NetMessage): void {
    encodeNetInto(this.response, msg);
    answerServed(port, this.response);
  }

  private ringAnswered(): void {
    for (const port of this.ports.values()) ringIfAnswered(port, this.env);
  }

  // The switch joins this boot's vnic ports and the IOSP's uplinks, in configuration order.
  private switchOf(): VirtualSwitch {
    if (this.switch !== null) return this.switch;
    const guestPorts = [...this.ports.values()].map((p) => ({ id: p.id, segment: p.segment }));
    const uplinks = [...this.uplinks.values()];
    for (const u of uplinks) {
      if (!this.outside.has(u.id))
        this.outside.set(u.id, {
          uplink: u,
          endpoint: new ExternalEndpoint(u.mac, u.ip),
          rtt: this.env.prng(`outside/${this.partition}/${u.nic}`),
          wire: new Wire(this.env, `outside:${u.id}`, this.timers),
        });
    }
    this.switch = new VirtualSwitch([
      ...guestPorts,
      ...uplinks.map((u) => ({ id: u.id, segment: u.segment })),
    ]);
    return this.switch;
  }
}
