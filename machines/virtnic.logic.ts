// Types and pure steps of virtnic's IO path (spar-protocol.md §4.3 visornic, under the Era A
// names of §4.7; §4.4.4 correlation; §4.8 outage checklist; §7 the TX watchdog). The machine
// (virtnic.machine.ts) wires them into XState and holds the interface's lifecycle steps, built
// from the draft primitives below; the control plane is `virtpci-driver.logic.ts`.
// Each handler is a pure step: context and event in; the next context, the effects in order and
// the watchdog decision out (`NicStep`). A step copies the small tables and counters once.
// Tables (plain arrays): `rcvbufs[index]` (`rcvbuf[]`) holds the buf posted for receive buffer
// `index`, or null while the buffer is the guest's; the host owns its memory. `xmits[slot]`
// (`xmitbufhead`) holds the transmit in the host's tx DMA buffer `slot`, or null. Choice: a fixed
// table, so the host can keep one DMA buffer per slot; its order is slot order (the IOSP may
// reorder anyway, §4.4.4). Every post and transmit gets a new buf (BUF_BASE + n × 64), never
// reused in the actor's life, so a stale NET_RCV or NET_XMIT_DONE can never match.
// Choice: outstanding = occupied `xmits` entries, not `sent_xmit − got_xmit_done`: they differ only
// when the IOSP completes an unknown buf (upstream's count then drops below its list and lets the
// list outgrow max_outstanding) and under the quirk (counters reset at pause, list kept).

import { assert } from '../src/base/assert.js';
import type {
  VirtpciDriverContext,
  VirtpciDriverEmitted,
  VirtpciDriverEvent,
  VirtpciDriverInput,
  VirtpciDriverQuirks,
} from './virtpci-driver.logic.js';
import { NO_VIRTPCI_DRIVER_QUIRKS, initialVirtpciDriverContext } from './virtpci-driver.logic.js';

// §4.3, §4.4.1 sizes (ETH_MIN_PACKET_SIZE: the host pads shorter transmits), re-exported for the machine.
import {
  ETH_HLEN,
  MAX_NET_RCV_CHAIN,
  RCVPOST_BUF_SIZE,
} from '../src/protocol/uiscmdrsp-constants.js';
export {
  ETH_HLEN,
  ETH_MIN_PACKET_SIZE,
  MAX_NET_RCV_CHAIN,
  RCVPOST_BUF_SIZE,
  VISOR_ETH_MAX_MTU,
} from '../src/protocol/uiscmdrsp-constants.js';
/** Choice: `num_rcv_bufs` is clamped to 1..64 (MIN_NUMSIGNALS, the slots of the ring the posts go
 * into, §4.4.1), so a hostile channel cannot make the driver allocate a huge table. */
export const NUM_RCV_BUFS_MIN = 1;
export const NUM_RCV_BUFS_MAX = 64;
/** The netdev watchdog, `5 * HZ` (§4.3 TX timeout, §7), and its delayed event's id. */
export const TX_TIMEOUT_MS = 5000;
export const TX_WATCHDOG_ID = 'txWatchdog';
/** `IFF_PROMISC`, the `enbdis.enable` of a NET_RCV_PROMISC that turns it on (§4.3). */
export const IFF_PROMISC = 0x100;
/** Pseudo skb addresses: BUF_BASE + n × BUF_STRIDE (safe integers for 2^47 buffers). */
export const BUF_BASE = 0x1_0000_0000;
export const BUF_STRIDE = 64;

/** virtnic's quirks: the shared ones plus its seeded recovery bug. */
export interface VirtnicQuirks extends VirtpciDriverQuirks {
  /** Quirk (seeded, netfront-style canary): the pause keeps the transmit list and the queue, and
   * resume re-inserts every listed transmit, so a switched frame whose XMIT_DONE was lost goes twice. */
  readonly xmitAfterTeardown: boolean;
}

/** All virtnic quirks off. */
export const NO_VIRTNIC_QUIRKS: VirtnicQuirks = {
  ...NO_VIRTPCI_DRIVER_QUIRKS,
  xmitAfterTeardown: false,
};

