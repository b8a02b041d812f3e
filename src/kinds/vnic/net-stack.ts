// One guest's network stack on one virtual NIC (spar-protocol.md §4.3, §4.4.3, §4.4.4, §4.7): the
// effects of virtnic's IO path and of the IP layer above it (machines/ip-stack.machine.ts),
// performed on the vnic channel and the guest's DMA window. Machines decide (virtnic holds the
// qdisc and the OK_TO_WAIT control ring); this file stamps times, writes and reads bytes:
//
//   ip-stack net.transmit ─► time-stamped, XMIT {id, len, frame} ─► virtnic (qdisc, ndo_start_xmit)
//   virtnic net.insertXmit {frame} ─► bytes into the slot's transmit page, NET_XMIT on queue 0
//   virtnic net.postRcv / net.enbdis / net.promisc / net.controlRetry ─► queue 0 (channel-io.ts)
//   IOSP response ─► channel.removeResponse ─► RCV / XMIT_DONE / ENBDIS_ACK / CONNECT_STATUS
//   virtnic net.deliver ─► frame read out of the receive pages ─► ip-stack FRAME
//   net.carrier / net.txQueue / net.txDone … ─► ip-stack LINK / TX_QUEUE / TX_DONE …
//
// Choice: the receive thread (Era A, §4.7: IRQ + thread as virthba) is woken by the IOSP's doorbell
// and otherwise polls every RESPONSE_POLL_MS while virtnic says it waits for something
// (`needsPolling`: transmits outstanding, frames in the qdisc, a post to top up); idle, the timed
// drains are skipped for the reason storage-stack.ts gives (the IOSP rings with every answer).
// The buffer-ownership oracle (src/check/buffer-ownership.ts) is fed here: what went into and
// came out of the ring, and each page handed to the IP layer.

import type { ActorRefFrom, AnyActorRef } from 'xstate';
import type { ipStackMachine } from '../../../machines/ip-stack.machine.js';
import type { IpStackContext } from '../../../machines/ip-stack.logic.js';
import { ipStackSystemId } from '../../../machines/ip-stack.logic.js';
import { needsPolling } from '../../../machines/virtnic.logic.js';
import type {
  VirtnicContext,
  VirtnicEvent,
  VirtnicIoEmitted,
} from '../../../machines/virtnic.types.js';
import type { VirtpciDriverEmitted } from '../../../machines/virtpci-driver.logic.js';
import { assert } from '../../base/assert.js';
import { StructView } from '../../base/struct.js';
import { BufferOwnershipLedger } from '../../check/index.js';
import type { ChannelRecord } from '../../hypervisor/index.js';
import type { Binding } from '../../partition/binding.js';
import { ReceiveThread } from '../../partition/receive-thread.js';
import { visorIoChannel } from '../../protocol/iochannel-layout.js';
import type { StackHost } from '../kind.js';
import { NicChannelIo } from './channel-io.js';
import { type FrameSpec, frameLengthOf, isGroupMac, readMac } from './ethernet.js';
import type { PingFlowPlan, VnicPlan } from './network.js';

/** What the host itself counts on the data path (ledgers the machines cannot see). */
export interface NetStackCounts {
  /** A page handed to the IP layer while the IOSP might still write it (must stay 0). */
  ownershipViolations: number;
  /** Frames delivered that do not parse (bad checksum, truncated). */
  parseErrors: number;
  /** Responses that are not net messages, or do not decode. */
  badResponses: number;
}

/** One interface's report: plain data, so it crosses the worker boundary. */
export interface NetInterfaceReport {
  readonly ifname: string;
  readonly busNo: number;
  readonly devNo: number;
  readonly segment: string;
  readonly iosp: string;
  /** The IP layer's context (ledgers, link), the driver's context (counters, carrier). */
  readonly ipStack: IpStackContext;
  readonly virtnic: VirtnicContext;
  readonly counts: NetStackCounts;
  /** Virtual time of the report, for an open link-down interval. */
  readonly atMs: number;
}

