// One guest's network stack on one virtual NIC (issue "Network path"; spar-protocol.md §4.3,
// §4.4.3, §4.4.4, §4.7): the effects of virtnic's IO path and of the IP layer above it
// (machines/ip-stack.machine.ts), performed on the vnic channel and the guest's DMA window.
// Machines decide; this file moves frames, posts and responses:
//
//   ip-stack net.transmit ─► frame bytes built, time-stamped ─► (qdisc while the driver's queue is
//   stopped) ─► virtnic XMIT ─► net.insertXmit
//   (bytes into the slot's transmit page, NET_XMIT on queue 0, ring the IOSP)
//   virtnic net.postRcv ─► NET_RCV_POST of the buffer's receive page
//   IOSP response ─► channel.removeResponse ─► RCV / XMIT_DONE / ENBDIS_ACK / CONNECT_STATUS
//   virtnic net.deliver ─► frame read out of the receive pages ─► ip-stack FRAME
//   net.carrier / net.txQueue / net.txDone … ─► ip-stack LINK / TX_QUEUE / TX_DONE …
//
// The host side of virtnic's protocol mirrors virthba's (storage-stack.ts): an insert is answered
// only when it fails; each removal is answered with one message and `more`.
// Choice: the receive thread (Era A, §4.7: IRQ + thread as virthba) is woken by the IOSP's doorbell
// and otherwise polls every RESPONSE_POLL_MS (4 ms, receive-thread.ts) while transmits are outstanding or receive posts
// wait to be topped up (the drain's start tops them up); idle, the timed drains are skipped for the
// reason storage-stack.ts gives (the IOSP rings with every answer).
// Choice: buffer `index` is receive page `index` of the DMA window; transmit slot `s` is page
// VNIC_RCV_PAGES + s (network.ts). A frame fits one page (MTU 1500).
//
// Buffer ownership ledger (issue property 5): the posts the IOSP may still write — from
// NET_RCV_POST until the NET_RCV that returns it, the acknowledgement of an ENBDIS(0) sent after
// it (the IOSP forgets its posts then, nic-server.ts), or a resume (the IOSP rebooted and
// re-initialised the channel, §4.1). Handing a page to the IP layer while another post of it is
// outstanding counts `ownershipViolations`: the IOSP could overwrite the frame as it is read.

import type { ActorRefFrom, AnyActorRef } from 'xstate';
import { Channel, type Doorbell, type SignalQueue } from '../../channel/index.js';
import {
  buildFrame,
  destinationClass,
  isGroupMac,
  parseFrame,
  readMac,
  type FrameSpec,
} from './ethernet.js';
import { doorbellOf, PAGE_BYTES, type ChannelRecord } from '../../hypervisor/index.js';
import { VNIC_RCV_PAGES, VNIC_TX_SLOTS, type PingFlowPlan, type VnicPlan } from './network.js';
import { StructView } from '../../base/struct.js';
import { visorIoChannel } from '../../protocol/iochannel-layout.js';
import {
  IOCHAN_FROM_IOPART,
  IOCHAN_TO_IOPART,
  RCVPOST_BUF_SIZE,
  SIZEOF_CMDRSP,
} from '../../protocol/uiscmdrsp-constants.js';
import {
  decodeNet,
  encodeNet,
  encodeNetInto,
  type NetMessage,
} from '../../protocol/uiscmdrsp-net.js';
import { ReceiveThread } from '../../partition/receive-thread.js';
import type { StackHost } from '../kind.js';
import { VNIC_CHANNEL } from './channel.js';
import { assert } from '../../base/assert.js';
import type { Binding } from '../../partition/binding.js';
import type { ipStackMachine } from '../../../machines/ip-stack.machine.js';
import type { VirtnicContext, VirtnicIoEmitted } from '../../../machines/virtnic.logic.js';
import type { IpStackContext } from '../../../machines/ip-stack.logic.js';
import type { VirtpciDriverEmitted } from '../../../machines/virtpci-driver.logic.js';
import { ipStackSystemId } from '../../../machines/ip-stack.logic.js';

/**
 * The qdisc's length (Linux's default txqueuelen). The IP layer emits a window of requests in one
 * step; the driver stops its queue part-way (§4.3 flow control) and the rest must wait, as
 * dev_queue_xmit holds packets while the queue is stopped, not reach ndo_start_xmit to be dropped.
 */
const QDISC_LIMIT = 1000;

/** Era A's retry period for a message inserted with OK_TO_WAIT (§7: ring insert retry 10 ms). */
const CONTROL_RETRY_MS = 10;

