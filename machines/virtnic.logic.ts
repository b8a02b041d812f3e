// virtnic's pure rules, part one: the initial context, the small predicates the guards use, and
// the draft primitives every step is made of (spar-protocol.md §4.3 visornic under the Era A names
// of §4.7; §7 OK_TO_WAIT). The steps themselves are in virtnic.steps.ts (the interface's life and
// the control ring) and virtnic.datapath.ts (qdisc, transmit, receive); the types in
// virtnic.types.ts. A step copies the small tables once (`draftOf`), pushes effects in order and
// ends with `finish`, which decides the delayed events.
// Every post and transmit gets a new buf (BUF_BASE + n × 64), never reused in the actor's life, so
// a stale NET_RCV or NET_XMIT_DONE can never match. Choice: outstanding = occupied `xmits` entries,
// not `sent_xmit − got_xmit_done`: they differ only when the IOSP completes an unknown buf and
// under the quirk (counters reset at pause, list kept). Choice: `xmits` is a fixed table, so the
// host keeps one DMA buffer per slot; the IOSP may complete in any order anyway (§4.4.4).

import { assert } from '../src/base/assert.js';
import {
  ETH_HLEN,
  MAX_NET_RCV_CHAIN,
  RCVPOST_BUF_SIZE,
} from '../src/protocol/uiscmdrsp-constants.js';
import { initialVirtpciDriverContext } from './virtpci-driver.logic.js';
import {
  BUF_BASE,
  BUF_STRIDE,
  type ControlMessage,
  IFF_PROMISC,
  NO_VIRTNIC_QUIRKS,
  type NetAt,
  type NicStep,
  type RcvDest,
  type RcvEvent,
  type RingEntry,
  type RxDropReason,
  type TimerAction,
  TX_TIMEOUT_MS,
  type VirtnicContext,
  type VirtnicCounts,
  type VirtnicFrame,
  type VirtnicInput,
  type VirtnicIoEmitted,
  type VirtnicXmit,
  ZERO_VIRTNIC_COUNTS,
} from './virtnic.types.js';

export {
  ETH_HLEN,
  ETH_MIN_PACKET_SIZE,
  MAX_NET_RCV_CHAIN,
  RCVPOST_BUF_SIZE,
  VISOR_ETH_MAX_MTU,
} from '../src/protocol/uiscmdrsp-constants.js';

/**
 * Choice: the incarnation id is derived from the device address (the machine reads no clock;
 * upstream uses jiffies at probe). The final guest never examines `rcv.unique_num` (§4.3).
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
    ...{ txTimeoutMs, uniqueNum, configured: false, mac: 0, mtu: 0, numRcvBufs: 0 },
    ...{ maxOutstanding: 0, upperThreshold: 0, lowerThreshold: 0 },
    ...{ open: false, channelOpen: false, enabled: false, enbdisAcked: false },
    ...{ awaitingEnbdisAck: false, enbdisAcksOwed: 0, carrier: false, queueRunning: false },
    ...{ promisc: false, rcvbufs: [], xmits: [], qdisc: [], qdiscRunPending: false },
    ...{ ringWait: [], controlAttempt: null, nextControlSeq: 0, nextBufSeq: 0 },
    ...{ draining: false, txWatchdogArmed: false, counts: ZERO_VIRTNIC_COUNTS },
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

/**
 * Whether the receive thread should keep its timed wake-ups (the host's ReceiveThread asks):
 * transmits wait for their completions, the qdisc holds frames, or an open channel has a buffer
 * whose post failed (the drain's start tops it up).
 */
export function needsPolling(context: VirtnicContext): boolean {
  if (outstandingOf(context) > 0 || context.qdisc.length > 0) return true;
  return context.channelOpen && context.rcvbufs.includes(null);
}

/** The receive buffer posted with `buf` (the driver's `rcvbuf[]` lookup of `net.buf`), or -1. */
export function rcvbufIndexOf(context: VirtnicContext, buf: number): number {
  return context.rcvbufs.indexOf(buf);
}

