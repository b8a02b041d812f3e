// virtnic's data path as pure steps (spar-protocol.md §4.3 Transmit, the responses table, flow
// control): the qdisc in front of ndo_start_xmit, the transmit and its completion, the receive
// with its repost rule, the ENBDIS ack and NET_CONNECT_STATUS. Each step takes the context and the
// event's data and returns a NicStep (virtnic.logic.ts has the draft primitives).
//
// The qdisc lives here, in the driver's actor, not in a machine of its own above it. Linux's qdisc
// belongs to the net core (dev_queue_xmit → qdisc → sch_direct_xmit → ndo_start_xmit), but the
// hand-off is a call: the qdisc sees the driver's netif_stop_queue before it dequeues the next
// packet. Between two actors the hand-off would be an event, and the stop would come back one
// mailbox hop late, letting a window of frames pour past it (what the host's old re-entrancy
// counter patched). In one actor the queue state the qdisc reads is the one the last frame set.

import { assert } from '../src/base/assert.js';
import { MAX_NET_RCV_CHAIN } from '../src/protocol/uiscmdrsp-constants.js';
import {
  draftOf,
  finish,
  insertXmit,
  type NicDraft,
  outstandingOf,
  postRcv,
  rxDropReasonOf,
  setCarrier,
  setQueue,
  xmitSlotOf,
} from './virtnic.logic.js';
import type {
  NicStep,
  RcvEvent,
  TxDropReason,
  VirtnicContext,
  VirtnicFrame,
} from './virtnic.types.js';

// ---- the qdisc (dev_queue_xmit, qdisc_restart) ------------------------------------------------

/**
 * XMIT below the qdisc's limit: the frame joins the qdisc. With the queue running and no run
 * pending (so the qdisc was empty) the run is raised at once: the frame reaches ndo_start_xmit
 * within this macrostep, as dev_queue_xmit calls the driver directly when nothing is queued.
 */
export function enqueueStep(context: VirtnicContext, frame: VirtnicFrame): NicStep {
  const d = draftOf(context);
  d.c.qdisc.push({ id: frame.id, len: frame.len, frame: frame.frame });
  if (d.c.queueRunning && !d.c.qdiscRunPending) d.qdiscRun = 'now';
  return finish(d);
}

/** XMIT with QDISC_LIMIT frames held: a tail drop, as pfifo_fast's at txqueuelen. */
export function qdiscDropStep(context: VirtnicContext, id: number): NicStep {
  const d = draftOf(context);
  d.c.counts.qdiscDrops += 1;
  d.effects.push({ type: 'net.txDropped', ...d.at, id, reason: 'qdiscFull' });
  return finish(d);
}

/** QDISC_RUN with the queue stopped or nothing held: the run ends until the queue wakes. */
export function endQdiscRunStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.qdiscRunPending = false;
  return finish(d);
}

// The run takes one frame per QDISC_RUN; `finish` sends the next through the mailbox while the
// queue runs, so a failed insert's answer is taken before the next frame is handed on.
function takeHead(d: NicDraft): VirtnicFrame {
  d.c.qdiscRunPending = false;
  d.qdiscRunning = true;
  const head = d.c.qdisc.shift();
  assert(head !== undefined, 'QDISC_RUN hands a frame only when the qdisc holds one');
  return head;
}

/** QDISC_RUN: the head goes to ndo_start_xmit and is accepted (`transmit`, §4.3 Transmit). */
export function transmitHeadStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  transmit(d, takeHead(d));
  return finish(d);
}

/** QDISC_RUN: ndo_start_xmit drops the head for `reason`. */
export function dropHeadStep(context: VirtnicContext, reason: TxDropReason): NicStep {
  const d = draftOf(context);
  drop(d, takeHead(d).id, reason);
  return finish(d);
}

// ---- ndo_start_xmit and its completion ------------------------------------------------------------

// Accepted (§4.3 Transmit): insert into a free slot; stop the queue at the upper threshold.
function transmit(d: NicDraft, frame: VirtnicFrame): void {
  const slot = d.c.xmits.indexOf(null);
  assert(slot >= 0, 'transmit runs only below max_outstanding');
  insertXmit(d, slot, frame);
  d.progress = true;
  if (outstandingOf(d.c) >= d.c.upperThreshold && d.c.queueRunning) {
    d.c.counts.flowControlUpperHits += 1;
    setQueue(d, false);
  }
}

// Dropped by ndo_start_xmit for `reason`; max_outstanding also stops the queue (§4.3).
function drop(d: NicDraft, id: number, reason: TxDropReason): void {
  const { counts } = d.c;
  counts.txDropped += 1;
  if (reason === 'serverDown') counts.busyCnt += 1;
  if (reason === 'maxOutstanding') counts.rejectCount += 1;
  d.effects.push({ type: 'net.txDropped', ...d.at, id, reason });
  if (reason === 'maxOutstanding') setQueue(d, false);
}

/** XMIT_INSERT_FAILED for a listed transmit: take it back, drop it, stop the queue (§4.3). */
export function insertFailedStep(context: VirtnicContext, buf: number): NicStep {
  const d = draftOf(context);
  const slot = xmitSlotOf(context, buf);
  const entry = d.c.xmits[slot];
  assert(entry !== null && entry !== undefined, `no listed transmit has buf ${buf}`);
  d.c.xmits[slot] = null;
  const { counts } = d.c;
  counts.sentXmit -= 1;
  counts.xmitInsertFailed += 1;
  counts.txDropped += 1;
  d.effects.push({ type: 'net.txDropped', ...d.at, id: entry.id, reason: 'insertFailed' });
  setQueue(d, false);
  return finish(d);
}

/**
 * NET_XMIT_DONE (§4.3): unlink and report the transmit of `buf` (an unknown one is only counted);
 * wake a stopped queue at the lower threshold. Choice: only with the carrier on (link loss waits).
 */
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

// ---- receive ------------------------------------------------------------------------------------

/** POST_FAILED: the buffer stays the guest's; a later top-up posts it again. */
export function postFailedStep(context: VirtnicContext, index: number): NicStep {
  const d = draftOf(context);
  d.c.rcvbufs[index] = null;
  d.c.counts.sentPost -= 1;
  d.c.counts.sentPostFailed += 1;
  return finish(d);
}

/**
 * NET_RCV (§4.3): take back the returned buffers the table holds, deliver or drop the frame, then
 * repost each taken buffer (after the deliver: the host reads the buffer before it goes out again).
 */
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

// ---- link ---------------------------------------------------------------------------------------

/**
 * NET_RCV_ENBDIS_ACK (§4.3): `enab_dis_acked = 1` once every ENBDIS sent is answered. Choice: acks
 * are counted, so after a TX reset the ack of ENBDIS(0) does not pass for that of ENBDIS(1). When
 * an open, resume or reset awaited it, the link returns (queue woken, carrier on) unless disabled.
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

/**
 * NET_CONNECT_STATUS (§4.3): 1 → enabled, link up; else link down, disabled. Choice: only counted
 * while the channel is closed; while the ENBDIS ack is awaited, 1 only sets `enabled`.
 */
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