/** `enbdis.context`: the guest's netdev address, which the IOSP echoes and nobody checks (§4.4.4). */
const NETDEV_CONTEXT = 0xffff_8880_0000;

/** What the host itself counts on the data path (ledgers the machines cannot see). */
export interface NetStackCounts {
  /** A page handed to the IP layer while the IOSP might still write it (must stay 0). */
  ownershipViolations: number;
  /** Frames delivered that do not parse (bad checksum, truncated). */
  parseErrors: number;
  /** Times a control message (ENBDIS, PROMISC) found the ring full and waited CONTROL_RETRY_MS. */
  controlInsertRetries: number;
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
  private readonly commands: SignalQueue;
  private readonly responses: SignalQueue;
  private readonly memory: Uint8Array;
  private readonly windowPfn: number;
  private readonly bell: Doorbell;
  private readonly slot = new Uint8Array(SIZEOF_CMDRSP);
  /** IP-layer frame id → bytes, from transmit until the driver is done with it. */
  private readonly frames = new Map<number, Uint8Array>();
  /**
   * Posts the IOSP may still write: buf → its page and the number of ENBDIS(0) sent before it (an
   * ENBDIS(0)'s ack retires only the posts sent before it: the IOSP takes the ring in order).
   */
  private readonly posts = new Map<number, { readonly page: number; readonly epoch: number }>();
  /** ENBDIS values awaiting their ack, oldest first, each with its disable count. */
  private readonly enbdisSent: { readonly enable: number; readonly epoch: number }[] = [];
  private disablesSent = 0;
  /** The qdisc: frames held while the driver's queue is stopped (ids, in order). */
  private readonly held: number[] = [];
  private queueRunning = false; // virtnic starts its queue when the link first comes up
  private flushTimer: { id: number } | null = null;
  /** Control messages waiting for ring space (encoded), and their retry timer. */
  private readonly waitingControl: Uint8Array[] = [];
  private controlTimer: { id: number } | null = null;
  /** Receive pages whose post failed and was not yet posted again. */
  private readonly failedPosts = new Set<number>();
  /** Nesting depth of virtnic effects being performed (its transition is still running). */
  private inDriver = 0;
  private readonly thread: ReceiveThread;
  private detached = false;
  readonly counts: NetStackCounts = {
    ownershipViolations: 0,
    parseErrors: 0,
    controlInsertRetries: 0,
    badResponses: 0,
  };

  constructor(
    private readonly host: StackHost,
    private readonly virtnic: AnyActorRef,
    channel: ChannelRecord,
    private readonly busNo: number,
    private readonly devNo: number,
    private readonly vnic: VnicPlan,
    flows: readonly PingFlowPlan[],
    ifindex: number,
  ) {
    const attached = Channel.attachAs(channel.buffer, VNIC_CHANNEL);
    // As for a vhba: probed only once the IOSP made the channel ready (storage-stack.ts).
    if (!attached.ok) throw new Error(`${channel.id}: ${attached.error.message}`);
    if (channel.dma === undefined)
      throw new Error(`${channel.id}: a vnic channel has a DMA window`);
    this.commands = attached.value.queue(IOCHAN_TO_IOPART);
    this.responses = attached.value.queue(IOCHAN_FROM_IOPART);
    this.memory = new Uint8Array(channel.dma.buffer);
    this.windowPfn = Number(channel.dma.address) / PAGE_BYTES;
    this.bell = doorbellOf(channel);
    this.ifname = `eth${ifindex}`;
    this.ipId = ipStackSystemId({ partition: host.partition, ifname: this.ifname });
    this.flows = flows;
    this.thread = new ReceiveThread(
      host.env,
      this.bell,
      virtnic,
      `vnic-poll:${busNo}:${devNo}`,
      () => this.frames.size > 0 || this.failedPosts.size > 0,
    );
    this.channelBuffer = channel.buffer;
  }