/** virtnic's input: the driver input plus the watchdog and the incarnation id. */
export interface VirtnicInput extends VirtpciDriverInput {
  readonly quirks?: Partial<VirtnicQuirks>;
  /** Milliseconds without transmit progress before the TX reset (default 5000). */
  readonly txTimeoutMs?: number;
  /** `rcvpost.unique_num` (default: `busNo × 0x10000 + devNo`, see `incarnationOf`). */
  readonly incarnationId?: number;
}

/** One unacknowledged transmit: the host's frame id, the buf it went out with, its length. */
export interface VirtnicXmit {
  readonly id: number;
  readonly buf: number;
  readonly len: number;
}

/**
 * The counters, named after visornic's stats (§4.3) where it has one. Transmit: `sentXmit` /
 * `gotXmitDone` (sent_xmit, got_xmit_done counting matched completions; both reset by a pause),
 * `xmitFail` (result ≠ 0), `unknownXmitDone`, `txDropped` (all reasons), `busyCnt` (queue stopped
 * or server down), `rejectCount` (max_outstanding), `xmitInsertFailed`, `staleXmitInsertFailures`,
 * `txDiscarded` (by close, pause, reset, remove), `flowControlUpperHits` / `…LowerHits` (queue
 * stopped / woken by the thresholds). Receive: `sentPost` (a failed post is taken back),
 * `sentPostFailed`, `stalePostFailures`, `extraRcvbufsSent` (top-up posts), `buffersFreed`,
 * `gotRcv`, `rxPackets` / `rxBytes` (delivered), `rxDropped` (all reasons),
 * `nRcvPacketsNotAccepted` (filter), `foundRepostRcvbufCnt` (head buffer found),
 * `nRepostDeficit` (a returned buffer the table did not hold), `badRcvBuf` (the head buffer it did
 * not hold). Control: `sentEnbdis`, `gotEnbdisAck`, `unexpectedEnbdisAcks` (none was owed),
 * `sentPromisc`, `gotConnectStatus`, `txTimeouts`, `abandonedResponses` (taken while not running),
 * `otherResponses`.
 */
export const VIRTNIC_COUNT_NAMES = [
  'sentXmit',
  'gotXmitDone',
  'xmitFail',
  'unknownXmitDone',
  'txDropped',
  'busyCnt',
  'rejectCount',
  'xmitInsertFailed',
  'staleXmitInsertFailures',
  'txDiscarded',
  'flowControlUpperHits',
  'flowControlLowerHits',
  'sentPost',
  'sentPostFailed',
  'stalePostFailures',
  'extraRcvbufsSent',
  'buffersFreed',
  'gotRcv',
  'rxPackets',
  'rxBytes',
  'rxDropped',
  'nRcvPacketsNotAccepted',
  'foundRepostRcvbufCnt',
  'nRepostDeficit',
  'badRcvBuf',
  'sentEnbdis',
  'gotEnbdisAck',
  'unexpectedEnbdisAcks',
  'sentPromisc',
  'gotConnectStatus',
  'txTimeouts',
  'abandonedResponses',
  'otherResponses',
] as const;

/** Counters of the IO path (plain numbers, for traces and checkers). */
export type VirtnicCounts = { readonly [K in (typeof VIRTNIC_COUNT_NAMES)[number]]: number };

/** All counters zero. */
export const ZERO_VIRTNIC_COUNTS = Object.fromEntries(
  VIRTNIC_COUNT_NAMES.map((n) => [n, 0]),
) as VirtnicCounts;

/**
 * virtnic's context: the shared driver context plus the interface, the tables and counters.
 * `uniqueNum` is `incarnation_id` (`rcvpost.unique_num`). `mac`, `mtu`, `numRcvBufs` (clamped) and
 * the thresholds (`max_outstanding_net_xmits`, upper, lower) come from CHANNEL_CONFIG
 * (`configured`). `open` is IFF_UP (ndo_open, not yet ndo_stop; kept across outages);
 * `channelOpen`: buffers posted and ENBDIS(1) sent, no teardown since. `enabled`/`enbdisAcked` are
 * visornic's `enabled`/`enab_dis_acked`; `awaitingEnbdisAck`: an open, resume or reset waits for
 * the ack to bring the link up; `enbdisAcksOwed`: ENBDIS sent on the live ring, not yet acked.
 * `carrier`/`queueRunning`: `netif_carrier_ok` / `!netif_queue_stopped`; `promisc`: IFF_PROMISC.
 * `nextBufSeq`: the n of the next buf. `draining`: a `channel.removeResponse` is unanswered.
 * `txWatchdogArmed`: a TX_TIMEOUT is scheduled under TX_WATCHDOG_ID.
 */
