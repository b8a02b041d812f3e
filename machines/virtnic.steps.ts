// virtnic's interface life and its control ring as pure steps (spar-protocol.md §4.3 Probe, Open,
// Close, TX timeout, Pause, Resume; §4.7 serverdown/serverup; §7 OK_TO_WAIT). The data path is in
// virtnic.datapath.ts, the draft primitives in virtnic.logic.ts.
//
// OK_TO_WAIT (§7, Era A): ENBDIS and PROMISC are inserted with a wait: a full ring is tried again
// every CONTROL_RETRY_MS, and nothing goes into queue 0 ahead of a control message still waiting
// (the ack accounting, and the IOSP forgetting its posts at ENBDIS(0), depend on the ring's order).
// So one control insert is in flight at a time: the host answers each (CONTROL_INSERTED or
// CONTROL_RING_FULL with its seq), later control messages and receive posts wait in `ringWait`
// behind it, and an answer whose seq is not the current attempt's (the ring was re-initialised
// meanwhile) is only counted. Transmits may overtake: the IOSP sends a frame whether or not
// reception is enabled, and the driver transmits only while its interface is open.

import { assert } from '../src/base/assert.js';
import {
  attemptControl,
  clampInt,
  draftOf,
  finish,
  flowThresholds,
  insertXmit,
  outstandingOf,
  postRcv,
  sendPromisc,
  startIo,
  stopIo,
} from './virtnic.logic.js';
import {
  NUM_RCV_BUFS_MAX,
  NUM_RCV_BUFS_MIN,
  type NicStep,
  type VirtnicContext,
  type VirtnicXmit,
} from './virtnic.types.js';
import { VISOR_ETH_MAX_MTU } from '../src/protocol/uiscmdrsp-constants.js';

/** CHANNEL_CONFIG (probe's channel reads, §4.3 Probe): clamp, size the tables, set thresholds. */
export function configureStep(
  context: VirtnicContext,
  event: { readonly mac: number; readonly numRcvBufs: number; readonly mtu: number },
): NicStep {
  assert(
    outstandingOf(context) === 0,
    'CHANNEL_CONFIG is taken only while the interface is closed',
  );
  const d = draftOf(context);
  const numRcvBufs = clampInt(event.numRcvBufs, NUM_RCV_BUFS_MIN, NUM_RCV_BUFS_MAX);
  const thresholds = flowThresholds(numRcvBufs);
  Object.assign(d.c, thresholds, {
    configured: true,
    numRcvBufs,
    mac: clampInt(event.mac, 0, 2 ** 48 - 1),
    mtu: clampInt(event.mtu, 0, VISOR_ETH_MAX_MTU),
    rcvbufs: new Array<number | null>(numRcvBufs).fill(null),
    xmits: new Array<VirtnicXmit | null>(thresholds.maxOutstanding).fill(null),
  });
  return finish(d);
}

/** OPEN while running (ndo_open): the interface is up; the link follows on the ENBDIS ack. */
export function openStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.open = true;
  startIo(d);
  return finish(d);
}

/** CLOSE (ndo_stop) and REMOVE (unregister_netdev closes it): tear the channel side down. */
export function closeStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.open = false;
  stopIo(d, false);
  return finish(d);
}

/** The TX watchdog fired (§4.3 TX timeout): disable then enable, the link up on the ack. */
export function resetStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.txWatchdogArmed = false;
  d.c.counts.txTimeouts += 1;
  stopIo(d, false);
  startIo(d);
  return finish(d);
}

/** SET_PROMISC with a changed bit while running: NET_RCV_PROMISC 0 / 0x100 (§4.3). */
export function promiscStep(context: VirtnicContext, on: boolean): NicStep {
  const d = draftOf(context);
  d.c.promisc = on;
  sendPromisc(d);
  return finish(d);
}

/**
 * The serverdown work item's teardown (§4.3 Pause, §4.7): the close path into a ring nobody
 * serves (its ack never comes: the owed acks are forgotten), `sent_xmit = got_xmit_done = 0`, the
 * drain abandoned. Quirk xmitAfterTeardown: the queue and the transmit list are kept.
 */
export function pauseStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  stopIo(d, context.quirks.xmitAfterTeardown);
  d.c.enbdisAcksOwed = 0;
  d.c.draining = false;
  d.c.counts.sentXmit = 0;
  d.c.counts.gotXmitDone = 0;
  return finish(d);
}

/**
 * serverup's reopen (§4.3 Resume, §4.7, §4.8 step 7). The IOSP re-initialised the channel, so
 * whatever still waited for the ring was meant for the dead one and goes (with its retry). An
 * interface the host had open gets fresh posts for every buffer and ENBDIS(1); the link comes up
 * on the ack. Choice: an interface never opened stays closed (upstream's `dev_open` is
 * unconditional). Choice: a promiscuous interface re-sends NET_RCV_PROMISC(0x100), since the
 * restarted IOSP starts from a wiped channel. Quirk xmitAfterTeardown: every listed transmit is
 * inserted again (same id and slot, new buf).
 */
export function resumeStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.ringWait.length = 0;
  d.c.controlAttempt = null;
  d.controlRetry = 'disarm';
  if (d.c.open && d.c.configured) {
    startIo(d);
    if (d.c.promisc) sendPromisc(d);
  }
  if (context.quirks.xmitAfterTeardown) {
    d.c.xmits.forEach((x, slot) => {
      if (x !== null) insertXmit(d, slot, x);
    });
  }
  return finish(d);
}

/**
 * A drain starts (the NAPI poll, §4.3): `send_rcv_posts_if_needed` first (while enabled and acked,
 * post every buffer whose post failed), then the first response is asked for.
 */
export function drainStartStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  if (d.c.channelOpen && d.c.enabled && d.c.enbdisAcked) {
    for (let index = 0; index < d.c.rcvbufs.length; index++) {
      if (d.c.rcvbufs[index] !== null) continue;
      postRcv(d, index);
      d.c.counts.extraRcvbufsSent += 1;
    }
  }
  d.c.draining = true;
  d.effects.push({ type: 'channel.removeResponse', ...d.at });
  return finish(d);
}

// ---- the control ring (OK_TO_WAIT) --------------------------------------------------------------

/**
 * CONTROL_INSERTED for the current attempt: the head is in the ring. The posts that waited behind
 * it go now (those whose buffer was not freed meanwhile), then the next control message is tried.
 */
export function controlInsertedStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.ringWait.shift();
  d.c.controlAttempt = null;
  for (let head = d.c.ringWait[0]; head?.kind === 'post'; head = d.c.ringWait[0]) {
    d.c.ringWait.shift();
    if (d.c.rcvbufs[head.index] !== head.buf) continue;
    const { index, buf } = head;
    d.effects.push({ type: 'net.postRcv', ...d.at, index, buf, uniqueNum: d.c.uniqueNum });
  }
  if (d.c.ringWait.length > 0) attemptControl(d, false);
  return finish(d);
}

/** CONTROL_RING_FULL for the current attempt: counted, tried again after CONTROL_RETRY_MS. */
export function controlRingFullStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.controlAttempt = null;
  d.c.counts.controlInsertRetries += 1;
  d.controlRetry = 'arm';
  return finish(d);
}

/** CONTROL_RETRY: the waiting head control message is offered to the ring again. */
export function controlRetryStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  if (d.c.controlAttempt === null && d.c.ringWait[0]?.kind === 'control') attemptControl(d, true);
  return finish(d);
}