/** The network stack of one vnic device. */
export class NetStack {
  readonly ifname: string;
  private ip: ActorRefFrom<typeof ipStackMachine> | null = null;
  private readonly ipId: string;
  private readonly io: NicChannelIo;
  private readonly ledger = new BufferOwnershipLedger();
  private readonly thread: ReceiveThread;
  private readonly channelBuffer: SharedArrayBuffer;
  /** The MAC the IOSP published in the channel (what the interface uses, §4.3 Probe). */
  private mac = 0;

  constructor(
    private readonly host: StackHost,
    private readonly virtnic: AnyActorRef,
    channel: ChannelRecord,
    private readonly busNo: number,
    private readonly devNo: number,
    private readonly vnic: VnicPlan,
    private readonly flows: readonly PingFlowPlan[],
    ifindex: number,
  ) {
    this.ifname = `eth${ifindex}`;
    this.ipId = ipStackSystemId({ partition: host.partition, ifname: this.ifname });
    this.channelBuffer = channel.buffer;
    this.io = new NicChannelIo(channel, host.env, this.ledger, {
      driver: (event) => this.toDriver(event),
      arm: () => this.thread.arm(),
      pageOf: (buf) => this.driverContext().rcvbufs.indexOf(buf),
      mac: () => this.mac,
    });
    this.thread = new ReceiveThread(
      host.env,
      this.io.bell,
      virtnic,
      `vnic-poll:${busNo}:${devNo}`,
      () => needsPolling(this.driverContext()),
    );
  }

  /** The counters: the oracle's verdict and this host's decode failures. */
  get counts(): NetStackCounts {
    return { ownershipViolations: this.ledger.violations, ...this.io.counts };
  }

  /**
   * What probe reads from the channel (§4.3 Probe), then the interface is brought up (ifup) with
   * the IP layer on it. Called once the host routes the driver's effects here: OPEN posts at once.
   */
  start(): void {
    const view = StructView.at(visorIoChannel, this.channelBuffer, 0);
    // Choice: a channel MAC that is not a unicast address (a broken or hostile IOSP) is not used;
    // the interface keeps the configured one (Linux refuses to register a group address).
    const published = readMac(view.raw('vnic.macaddr'), 0);
    this.mac = isGroupMac(published) ? this.vnic.mac : published;
    this.toDriver({
      type: 'CHANNEL_CONFIG',
      mac: this.mac,
      numRcvBufs: view.get('vnic.num_rcv_bufs'),
      mtu: view.get('vnic.mtu'),
    });
    this.host.guest.send({
      type: 'START_LAYER',
      module: 'ip-stack',
      systemId: this.ipId,
      input: this.ipInput(),
    });
    const ip = this.host.bind<typeof ipStackMachine>(this.ipId, {
      'net.transmit': ({ id, frame }) => this.transmit(id, frame),
      'ping.flowDone': () => {},
    });
    this.ip = ip;
    ip.send({ type: 'START' });
    this.toDriver({ type: 'OPEN' });
    if (this.vnic.promiscuous) this.toDriver({ type: 'SET_PROMISC', on: true }); // ndo_set_rx_mode
  }