export interface VirtnicContext extends VirtpciDriverContext {
  readonly quirks: VirtnicQuirks;
  readonly txTimeoutMs: number;
  readonly uniqueNum: number;
  readonly configured: boolean;
  readonly mac: number;
  readonly mtu: number;
  readonly numRcvBufs: number;
  readonly maxOutstanding: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly open: boolean;
  readonly channelOpen: boolean;
  readonly enabled: boolean;
  readonly enbdisAcked: boolean;
  readonly awaitingEnbdisAck: boolean;
  readonly enbdisAcksOwed: number;
  readonly carrier: boolean;
  readonly queueRunning: boolean;
  readonly promisc: boolean;
  readonly rcvbufs: readonly (number | null)[];
  readonly xmits: readonly (VirtnicXmit | null)[];
  readonly nextBufSeq: number;
  readonly draining: boolean;
  readonly txWatchdogArmed: boolean;
  readonly counts: VirtnicCounts;
}

/** Where a received frame was addressed, as `eth_type_trans` classifies it (host's decode). */
export type RcvDest = 'host' | 'broadcast' | 'multicast' | 'other';

/** What every response event says about the ring besides its message. */
export interface RemovedResponse {
  /** Queue 1 still held a message right after this removal: the drain asks for the next one. */
  readonly more: boolean;
}

/** NET_RCV: a frame landed in posted buffers `rcvbufs` (chain order); `buf` = `net.buf`. */
export interface RcvEvent extends RemovedResponse {
  readonly type: 'RCV';
  readonly buf: number;
  readonly rcvbufs: readonly number[];
  readonly len: number;
  readonly dest: RcvDest;
}

/** One message removed from queue 1 by `channel.removeResponse`. */
export type VirtnicResponseEvent =
  | RcvEvent
  | (RemovedResponse & {
      readonly type: 'XMIT_DONE';
      readonly buf: number;
      readonly result: number;
    })
  | (RemovedResponse & { readonly type: 'ENBDIS_ACK' })
  | (RemovedResponse & { readonly type: 'CONNECT_STATUS'; readonly enable: number })
  | (RemovedResponse & { readonly type: 'OTHER_RESPONSE' });

/** virtnic's events: the driver entry points, the netdev calls, the host's answers. */
export type VirtnicEvent =
  | VirtpciDriverEvent
  /** What probe reads from the channel (sent by the host right after PROBE). */
  | {
      readonly type: 'CHANNEL_CONFIG';
      readonly mac: number;
      readonly numRcvBufs: number;
      readonly mtu: number;
    }
  /** ndo_open / ndo_stop. */
  | { readonly type: 'OPEN' }
  | { readonly type: 'CLOSE' }
  /** ndo_start_xmit of the host's frame `id` (our "skb") of `len` bytes. */
  | { readonly type: 'XMIT'; readonly id: number; readonly len: number }
  /** ndo_set_rx_mode with IFF_PROMISC `on`. */
  | { readonly type: 'SET_PROMISC'; readonly on: boolean }
  /** The host could not insert the post of `buf` for buffer `index`. */
  | { readonly type: 'POST_FAILED'; readonly index: number; readonly buf: number }
  /** The host could not insert the transmit of `buf` (ring full). */
  | { readonly type: 'XMIT_INSERT_FAILED'; readonly buf: number }
  | VirtnicResponseEvent
  /** The removal found queue 1 empty: the drain ends. */
  | { readonly type: 'RESPONSES_EMPTY' }
  /** Internal, delayed (id TX_WATCHDOG_ID): no transmit progress for `txTimeoutMs`. */
  | { readonly type: 'TX_TIMEOUT' };