/** The IO effects' device address. */
export function netAtOf(context: VirtnicContext): NetAt {
  return { partition: context.partition, busNo: context.busNo, devNo: context.devNo };
}

/** The slot holding the transmit of `buf`, or -1. */
export function xmitSlotOf(context: VirtnicContext, buf: number): number {
  return context.xmits.findIndex((x) => x !== null && x.buf === buf);
}

/** Whether a POST_FAILED names the buf entry `index` holds. */
export function isPostOf(context: VirtnicContext, index: number, buf: number): boolean {
  return Number.isSafeInteger(index) && index >= 0 && context.rcvbufs[index] === buf;
}

/**
 * The destination filter after `eth_type_trans` (§4.3). Choice: no multicast list is kept, so a
 * multicast frame is accepted only in promiscuous mode; IFF_BROADCAST is always set.
 */
export function acceptsDest(dest: RcvDest, promisc: boolean): boolean {
  return dest === 'host' || dest === 'broadcast' || promisc;
}

/**
 * Why a NET_RCV is not delivered, or null (§4.3 NET_RCV row, in order). Choice: a frame in a
 * buffer we do not own (`!owned`) is dropped; upstream dereferences whatever the IOSP returns.
 */
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

// ---- drafts: the primitives every step is made of ----------------------------------------------

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Tables = 'rcvbufs' | 'xmits' | 'qdisc' | 'ringWait' | 'counts';
/** A step's working copy: the context with its small tables copied, and the effects so far. */
export interface NicDraft {
  readonly c: Mutable<Omit<VirtnicContext, Tables>> & {
    rcvbufs: (number | null)[];
    xmits: (VirtnicXmit | null)[];
    qdisc: VirtnicFrame[];
    ringWait: RingEntry[];
    counts: Mutable<VirtnicCounts>;
  };
  readonly at: NetAt;
  readonly effects: VirtnicIoEmitted[];
  /** A transmit went out or completed: the watchdog restarts. */
  progress: boolean;
  controlRetry: TimerAction;
  qdiscRun: 'keep' | 'now' | 'cancel';
  /** A QDISC_RUN handed a frame: the run goes on from the mailbox (see finish). */
  qdiscRunning: boolean;
}

/** A draft of `context`. */
export function draftOf(context: VirtnicContext): NicDraft {
  const c = {
    ...context,
    rcvbufs: [...context.rcvbufs],
    xmits: [...context.xmits],
    qdisc: [...context.qdisc],
    ringWait: [...context.ringWait],
    counts: { ...context.counts },
  };
  return { c, at: netAtOf(context), effects: [], progress: false, ...NO_TIMERS };
}

const NO_TIMERS = { controlRetry: 'keep', qdiscRun: 'keep', qdiscRunning: false } as const;

/**
 * The step's outcome. Choice: the netdev watchdog (§4.3 TX timeout) runs while the carrier is on
 * and transmits are outstanding or the queue is stopped. Linux's dev_watchdog fires only for a
 * stopped queue whose last transmit is older than the timeout; here 5 s without progress with any
 * transmit outstanding also counts (an IOSP that takes frames and never completes them), and a
 * queue stopped by a failed insert with nothing outstanding is covered too. Progress restarts it.
 * A running queue with frames in the qdisc and no run pending gets a run: the next one of a run
 * that just handed a frame goes through the mailbox (after the host's answer to that frame's
 * insert, as qdisc_restart sees the driver's return before the next packet); one for a queue
 * this step woke is delayed (`__netif_schedule` → net_tx_action, never inside this step).
 */
export function finish(d: NicDraft): NicStep {
  const { c } = d;
  const wanted = c.carrier && (outstandingOf(c) > 0 || !c.queueRunning);
  let watchdog: TimerAction = 'keep';
  if (!wanted && c.txWatchdogArmed) watchdog = 'disarm';
  if (wanted && (!c.txWatchdogArmed || d.progress)) watchdog = 'arm';
  c.txWatchdogArmed = wanted;
  let qdiscRun: NicStep['qdiscRun'] = d.qdiscRun;
  if (qdiscRun !== 'now' && c.queueRunning && c.qdisc.length > 0 && !c.qdiscRunPending)
    qdiscRun = d.qdiscRunning ? 'next' : 'later';
  if (qdiscRun === 'now' || qdiscRun === 'next' || qdiscRun === 'later') c.qdiscRunPending = true;
  return { context: c, effects: d.effects, watchdog, controlRetry: d.controlRetry, qdiscRun };
}