  private readonly channelBuffer: SharedArrayBuffer;
  private readonly flows: readonly PingFlowPlan[];
  /** The MAC the IOSP published in the channel (what the interface uses, §4.3 Probe). */
  private mac = 0;

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
    this.virtnic.send({
      type: 'CHANNEL_CONFIG',
      mac: this.mac,
      numRcvBufs: view.get('vnic.num_rcv_bufs'),
      mtu: view.get('vnic.mtu'),
    });
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
    const input = {
      partition: this.host.partition,
      ifname: this.ifname,
      mac: this.mac,
      ip: this.vnic.ip,
      netmask: this.vnic.netmask,
      pings,
    };
    this.host.guest.send({ type: 'START_LAYER', module: 'ip-stack', systemId: this.ipId, input });
    const ip = this.host.bind<typeof ipStackMachine>(this.ipId, {
      'net.transmit': ({ id, frame }) => this.transmit(id, frame),
      'ping.flowDone': () => {},
    });
    this.ip = ip;
    ip.send({ type: 'START' });
    this.virtnic.send({ type: 'OPEN' });
    if (this.vnic.promiscuous) this.virtnic.send({ type: 'SET_PROMISC', on: true }); // ndo_set_rx_mode
  }

  /**
   * virtnic's IO effects, as this stack performs them, and serverup's `channel.setClientStateAttached`
   * (`control` performs the attach itself). Each runs inside virtnic's transition (see flushHeld).
   */
  binding(
    control: Binding<VirtpciDriverEmitted>,
  ): Binding<VirtnicIoEmitted> &
    Pick<Binding<VirtpciDriverEmitted>, 'channel.setClientStateAttached'> {
    const inDriver =
      <E>(handler: (effect: E) => void) =>
      (effect: E): void => {
        this.inDriver++;
        try {
          handler(effect);
        } finally {
          this.inDriver--;
        }
      };
    const ip = () => this.ipLayer();
    return {
      'net.postRcv': inDriver(({ index, buf, uniqueNum }) => this.postRcv(index, buf, uniqueNum)),
      'net.insertXmit': inDriver(({ id, buf, slot }) => this.insertXmit(id, buf, slot)),
      'net.enbdis': inDriver(({ enable }) => {
        if (enable === 0) this.disablesSent++;
        this.enbdisSent.push({ enable, epoch: this.disablesSent });
        this.insertControl({ kind: 'enbdis', context: NETDEV_CONTEXT, enable });
      }),
      'net.promisc': inDriver(({ enable }) =>
        this.insertControl({ kind: 'promisc', context: NETDEV_CONTEXT, enable }),
      ),
      'channel.removeResponse': inDriver(() => this.removeResponse()),
      'net.deliver': inDriver(({ indexes, len }) => this.deliver(indexes, len)),
      'net.txDone': inDriver(({ id, ok }) => {
        this.frames.delete(id);
        ip().send({ type: 'TX_DONE', id, ok });
      }),
      'net.txDropped': inDriver(({ id }) => {
        this.frames.delete(id);
        ip().send({ type: 'TX_DROPPED', id });
      }),
      'net.txDiscarded': inDriver(({ ids }) => {
        for (const id of ids) this.frames.delete(id);
        ip().send({ type: 'TX_DISCARDED', ids });
      }),
      'net.carrier': inDriver(({ on }) =>
        ip().send({ type: 'LINK', up: on, atMs: this.host.env.now() }),
      ),
      'net.txQueue': inDriver(({ running }) => {
        this.queueRunning = running;
        this.scheduleFlush();
        ip().send({ type: 'TX_QUEUE', running });
      }),
      'net.rxDropped': () => {},
      'net.buffersFreed': inDriver(() => {
        this.failedPosts.clear(); // freed with the rest: the next open posts every buffer afresh
        this.purgeHeld();
      }),
      'channel.setClientStateAttached': (effect) => {
        // serverup: the IOSP rebooted and re-initialised the channel, forgetting every post (§4.1);
        // control messages still waiting were meant for the dead ring.
        inDriver(() => {
          this.forgetPosts();
          this.waitingControl.length = 0;
        })(effect);
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
      virtnic: this.virtnic.getSnapshot().context,
      counts: { ...this.counts },
      atMs: this.host.env.now(),
    };
  }

  /** The guest stopped: no more polls or doorbell listening. */
  detach(): void {
    this.detached = true;
    this.thread.stop();
    if (this.flushTimer !== null) this.host.env.cancel(this.flushTimer);
    if (this.controlTimer !== null) this.host.env.cancel(this.controlTimer);
    this.controlTimer = null;
    this.flushTimer = null;
  }

  /** The device is gone (virtnic removed): the interface and its IP layer go with it. */
  remove(): void {
    this.detach();
    this.host.guest.send({ type: 'LAYER_GONE', systemId: this.ipId });
  }

  // ── IP layer ─────────────────────────────────────────────────────────────────────────────────

  private ipLayer(): ActorRefFrom<typeof ipStackMachine> {
    assert(this.ip !== null, `${this.ipId} is not started`);
    return this.ip;
  }

  private transmit(id: number, spec: FrameSpec): void {
    // The IP layer has no clock: a probe tag asking for a time stamp gets the send time here.
    const stamped =
      spec.kind === 'echo' && spec.tag !== null && spec.tag.sentAtMs < 0
        ? { ...spec, tag: { ...spec.tag, sentAtMs: this.host.env.now() } }
        : spec;
    const bytes = buildFrame(stamped);
    this.frames.set(id, bytes);
    if (this.queueRunning && this.held.length === 0 && this.inDriver === 0) {
      this.virtnic.send({ type: 'XMIT', id, len: bytes.length });
      return;
    }
    if (this.held.length >= QDISC_LIMIT) {
      this.frames.delete(id);
      this.ipLayer().send({ type: 'TX_DROPPED', id });
      return;
    }
    this.held.push(id);
    this.scheduleFlush();
  }

  // The qdisc is run later, never from inside virtnic's transition (the IP layer's frames arrive
  // there when a received frame makes it answer): an XMIT sent then would wait in virtnic's mailbox,
  // and a window of them would pour past the queue's next stop. net_tx_action runs later too.
  private scheduleFlush(): void {
    if (!this.queueRunning || this.held.length === 0 || this.flushTimer !== null || this.detached)
      return;
    this.flushTimer = this.host.env.schedule(0, `qdisc:${this.ifname}`, () => this.flushHeld());
  }

  // The interface closed (pause, TX reset, remove): dev_close resets the qdisc, its frames are lost.
  private purgeHeld(): void {
    if (this.held.length === 0) return;
    const ids = this.held.splice(0);
    for (const id of ids) this.frames.delete(id);
    this.ipLayer().send({ type: 'TX_DISCARDED', ids });
  }

  // Hands held frames to the driver in order while its queue runs (each XMIT is taken at once, so a
  // stop it causes is seen before the next).
  private flushHeld(): void {
    this.flushTimer = null;
    while (this.queueRunning && this.held.length > 0) {
      const id = this.held.shift() as number;
      const bytes = this.frames.get(id);
      if (bytes !== undefined) this.virtnic.send({ type: 'XMIT', id, len: bytes.length });
    }
  }

  // ── channel I/O ──────────────────────────────────────────────────────────────────────────────

  private postRcv(index: number, buf: number, uniqueNum: number): void {
    // Behind a waiting control message a post would overtake it: it fails and is topped up later.
    if (!(index >= 0 && index < VNIC_RCV_PAGES) || this.waitingControl.length > 0)
      return this.postFailed(index, buf);
    encodeNetInto(this.slot, {
      kind: 'rcvPost',
      buf,
      frag: { pfn: this.windowPfn + index, off: 0, len: RCVPOST_BUF_SIZE },
      uniqueNum,
    });
    if (this.commands.insert(this.slot) !== 'inserted') return this.postFailed(index, buf);
    this.failedPosts.delete(index);
    this.posts.set(buf, { page: index, epoch: this.disablesSent });
    this.host.env.ring(this.bell, 'server');
  }

  // The driver tops the buffer up at the start of a later drain; keep the receive thread's timed
  // wake-ups running until it has (a guest that only answers would otherwise wait for a frame that
  // cannot come: its buffers are what the IOSP writes frames into).
  private postFailed(index: number, buf: number): void {
    this.failedPosts.add(index);
    this.thread.arm();
    this.virtnic.send({ type: 'POST_FAILED', index, buf });
  }

  private insertXmit(id: number, buf: number, slot: number): void {
    const bytes = this.frames.get(id);
    // A transmit may overtake a waiting control message: the IOSP sends a frame whether or not
    // reception is enabled, and the driver transmits only while its interface is open.
    if (bytes === undefined || !(slot >= 0 && slot < VNIC_TX_SLOTS) || bytes.length > PAGE_BYTES)
      return void this.virtnic.send({ type: 'XMIT_INSERT_FAILED', buf });
    const page = VNIC_RCV_PAGES + slot;
    this.memory.set(bytes, page * PAGE_BYTES);
    const frags = [{ pfn: this.windowPfn + page, off: 0, len: bytes.length }];
    encodeNetInto(this.slot, {
      kind: 'xmit',
      buf,
      len: bytes.length,
      frags,
      ethhdr: bytes.subarray(0, 14),
    });
    if (this.commands.insert(this.slot) !== 'inserted')
      return void this.virtnic.send({ type: 'XMIT_INSERT_FAILED', buf });
    this.host.env.ring(this.bell, 'server');
    this.thread.arm();
  }

  // ENBDIS and PROMISC go in with Era A's OK_TO_WAIT (§7): a full ring is retried every
  // CONTROL_RETRY_MS, in order, and nothing overtakes them meanwhile (the ack accounting and the
  // IOSP forgetting its posts at ENBDIS(0) depend on the ring's order).
  private insertControl(msg: NetMessage): void {
    this.waitingControl.push(encodeNet(msg));
    this.insertWaitingControl();
  }

  private insertWaitingControl(): void {
    this.controlTimer = null;
    let inserted = false;
    while (
      this.waitingControl.length > 0 &&
      this.commands.insert(this.waitingControl[0] as Uint8Array) === 'inserted'
    ) {
      this.waitingControl.shift();
      inserted = true;
    }
    if (inserted) this.host.env.ring(this.bell, 'server');
    if (this.waitingControl.length === 0 || this.detached) return;
    this.counts.controlInsertRetries++;
    this.controlTimer ??= this.host.env.schedule(
      CONTROL_RETRY_MS,
      `vnic-control:${this.busNo}:${this.devNo}`,
      () => this.insertWaitingControl(),
    );
  }

  private removeResponse(): void {
    if (this.responses.remove(this.slot) !== 'removed')
      return void this.virtnic.send({ type: 'RESPONSES_EMPTY' });
    // `more` read right after the removal: see storage-stack.ts.
    const more = this.responses.isEmpty() === false;
    const decoded = decodeNet(this.slot);
    if (!decoded.ok) {
      this.counts.badResponses++;
      return void this.virtnic.send({ type: 'OTHER_RESPONSE', more });
    }
    const msg = decoded.value;
    switch (msg.kind) {
      case 'rcv':
        return void this.virtnic.send({
          type: 'RCV',
          buf: msg.buf,
          rcvbufs: msg.rcvbufs,
          len: msg.rcvDoneLen,
          dest: this.returned(msg.buf, msg.rcvbufs),
          more,
        });
      case 'xmitDone':
        return void this.virtnic.send({
          type: 'XMIT_DONE',
          buf: msg.buf,
          result: msg.result,
          more,
        });
      case 'enbdisAck': {
        const acked = this.enbdisSent.shift();
        if (acked?.enable === 0) this.forgetPosts(acked.epoch); // the IOSP dropped the posts before it
        return void this.virtnic.send({ type: 'ENBDIS_ACK', more });
      }
      case 'connectStatus':
        return void this.virtnic.send({ type: 'CONNECT_STATUS', enable: msg.enable, more });
      default:
        this.counts.badResponses++;
        return void this.virtnic.send({ type: 'OTHER_RESPONSE', more });
    }
  }

  // The IOSP returned these buffers: no longer its to write. The destination class is read from
  // the first buffer (the driver's filter after eth_type_trans), if it is one of ours.
  private returned(
    buf: number,
    rcvbufs: readonly number[],
  ): 'host' | 'broadcast' | 'multicast' | 'other' {
    const first = rcvbufs[0] === buf ? this.posts.get(buf)?.page : undefined;
    for (const b of rcvbufs) this.posts.delete(b);
    return first === undefined
      ? 'other'
      : destinationClass(readMac(this.memory, first * PAGE_BYTES), this.mac);
  }

  // The IOSP forgot the posts sent before the `epoch`-th ENBDIS(0) (all of them: a reboot).
  private forgetPosts(epoch = Infinity): void {
    for (const [buf, post] of this.posts) if (post.epoch < epoch) this.posts.delete(buf);
    if (epoch === Infinity) this.enbdisSent.length = 0;
  }

  private deliver(indexes: readonly number[], len: number): void {
    for (const post of this.posts.values()) {
      if (!indexes.includes(post.page)) continue;
      this.counts.ownershipViolations++;
      break;
    }
    const frame = new Uint8Array(len);
    let at = 0;
    for (const i of indexes) {
      const part = Math.min(RCVPOST_BUF_SIZE, len - at);
      if (part <= 0 || !(i >= 0 && i < VNIC_RCV_PAGES)) break;
      frame.set(this.memory.subarray(i * PAGE_BYTES, i * PAGE_BYTES + part), at);
      at += part;
    }
    const parsed = parseFrame(frame.subarray(0, at));
    if (!parsed.ok) return void this.counts.parseErrors++;
    this.ipLayer().send({ type: 'FRAME', frame: parsed.value, atMs: this.host.env.now() });
  }
}