/** The device an IO effect concerns. */
export interface NetAt {
  readonly partition: string;
  readonly busNo: number;
  readonly devNo: number;
}

/** Why ndo_start_xmit dropped a frame (§4.3 order). */
export type TxDropReason =
  | 'queueStopped'
  | 'serverDown'
  | 'runt'
  | 'maxOutstanding'
  | 'insertFailed';
/** Why a received frame was not delivered (§4.3 NET_RCV row). */
export type RxDropReason = 'notEnabled' | 'badLength' | 'badChain' | 'badRcvBuf' | 'notAccepted';

/** Effects of virtnic's IO path, performed by the host synchronously after the transition. */
export type VirtnicIoEmitted =
  | ({
      readonly type: 'net.postRcv';
      readonly index: number;
      readonly buf: number;
      readonly uniqueNum: number;
    } & NetAt)
  | ({
      readonly type: 'net.insertXmit';
      readonly id: number;
      readonly buf: number;
      readonly len: number;
      readonly slot: number;
    } & NetAt)
  | ({ readonly type: 'net.enbdis'; readonly enable: 0 | 1 } & NetAt)
  | ({ readonly type: 'net.promisc'; readonly enable: 0 | typeof IFF_PROMISC } & NetAt)
  | ({ readonly type: 'channel.removeResponse' } & NetAt)
  | ({
      readonly type: 'net.deliver';
      readonly indexes: readonly number[];
      readonly len: number;
    } & NetAt)
  | ({
      readonly type: 'net.rxDropped';
      readonly reason: RxDropReason;
      readonly len: number;
    } & NetAt)
  | ({ readonly type: 'net.txDone'; readonly id: number; readonly ok: boolean } & NetAt)
  | ({ readonly type: 'net.txDropped'; readonly id: number; readonly reason: TxDropReason } & NetAt)
  | ({ readonly type: 'net.txDiscarded'; readonly ids: readonly number[] } & NetAt)
  | ({ readonly type: 'net.carrier'; readonly on: boolean } & NetAt)
  | ({ readonly type: 'net.txQueue'; readonly running: boolean } & NetAt)
  | ({ readonly type: 'net.buffersFreed'; readonly indexes: readonly number[] } & NetAt);

/** Everything virtnic emits. */
export type VirtnicEmitted = VirtpciDriverEmitted | VirtnicIoEmitted;

/** What the machine does with the watchdog after a step. */
export type WatchdogAction = 'keep' | 'arm' | 'disarm';

/** A step's outcome: the next context, the effects in order, the watchdog decision. */
export interface NicStep {
  readonly context: VirtnicContext;
  readonly effects: readonly VirtnicIoEmitted[];
  readonly watchdog: WatchdogAction;
}

/**
 * Choice: the incarnation id is derived from the device address (the machine reads no clock; upstream
 * uses jiffies at probe). The final guest never examines `rcv.unique_num` (§4.3).
 */
export function incarnationOf(busNo: number, devNo: number): number {
  return busNo * 0x10000 + devNo;
}

/** The initial context; a bad watchdog time is a host bug. */
export function initialVirtnicContext(input: VirtnicInput): VirtnicContext {
  const txTimeoutMs = input.txTimeoutMs ?? TX_TIMEOUT_MS;
  assert(Number.isSafeInteger(txTimeoutMs) && txTimeoutMs > 0, `txTimeoutMs ${txTimeoutMs}`);
  const uniqueNum = input.incarnationId ?? incarnationOf(input.busNo, input.devNo);
  assert(Number.isSafeInteger(uniqueNum) && uniqueNum >= 0, `incarnationId ${uniqueNum}`);
  return {
    ...initialVirtpciDriverContext(input),
    quirks: { ...NO_VIRTNIC_QUIRKS, ...input.quirks },
    txTimeoutMs,
    uniqueNum,
    configured: false,
    mac: 0,
    mtu: 0,
    numRcvBufs: 0,
    maxOutstanding: 0,
    upperThreshold: 0,
    lowerThreshold: 0,
    open: false,
    channelOpen: false,
    enabled: false,
    enbdisAcked: false,
    awaitingEnbdisAck: false,
    enbdisAcksOwed: 0,
    carrier: false,
    queueRunning: false,
    promisc: false,
    rcvbufs: [],
    xmits: [],
    nextBufSeq: 0,
    draining: false,
    txWatchdogArmed: false,
    counts: ZERO_VIRTNIC_COUNTS,
  };
}