  /**
   * virtnic's IO effects, as this stack performs them, and serverup's
   * `channel.setClientStateAttached` (`control` performs the attach itself).
   */
  binding(
    control: Binding<VirtpciDriverEmitted>,
  ): Binding<VirtnicIoEmitted> &
    Pick<Binding<VirtpciDriverEmitted>, 'channel.setClientStateAttached'> {
    const ip = () => this.ipLayer();
    const { io } = this;
    return {
      'net.postRcv': ({ index, buf, uniqueNum }) => io.postRcv(index, buf, uniqueNum),
      'net.insertXmit': ({ buf, slot, len, frame }) => io.insertXmit(buf, slot, len, frame),
      'net.enbdis': ({ enable, seq }) => io.insertControl({ kind: 'enbdis', enable }, seq),
      'net.promisc': ({ enable, seq }) => io.insertControl({ kind: 'promisc', enable }, seq),
      'net.controlRetry': ({ message, seq }) => io.insertControl(message, seq),
      'channel.removeResponse': () => io.removeResponse(),
      'net.deliver': ({ indexes, len }) => this.deliver(indexes, len),
      'net.txDone': ({ id, ok }) => ip().send({ type: 'TX_DONE', id, ok }),
      'net.txDropped': ({ id }) => ip().send({ type: 'TX_DROPPED', id }),
      'net.txDiscarded': ({ ids }) => ip().send({ type: 'TX_DISCARDED', ids }),
      'net.carrier': ({ on }) => ip().send({ type: 'LINK', up: on, atMs: this.host.env.now() }),
      'net.txQueue': ({ running }) => ip().send({ type: 'TX_QUEUE', running }),
      'net.rxDropped': () => {},
      'net.buffersFreed': () => {},
      'channel.setClientStateAttached': (effect) => {
        // serverup: the IOSP rebooted and re-initialised the channel, forgetting every post (§4.1).
        this.ledger.channelReset();
        control['channel.setClientStateAttached'](effect);
      },
    };
  }

  /** The interface's report (its actors' contexts and this host's counters). */
  report(): NetInterfaceReport {
    const { ifname, busNo, devNo } = this;
    return {
      ifname,
      busNo,
      devNo,
      segment: this.vnic.segment,
      iosp: this.vnic.iosp,
      ipStack: this.ipLayer().getSnapshot().context,
      virtnic: this.driverContext(),
      counts: this.counts,
      atMs: this.host.env.now(),
    };
  }

  /** The guest stopped: no more polls or doorbell listening. */
  detach(): void {
    this.thread.stop();
  }

  /** The device is gone (virtnic removed): the interface and its IP layer go with it. */
  remove(): void {
    this.detach();
    this.host.guest.send({ type: 'LAYER_GONE', systemId: this.ipId });
  }

  private toDriver(event: VirtnicEvent): void {
    this.virtnic.send(event);
  }

  private driverContext(): VirtnicContext {
    return this.virtnic.getSnapshot().context;
  }

  private ipLayer(): ActorRefFrom<typeof ipStackMachine> {
    assert(this.ip !== null, `${this.ipId} is not started`);
    return this.ip;
  }

  private ipInput() {
    // Flow starts are whole ms from the run's start; the worker runtime's clock is fractional.
    const now = this.host.env.now();
    const pings = this.flows.map((f) => ({
      flow: f.flow,
      dstIp: f.dstIp,
      count: f.count,
      intervalMs: f.intervalMs,
      frameBytes: f.frameBytes,
      window: f.window,
      timeoutMs: f.timeoutMs,
      startMs: Math.max(0, Math.ceil(f.startMs - now)),
    }));
    const { partition } = this.host;
    const { ip, netmask } = this.vnic;
    return { partition, ifname: this.ifname, mac: this.mac, ip, netmask, pings };
  }

  // dev_queue_xmit. The IP layer has no clock: a probe tag asking for a time stamp gets the send
  // time here, so the qdisc's wait counts in the round trip as it does for `ping`.
  private transmit(id: number, spec: FrameSpec): void {
    const frame =
      spec.kind === 'echo' && spec.tag !== null && spec.tag.sentAtMs < 0
        ? { ...spec, tag: { ...spec.tag, sentAtMs: this.host.env.now() } }
        : spec;
    this.toDriver({ type: 'XMIT', id, len: frameLengthOf(frame), frame });
  }

  // The frame goes to the IP layer; the oracle judges whether its pages were ours to read.
  private deliver(indexes: readonly number[], len: number): void {
    this.ledger.delivered(indexes);
    const parsed = this.io.readFrame(indexes, len);
    if (parsed === null) return;
    this.ipLayer().send({ type: 'FRAME', frame: parsed, atMs: this.host.env.now() });
  }
}
