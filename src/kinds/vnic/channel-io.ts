// The vnic channel as virtnic's host uses it (spar-protocol.md §4.3, §4.4.3, §4.4.4, §1.6): queue 0
// takes receive posts, transmits and control messages; queue 1 gives the IOSP's responses; the DMA
// window holds the receive pages and the transmit pages. Each call is one attempt, answered to the
// driver as virtnic.types.ts says: a failed post or transmit at once, every control insert
// (inserted or ring full), every removal with one response event and `more`. The host side
// mirrors virthba's (storage-stack.ts). What went into and came out of the ring is told to the
// buffer-ownership oracle.
// Choice: a typed channel error (the check of each operation, or a queue operation's) quarantines
// the channel (channel-quarantine.ts): from then on nothing is inserted or removed, every post,
// transmit and control insert is refused as a full ring would be, removals find nothing, and the
// CHANNEL_QUARANTINED trace record says why. virtnic sees a device that takes nothing: at-most-once
// holds, the link never comes back for this probe. A response slot the decoder refuses (a torn
// slot) is not a quarantine: it is counted (`badResponses`) and the drain goes on, as for any
// hostile response (net-stack.test.ts): a NIC loses frames, and the ring itself is still sound.
// Choice: buffer `index` is receive page `index` of the DMA window; transmit slot `s` is page
// VNIC_RCV_PAGES + s (network.ts). A frame fits one page (MTU 1500).

import type { ControlMessage, RcvDest, VirtnicEvent } from '../../../machines/virtnic.types.js';
import { virtpciDriverSystemId } from '../../../machines/virtpci-driver.logic.js';
import { Channel, type Doorbell, type SignalQueue } from '../../channel/index.js';
import { ChannelQuarantine, isChannelError } from '../../partition/channel-quarantine.js';
import type { BufferOwnershipLedger } from '../../check/index.js';
import { type ChannelRecord, doorbellOf, PAGE_BYTES } from '../../hypervisor/index.js';
import type { Environment } from '../../partition/environment.js';
import {
  IOCHAN_FROM_IOPART,
  IOCHAN_TO_IOPART,
  RCVPOST_BUF_SIZE,
  SIZEOF_CMDRSP,
} from '../../protocol/uiscmdrsp-constants.js';
import { decodeNet, encodeNetInto, type NetMessage } from '../../protocol/uiscmdrsp-net.js';
import { VNIC_CHANNEL } from './channel.js';
import {
  buildFrame,
  destinationClass,
  type FrameSpec,
  type ParsedFrame,
  parseFrame,
  readMac,
} from './ethernet.js';
import { VNIC_RCV_PAGES, VNIC_TX_SLOTS } from './network.js';

/** `enbdis.context`: the guest's netdev address, which the IOSP echoes and nobody checks (§4.4.4). */
const NETDEV_CONTEXT = 0xffff_8880_0000;

/** What the channel I/O needs of its stack. */
export interface NicChannelPeer {
  /** Sends the driver an answer. */
  driver(event: VirtnicEvent): void;
  /** Something went out that the receive thread must wait for (its timed wake-ups). */
  arm(): void;
  /** The receive page the driver posted under `buf` (its `rcvbuf[]` table), or -1. */
  pageOf(buf: number): number;
  /** The interface's MAC (the receive filter's "host"). */
  mac(): number;
}

/** One vnic channel, attached for the guest. */
export class NicChannelIo {
  readonly bell: Doorbell;
  readonly counts = { parseErrors: 0, badResponses: 0 };
  private readonly commands: SignalQueue;
  private readonly responses: SignalQueue;
  private readonly memory: Uint8Array;
  private readonly windowPfn: number;
  private readonly slot = new Uint8Array(SIZEOF_CMDRSP);
  private readonly view: Channel;
  private readonly quarantine: ChannelQuarantine;

  constructor(
    channel: ChannelRecord,
    private readonly env: Environment,
    private readonly ledger: BufferOwnershipLedger,
    private readonly peer: NicChannelPeer,
  ) {
    const attached = Channel.attachAs(channel.buffer, VNIC_CHANNEL);
    // As for a vhba: probed only once the IOSP made the channel ready (storage-stack.ts).
    if (!attached.ok) throw new Error(`${channel.id}: ${attached.error.message}`);
    if (channel.dma === undefined)
      throw new Error(`${channel.id}: a vnic channel has a DMA window`);
    this.view = attached.value;
    const { guestPartition: partition, busNo = 0, devNo = 0 } = channel;
    const actor = virtpciDriverSystemId('virtnic', { partition, busNo, devNo });
    this.quarantine = new ChannelQuarantine(env, partition, actor, channel.id);
    this.commands = attached.value.queue(IOCHAN_TO_IOPART);
    this.responses = attached.value.queue(IOCHAN_FROM_IOPART);
    this.memory = new Uint8Array(channel.dma.buffer);
    this.windowPfn = Number(channel.dma.address) / PAGE_BYTES;
    this.bell = doorbellOf(channel);
  }

  /** NET_RCV_POST of receive page `index` under `buf`; a refusal is answered POST_FAILED. */
  postRcv(index: number, buf: number, uniqueNum: number): void {
    if (index >= 0 && index < VNIC_RCV_PAGES) {
      const frag = { pfn: this.windowPfn + index, off: 0, len: RCVPOST_BUF_SIZE };
      encodeNetInto(this.slot, { kind: 'rcvPost', buf, frag, uniqueNum });
      if (this.insert() === 'inserted') {
        this.ledger.posted(buf, index);
        this.env.ring(this.bell, 'server');
        return;
      }
    }
    // The driver tops the buffer up at the start of a later drain; keep the receive thread's
    // timed wake-ups running until it has (a guest that only answers would otherwise wait for a
    // frame that cannot come: its buffers are what the IOSP writes frames into).
    this.peer.arm();
    this.peer.driver({ type: 'POST_FAILED', index, buf });
  }