/**
 * The flow-control thresholds of probe (§4.3). Upstream computes `max_t(unsigned long, 3,
 * num_rcv_bufs/3 − 2)`, which turns the negative of a channel with fewer than 6 buffers into
 * ULONG_MAX; the reference's (and our) arithmetic max gives 3 there.
 */
export function flowThresholds(numRcvBufs: number) {
  const maxOutstanding = Math.max(3, Math.floor(numRcvBufs / 3) - 2);
  const upperThreshold = Math.max(2, maxOutstanding - 1);
  const lowerThreshold = Math.max(1, Math.floor(maxOutstanding / 2));
  return { maxOutstanding, upperThreshold, lowerThreshold };
}

/** `value` as an integer in min..max; a non-number (hostile channel) becomes `min`. */
export function clampInt(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return value === Infinity ? max : min;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

/** The unacknowledged transmits (occupied `xmits` entries). */
export function outstandingOf(context: Pick<VirtnicContext, 'xmits'>): number {
  let n = 0;
  for (const x of context.xmits) if (x !== null) n++;
  return n;
}

/** The IO effects' device address. */
export function netAtOf(context: VirtnicContext): NetAt {
  return { partition: context.partition, busNo: context.busNo, devNo: context.devNo };
}

/** The destination filter after `eth_type_trans` (§4.3). Choice: no multicast list is kept, so a
 * multicast frame is accepted only in promiscuous mode; IFF_BROADCAST is always set. */
export function acceptsDest(dest: RcvDest, promisc: boolean): boolean {
  return dest === 'host' || dest === 'broadcast' || promisc;
}

/** Why a NET_RCV is not delivered, or null (§4.3 NET_RCV row, in order). Choice: a frame in a buffer
 * we do not own (`!owned`) is dropped; upstream dereferences whatever pointer the IOSP returns. */
export function rxDropReasonOf(
  context: VirtnicContext,
  event: RcvEvent,
  owned: boolean,
): RxDropReason | null {
  if (!(context.enabled && context.enbdisAcked)) return 'notEnabled';
  const { len, rcvbufs } = event;
  const n = rcvbufs.length;
  if (!Number.isSafeInteger(len) || len < ETH_HLEN || len > MAX_NET_RCV_CHAIN * RCVPOST_BUF_SIZE)
    return 'badLength';
  const counted = len > RCVPOST_BUF_SIZE ? n >= 2 : n === 1;
  if (!counted || n > MAX_NET_RCV_CHAIN || len > n * RCVPOST_BUF_SIZE || rcvbufs[0] !== event.buf)
    return 'badChain';
  if (!owned) return 'badRcvBuf';
  return acceptsDest(event.dest, context.promisc) ? null : 'notAccepted';
}

// ---- drafts: the primitives every step (here and in virtnic.machine.ts) is made of -----------

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A step's working copy: the context with its small tables copied, and the effects so far. */
export interface NicDraft {
  readonly c: Mutable<Omit<VirtnicContext, 'rcvbufs' | 'xmits' | 'counts'>> & {
    rcvbufs: (number | null)[];
    xmits: (VirtnicXmit | null)[];
    counts: Mutable<VirtnicCounts>;
  };
  readonly at: NetAt;
  readonly effects: VirtnicIoEmitted[];
  /** A transmit went out or completed: the watchdog restarts. */
  progress: boolean;
}

/** A draft of `context`. */
export function draftOf(context: VirtnicContext): NicDraft {
  const c = {
    ...context,
    rcvbufs: [...context.rcvbufs],
    xmits: [...context.xmits],
    counts: { ...context.counts },
  };
  return { c, at: netAtOf(context), effects: [], progress: false };
}

/**
 * The step's outcome. Choice: the netdev watchdog (§4.3 TX timeout) runs while the carrier is on
 * and transmits are outstanding or the queue is stopped. Linux's dev_watchdog fires only for a
 * stopped queue whose last transmit is older than the timeout; here 5 s without progress with any
 * transmit outstanding also counts (an IOSP that takes frames and never completes them), and a
 * queue stopped by a failed insert with nothing outstanding is covered too. Progress restarts it.
 */
export function finish(d: NicDraft): NicStep {
  const { c } = d;
  const wanted = c.carrier && (outstandingOf(c) > 0 || !c.queueRunning);
  let watchdog: WatchdogAction = 'keep';
  if (!wanted && c.txWatchdogArmed) watchdog = 'disarm';
  if (wanted && (!c.txWatchdogArmed || d.progress)) watchdog = 'arm';
  c.txWatchdogArmed = wanted;
  return { context: c, effects: d.effects, watchdog };
}

function setQueue(d: NicDraft, running: boolean): void {
  if (d.c.queueRunning === running) return;
  d.c.queueRunning = running;
  d.effects.push({ type: 'net.txQueue', ...d.at, running });
}

function setCarrier(d: NicDraft, on: boolean): void {
  if (d.c.carrier === on) return;
  d.c.carrier = on;
  d.effects.push({ type: 'net.carrier', ...d.at, on });
}

function nextBuf(d: NicDraft): number {
  const buf = BUF_BASE + d.c.nextBufSeq * BUF_STRIDE;
  assert(Number.isSafeInteger(buf), `buf counter ${d.c.nextBufSeq} ran out of safe integers`);
  d.c.nextBufSeq += 1;
  return buf;
}

/** Post receive buffer `index` with a fresh buf. */
export function postRcv(d: NicDraft, index: number): void {
  const buf = nextBuf(d);
  d.c.rcvbufs[index] = buf;
  d.c.counts.sentPost += 1;
  d.effects.push({ type: 'net.postRcv', ...d.at, index, buf, uniqueNum: d.c.uniqueNum });
}

function sendEnbdis(d: NicDraft, enable: 0 | 1): void {
  d.c.counts.sentEnbdis += 1;
  d.c.enbdisAcksOwed += 1;
  d.effects.push({ type: 'net.enbdis', ...d.at, enable });
}

/** NET_RCV_PROMISC with the current IFF_PROMISC bit. */
export function sendPromisc(d: NicDraft): void {
  d.c.counts.sentPromisc += 1;
  d.effects.push({ type: 'net.promisc', ...d.at, enable: d.c.promisc ? IFF_PROMISC : 0 });
}

/** Insert transmit `id` into `slot` with a fresh buf. */
export function insertXmit(d: NicDraft, slot: number, id: number, len: number): void {
  const buf = nextBuf(d);
  d.c.xmits[slot] = { id, buf, len };
  d.c.counts.sentXmit += 1;
  d.effects.push({ type: 'net.insertXmit', ...d.at, id, buf, len, slot });
}

/** ndo_open's channel part (§4.3 Open 1–3): post every buffer, enabled, not acked, ENBDIS(1). */
export function startIo(d: NicDraft): void {
  for (let index = 0; index < d.c.rcvbufs.length; index++) postRcv(d, index);
  d.c.enabled = true;
  d.c.enbdisAcked = false;
  sendEnbdis(d, 1);
  d.c.awaitingEnbdisAck = true;
  d.c.channelOpen = true;
}

/**
 * ndo_stop's channel part (§4.3 Close): ENBDIS(0) if the channel was open, link down, transmits
 * discarded, every receive buffer freed. `keepXmits`: the quirk's pause (queue and list kept).
 */
export function stopIo(d: NicDraft, keepXmits: boolean): void {
  if (d.c.channelOpen) sendEnbdis(d, 0);
  d.c.channelOpen = false;
  d.c.enabled = false;
  d.c.enbdisAcked = false;
  d.c.awaitingEnbdisAck = false;
  if (!keepXmits) setQueue(d, false);
  setCarrier(d, false);
  if (!keepXmits) discardXmits(d);
  freeRcvbufs(d);
}

function discardXmits(d: NicDraft): void {
  const ids = d.c.xmits.flatMap((x) => (x === null ? [] : [x.id]));
  if (ids.length === 0) return;
  d.c.xmits.fill(null);
  d.c.counts.txDiscarded += ids.length;
  d.effects.push({ type: 'net.txDiscarded', ...d.at, ids });
}

function freeRcvbufs(d: NicDraft): void {
  const indexes = d.c.rcvbufs.flatMap((buf, index) => (buf === null ? [] : [index]));
  if (indexes.length === 0) return;
  d.c.rcvbufs.fill(null);
  d.c.counts.buffersFreed += indexes.length;
  d.effects.push({ type: 'net.buffersFreed', ...d.at, indexes });
}

// ---- steps ----------------------------------------------------------------------------------

/** XMIT accepted (§4.3 Transmit): insert into a free slot; stop the queue at the upper threshold. */
export function transmitStep(
  context: VirtnicContext,
  event: { readonly id: number; readonly len: number },
): NicStep {
  const d = draftOf(context);
  const slot = d.c.xmits.indexOf(null);
  assert(slot >= 0, 'transmitStep runs only below max_outstanding');
  insertXmit(d, slot, event.id, event.len);
  d.progress = true;
  if (outstandingOf(d.c) >= d.c.upperThreshold && d.c.queueRunning) {
    d.c.counts.flowControlUpperHits += 1;
    setQueue(d, false);
  }
  return finish(d);
}

/** XMIT dropped by ndo_start_xmit for `reason`; max_outstanding also stops the queue (§4.3). */
export function dropTransmitStep(
  context: VirtnicContext,
  id: number,
  reason: TxDropReason,
): NicStep {
  const d = draftOf(context);
  const { counts } = d.c;
  counts.txDropped += 1;
  if (reason === 'queueStopped' || reason === 'serverDown') counts.busyCnt += 1;
  if (reason === 'maxOutstanding') counts.rejectCount += 1;
  d.effects.push({ type: 'net.txDropped', ...d.at, id, reason });
  if (reason === 'maxOutstanding') setQueue(d, false);
  return finish(d);
}

/** The slot holding the transmit of `buf`, or -1. */
export function xmitSlotOf(context: VirtnicContext, buf: number): number {
  return context.xmits.findIndex((x) => x !== null && x.buf === buf);
}

/** XMIT_INSERT_FAILED for a listed transmit: take it back, drop it, stop the queue (§4.3). */
export function insertFailedStep(context: VirtnicContext, buf: number): NicStep {
  const d = draftOf(context);
  const slot = xmitSlotOf(context, buf);
  const entry = d.c.xmits[slot];
  assert(entry !== null && entry !== undefined, `no listed transmit has buf ${buf}`);
  d.c.xmits[slot] = null;
  const { counts } = d.c;
  Object.assign(counts, {
    sentXmit: counts.sentXmit - 1,
    xmitInsertFailed: counts.xmitInsertFailed + 1,
  });
  counts.txDropped += 1;
  d.effects.push({ type: 'net.txDropped', ...d.at, id: entry.id, reason: 'insertFailed' });
  setQueue(d, false);
  return finish(d);
}

/** Whether a POST_FAILED names the buf entry `index` holds. */
export function isPostOf(context: VirtnicContext, index: number, buf: number): boolean {
  return Number.isSafeInteger(index) && index >= 0 && context.rcvbufs[index] === buf;
}

/** POST_FAILED: the buffer stays the guest's; a later top-up posts it again. */
export function postFailedStep(context: VirtnicContext, index: number): NicStep {
  const d = draftOf(context);
  d.c.rcvbufs[index] = null;
  d.c.counts.sentPost -= 1;
  d.c.counts.sentPostFailed += 1;
  return finish(d);
}

/** NET_RCV (§4.3): take back the returned buffers the table holds, deliver or drop the frame, then
 * repost each taken buffer (after the deliver: the host reads the buffer before it goes out again). */
export function receiveStep(context: VirtnicContext, event: RcvEvent): NicStep {
  const d = draftOf(context);
  const { counts } = d.c;
  counts.gotRcv += 1;
  const indexes: number[] = [];
  let headFound = false;
  for (const buf of event.rcvbufs.slice(0, MAX_NET_RCV_CHAIN)) {
    const index = d.c.rcvbufs.indexOf(buf);
    if (index < 0) continue;
    d.c.rcvbufs[index] = null;
    indexes.push(index);
    if (buf === event.buf) headFound = true;
  }
  const reason = rxDropReasonOf(context, event, indexes.length === event.rcvbufs.length);
  if (reason === null) {
    counts.rxPackets += 1;
    counts.rxBytes += event.len;
    d.effects.push({ type: 'net.deliver', ...d.at, indexes, len: event.len });
  } else {
    counts.rxDropped += 1;
    if (reason === 'notAccepted') counts.nRcvPacketsNotAccepted += 1;
    d.effects.push({ type: 'net.rxDropped', ...d.at, reason, len: event.len });
  }
  if (headFound) counts.foundRepostRcvbufCnt += 1;
  else counts.badRcvBuf += 1;
  if (indexes.length !== event.rcvbufs.length) counts.nRepostDeficit += 1;
  for (const index of indexes) postRcv(d, index);
  return finish(d);
}

/** NET_XMIT_DONE (§4.3): unlink and report the transmit of `buf` (an unknown one is only counted);
 * wake a stopped queue at the lower threshold. Choice: only with the carrier on (link loss waits). */
export function xmitDoneStep(context: VirtnicContext, buf: number, result: number): NicStep {
  const d = draftOf(context);
  const slot = xmitSlotOf(context, buf);
  const entry = d.c.xmits[slot];
  if (entry === null || entry === undefined) {
    d.c.counts.unknownXmitDone += 1;
    return finish(d);
  }
  d.c.xmits[slot] = null;
  d.c.counts.gotXmitDone += 1;
  if (result !== 0) d.c.counts.xmitFail += 1;
  d.progress = true;
  d.effects.push({ type: 'net.txDone', ...d.at, id: entry.id, ok: result === 0 });
  if (!d.c.queueRunning && d.c.carrier && outstandingOf(d.c) <= d.c.lowerThreshold) {
    d.c.counts.flowControlLowerHits += 1;
    setQueue(d, true);
  }
  return finish(d);
}

/**
 * NET_RCV_ENBDIS_ACK (§4.3): `enab_dis_acked = 1` once every ENBDIS sent is answered. Choice: acks
 * are counted, so after a TX reset the ack of ENBDIS(0) does not pass for that of ENBDIS(1). When an
 * open, resume or reset awaited it, the link returns (queue woken, carrier on) unless still disabled.
 */
export function enbdisAckStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.counts.gotEnbdisAck += 1;
  if (d.c.enbdisAcksOwed === 0) {
    d.c.counts.unexpectedEnbdisAcks += 1;
    return finish(d);
  }
  d.c.enbdisAcksOwed -= 1;
  if (d.c.enbdisAcksOwed > 0) return finish(d);
  d.c.enbdisAcked = true;
  if (d.c.awaitingEnbdisAck) {
    d.c.awaitingEnbdisAck = false;
    if (d.c.enabled) linkUp(d);
  }
  return finish(d);
}

function linkUp(d: NicDraft): void {
  setQueue(d, true);
  setCarrier(d, true);
}

/** NET_CONNECT_STATUS (§4.3): 1 → enabled, link up; else link down, disabled. Choice: only counted
 * while the channel is closed; while the ENBDIS ack is awaited, 1 only sets `enabled`. */
export function connectStatusStep(context: VirtnicContext, enable: number): NicStep {
  const d = draftOf(context);
  d.c.counts.gotConnectStatus += 1;
  if (!d.c.channelOpen) return finish(d);
  if (enable === 1) {
    d.c.enabled = true;
    if (!d.c.awaitingEnbdisAck) linkUp(d);
  } else {
    setQueue(d, false);
    setCarrier(d, false);
    d.c.enabled = false;
  }
  return finish(d);
}