/** Starts or stops the netif queue (`netif_wake_queue` / `netif_stop_queue`). */
export function setQueue(d: NicDraft, running: boolean): void {
  if (d.c.queueRunning === running) return;
  d.c.queueRunning = running;
  d.effects.push({ type: 'net.txQueue', ...d.at, running });
}

/** `netif_carrier_on` / `netif_carrier_off`. */
export function setCarrier(d: NicDraft, on: boolean): void {
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

/** Post receive buffer `index` with a fresh buf; behind a waiting control message it waits too. */
export function postRcv(d: NicDraft, index: number): void {
  const buf = nextBuf(d);
  d.c.rcvbufs[index] = buf;
  d.c.counts.sentPost += 1;
  if (d.c.ringWait.length > 0) d.c.ringWait.push({ kind: 'post', index, buf });
  else d.effects.push({ type: 'net.postRcv', ...d.at, index, buf, uniqueNum: d.c.uniqueNum });
}

/** Queues a control message in ring order; it goes to the host at once if nothing waits. */
function sendControl(d: NicDraft, message: ControlMessage): void {
  const idle = d.c.ringWait.length === 0;
  d.c.ringWait.push({ kind: 'control', message });
  if (idle) attemptControl(d, false);
}

/** Asks the host to insert the waiting head control message (first try, or a retry). */
export function attemptControl(d: NicDraft, retry: boolean): void {
  const head = d.c.ringWait[0];
  assert(head?.kind === 'control', 'the head of the ring wait is a control message');
  const seq = d.c.nextControlSeq;
  d.c.nextControlSeq += 1;
  d.c.controlAttempt = seq;
  const { message } = head;
  if (retry) d.effects.push({ type: 'net.controlRetry', ...d.at, message, seq });
  else if (message.kind === 'enbdis')
    d.effects.push({ type: 'net.enbdis', ...d.at, enable: message.enable, seq });
  else d.effects.push({ type: 'net.promisc', ...d.at, enable: message.enable, seq });
}

function sendEnbdis(d: NicDraft, enable: 0 | 1): void {
  d.c.counts.sentEnbdis += 1;
  d.c.enbdisAcksOwed += 1;
  sendControl(d, { kind: 'enbdis', enable });
}

/** NET_RCV_PROMISC with the current IFF_PROMISC bit. */
export function sendPromisc(d: NicDraft): void {
  d.c.counts.sentPromisc += 1;
  sendControl(d, { kind: 'promisc', enable: d.c.promisc ? IFF_PROMISC : 0 });
}

/** Insert `frame` into `slot` with a fresh buf. */
export function insertXmit(d: NicDraft, slot: number, frame: VirtnicFrame): void {
  const buf = nextBuf(d);
  const xmit = { id: frame.id, len: frame.len, frame: frame.frame, buf };
  d.c.xmits[slot] = xmit;
  d.c.counts.sentXmit += 1;
  d.effects.push({ type: 'net.insertXmit', ...d.at, ...xmit, slot });
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
 * discarded, every receive buffer freed, and the qdisc reset (dev_close → dev_deactivate).
 * `keepXmits`: the quirk's pause (queue and list kept).
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
  purgeQdisc(d);
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

// Choice: the TX reset (close path then open, not a real dev_close) resets the qdisc too.
function purgeQdisc(d: NicDraft): void {
  if (d.c.qdiscRunPending) {
    d.c.qdiscRunPending = false;
    d.qdiscRun = 'cancel';
  }
  if (d.c.qdisc.length === 0) return;
  const ids = d.c.qdisc.map((f) => f.id);
  d.c.qdisc.length = 0;
  d.c.counts.qdiscPurged += ids.length;
  d.effects.push({ type: 'net.txDiscarded', ...d.at, ids });
}