  /** The frame's bytes into transmit page `slot`, NET_XMIT; a refusal is XMIT_INSERT_FAILED. */
  insertXmit(buf: number, slot: number, len: number, frame: FrameSpec): void {
    if (this.xmitInserted(slot, len, frame, buf)) {
      this.env.ring(this.bell, 'server');
      this.peer.arm();
    } else this.peer.driver({ type: 'XMIT_INSERT_FAILED', buf });
  }

  /** One try at an OK_TO_WAIT control message (§7): answered inserted or ring full. */
  insertControl(message: ControlMessage, seq: number): void {
    encodeNetInto(this.slot, { ...message, context: NETDEV_CONTEXT });
    if (this.insert() !== 'inserted') {
      this.peer.driver({ type: 'CONTROL_RING_FULL', seq });
      return;
    }
    if (message.kind === 'enbdis') this.ledger.enbdisInserted(message.enable);
    this.env.ring(this.bell, 'server');
    this.peer.driver({ type: 'CONTROL_INSERTED', seq });
  }

  /** One message off queue 1, decoded and answered; RESPONSES_EMPTY when there is none. */
  removeResponse(): void {
    this.peer.driver(this.removed());
  }

  /** The frame in receive pages `indexes` (chain order), parsed; null (counted) if it does not. */
  readFrame(indexes: readonly number[], len: number): ParsedFrame | null {
    const frame = new Uint8Array(len);
    let at = 0;
    for (const i of indexes) {
      const part = Math.min(RCVPOST_BUF_SIZE, len - at);
      if (part <= 0 || !(i >= 0 && i < VNIC_RCV_PAGES)) break;
      frame.set(this.memory.subarray(i * PAGE_BYTES, i * PAGE_BYTES + part), at);
      at += part;
    }
    const parsed = parseFrame(frame.subarray(0, at));
    if (parsed.ok) return parsed.value;
    this.counts.parseErrors++;
    return null;
  }

  private responseEvent(msg: NetMessage, more: boolean): VirtnicEvent | null {
    switch (msg.kind) {
      case 'rcv':
        this.ledger.returned(msg.rcvbufs);
        return {
          type: 'RCV',
          buf: msg.buf,
          rcvbufs: msg.rcvbufs,
          len: msg.rcvDoneLen,
          dest: this.destOf(msg.buf, msg.rcvbufs),
          more,
        };
      case 'xmitDone':
        return { type: 'XMIT_DONE', buf: msg.buf, result: msg.result, more };
      case 'enbdisAck':
        this.ledger.enbdisAcked();
        return { type: 'ENBDIS_ACK', more };
      case 'connectStatus':
        return { type: 'CONNECT_STATUS', enable: msg.enable, more };
      default:
        return null;
    }
  }

  // Queue 0's insert of `this.slot` after the channel check; 'refused' once quarantined.
  private insert(): 'inserted' | 'refused' {
    if (this.corrupt(this.view.check())) return 'refused';
    const outcome = this.commands.insert(this.slot);
    if (this.corrupt(outcome)) return 'refused';
    return outcome === 'inserted' ? 'inserted' : 'refused';
  }

  // True (and the channel quarantined, once) when `outcome` is a typed channel error, or the
  // channel already is quarantined.
  private corrupt(outcome: unknown): boolean {
    if (isChannelError(outcome)) this.quarantine.enter(outcome);
    return this.quarantine.quarantined;
  }

  private removed(): VirtnicEvent {
    if (this.corrupt(this.view.check())) return { type: 'RESPONSES_EMPTY' };
    const outcome = this.responses.remove(this.slot);
    if (this.corrupt(outcome) || outcome !== 'removed') return { type: 'RESPONSES_EMPTY' };
    // `more` read right after the removal: see storage-stack.ts.
    const more = this.responses.isEmpty() === false;
    const decoded = decodeNet(this.slot);
    const event = decoded.ok ? this.responseEvent(decoded.value, more) : null;
    if (event !== null) return event;
    this.counts.badResponses++;
    return { type: 'OTHER_RESPONSE', more };
  }

  // The bytes into the slot's transmit page and NET_XMIT into queue 0; false if either fails.
  private xmitInserted(slot: number, len: number, frame: FrameSpec, buf: number): boolean {
    const bytes = buildFrame(frame);
    const fits = slot >= 0 && slot < VNIC_TX_SLOTS && bytes.length <= PAGE_BYTES;
    if (!fits || bytes.length !== len) return false;
    const page = VNIC_RCV_PAGES + slot;
    this.memory.set(bytes, page * PAGE_BYTES);
    const frags = [{ pfn: this.windowPfn + page, off: 0, len }];
    encodeNetInto(this.slot, { kind: 'xmit', buf, len, frags, ethhdr: bytes.subarray(0, 14) });
    return this.insert() === 'inserted';
  }

  // The destination class is read from the first buffer (the driver's filter after
  // eth_type_trans), if the driver posted it: the pointer it dereferences is its own table's.
  private destOf(buf: number, rcvbufs: readonly number[]): RcvDest {
    const page = rcvbufs[0] === buf ? this.peer.pageOf(buf) : -1;
    if (!(page >= 0 && page < VNIC_RCV_PAGES)) return 'other';
    return destinationClass(readMac(this.memory, page * PAGE_BYTES), this.peer.mac());
  }
}
