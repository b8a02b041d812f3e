// virtnic: the Era A virtual NIC driver bound to virtpci, control plane and IO path
// (`kjdepro/unisys-1 drivers/staging/unisys/virtnic/virtnic.c` @068d4483…; spar-protocol.md §4.7,
// §3.5 Era A pause path, §5.12; the IO path follows the final visornic rules of §4.3 under Era A
// names, §4.4.4 correlation, §4.8 outage checklist, §7 timers). The control-plane contract is in
// `virtpci-driver.logic.ts`; the IO path's types, draft primitives and data-path steps are in
// `virtnic.logic.ts`; the interface's lifecycle steps (configure, open, close, reset, pause,
// resume) sit here beside the states that take them.
//
// States: `matched` (spawned, PROBE not yet called) → `running` (bound; the receive path runs) →
// `serverChanging` (serverdown work queued) → `serverDown` → `running` again on RESUME; `removed` is
// final. Choice: no child states inside `running`: the interface (closed / awaiting the ENBDIS ack /
// up) lives in context, because the shared contract tests, the host's snapshot and the docs read
// the state value as the plain string `running`.
//
// Host protocol (names and shapes in `virtnic.logic.ts`): the host performs each effect
// synchronously after the transition; it answers a post or a transmit insert only when it fails
// (POST_FAILED, XMIT_INSERT_FAILED), and a removal with one response event carrying `more` (or
// RESPONSES_EMPTY), as for virthba. IO effects carry `partition, busNo, devNo`.
// CHANNEL_CONFIG (after PROBE, while closed): mac (48 bits), mtu (≤ 16384) and num_rcv_bufs clamped
// (1..64: the posts' ring has 64 slots; a hostile channel cannot size a huge table), thresholds.
// OPEN (ndo_open): post every buffer, ENBDIS(1). Choice: open waits "infinitely" for the ack (§4.3),
// modelled as `awaitingEnbdisAck` with no timer; the queue and the carrier come up on the ack.
// Choice: OPEN while changing or down only records IFF_UP (the ring is dead); RESUME reopens it.
// CLOSE (ndo_stop): ENBDIS(0), link down, unacknowledged transmits discarded, buffers freed. Choice:
// close does not wait for its ack (the ack is counted when it comes, see `enbdisAckStep`).
// XMIT (ndo_start_xmit): dropped per §4.3 (queue stopped, server down/changing, len < 14, max
// outstanding → also stop the queue, insert failed → also stop the queue); else `net.insertXmit`
// into a free slot, the queue stops at the upper threshold and wakes at the lower one on
// completions. The host pads frames shorter than 60 bytes; `len` is the frame's own length.
// CHANNEL_INTERRUPT (visorbus poll → NAPI, §4.3/§7): tops up failed posts, then drains as virthba;
// responses follow the §4.3 table (`virtnic.logic.ts`); while not running they are abandoned.
// TX watchdog: `txTimeoutMs` (default 5 s) without transmit progress while the link is up and
// transmits are outstanding or the queue is stopped → close then open (TX_TIMEOUT, delayed by the
// named delay `txTimeout` under id `txWatchdog`; virtual time in the sim runtime). It never runs
// while changing or down: the teardown turns the carrier off first.
// Pause (SUSPEND → serverdown work, one raised SERVERDOWN_COMPLETE as before): the close path into
// a ring nobody serves, sent_xmit = got_xmit_done = 0, then the pause response. Resume: channel
// ATTACHED, fresh posts, ENBDIS(1), `driver.resumed 1` at once (§4.3/§4.8: before the link is back);
// the link comes up on the ENBDIS ack. REMOVE in every bound state: the close path, then removed.
// Quirk `xmitAfterTeardown` (seeded, off by default): the pause keeps the transmit list and the
// queue, transmits while changing/down go into the dead ring, and resume re-inserts every listed
// transmit with a new buf, so a frame the IOSP switched before dying is sent twice.
// Control-plane answers as before: SUSPEND/RESUME follow `virtnic_serverdown`/`virtnic_serverup`;
// suspend returns 1 when it queues the work or the device is already down, 0 while a change is in
// progress; resume returns 1 when down (after `cli_state_os = ATTACHED`) or already up, 0 while a
// change is in progress (virtnic tests "changing" before "up", unlike virthba, so it has no resume
// quirk). Quirk `pauseWhileDownUnanswered` as virthba (same upstream code shape).

import { enqueueActions, setup } from 'xstate';
import { assert } from '../src/base/assert.js';
import { narrowEvent } from './narrow-event.js';
import {
  clampInt,
  connectStatusStep,
  draftOf,
  dropTransmitStep,
  enbdisAckStep,
  ETH_HLEN,
  finish,
  flowThresholds,
  initialVirtnicContext,
  insertFailedStep,
  insertXmit,
  isPostOf,
  NUM_RCV_BUFS_MAX,
  NUM_RCV_BUFS_MIN,
  outstandingOf,
  postFailedStep,
  postRcv,
  receiveStep,
  sendPromisc,
  startIo,
  stopIo,
  transmitStep,
  TX_WATCHDOG_ID,
  VISOR_ETH_MAX_MTU,
  xmitDoneStep,
  xmitSlotOf,
  type NicStep,
  type VirtnicContext,
  type VirtnicEmitted,
  type VirtnicEvent,
  type VirtnicInput,
  type VirtnicQuirks,
  type VirtnicXmit,
} from './virtnic.logic.js';
import { virtpciDriverActions } from './virtpci-driver.logic.js';

export { VIRTNIC_DRIVER } from './virtpci-driver.logic.js';
export type {
  VirtnicContext,
  VirtnicEmitted,
  VirtnicEvent,
  VirtnicInput,
} from './virtnic.logic.js';

// ---- the interface's life (and the poll's top-up): pure steps from the draft primitives -------

/** CHANNEL_CONFIG (probe's channel reads, §4.3 Probe): clamp, size the tables, set thresholds. */
function configureStep(
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
function openStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.open = true;
  startIo(d);
  return finish(d);
}

/** CLOSE (ndo_stop) and REMOVE (unregister_netdev closes it): tear the channel side down. */
function closeStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.open = false;
  stopIo(d, false);
  return finish(d);
}

/** The TX watchdog fired (§4.3 TX timeout): disable then enable, the link up on the ack. */
function resetStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  d.c.txWatchdogArmed = false;
  d.c.counts.txTimeouts += 1;
  stopIo(d, false);
  startIo(d);
  return finish(d);
}

/** SET_PROMISC with a changed bit while running: NET_RCV_PROMISC 0 / 0x100 (§4.3). */
function promiscStep(context: VirtnicContext, on: boolean): NicStep {
  const d = draftOf(context);
  d.c.promisc = on;
  sendPromisc(d);
  return finish(d);
}

/**
 * The serverdown work item's teardown (§4.3 Pause, §4.7): the close path into a ring nobody serves
 * (its ack never comes: the owed acks are forgotten), `sent_xmit = got_xmit_done = 0`, the drain
 * abandoned. Quirk xmitAfterTeardown: the queue and the transmit list are kept.
 */
function pauseStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  stopIo(d, context.quirks.xmitAfterTeardown);
  d.c.enbdisAcksOwed = 0;
  d.c.draining = false;
  d.c.counts.sentXmit = 0;
  d.c.counts.gotXmitDone = 0;
  return finish(d);
}

/**
 * serverup's reopen (§4.3 Resume, §4.7, §4.8 step 7): an interface the host had open gets fresh
 * posts for every buffer and ENBDIS(1); the link comes up on the ack. Choice: an interface never
 * opened stays closed (upstream's `dev_open` is unconditional). Choice: a promiscuous interface
 * re-sends NET_RCV_PROMISC(0x100), since the restarted IOSP starts from a wiped channel. Quirk
 * xmitAfterTeardown: every listed transmit is inserted again (same id and slot, new buf).
 */
function resumeStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  if (d.c.open && d.c.configured) {
    startIo(d);
    if (d.c.promisc) sendPromisc(d);
  }
  if (context.quirks.xmitAfterTeardown) {
    d.c.xmits.forEach((x, slot) => {
      if (x !== null) insertXmit(d, slot, x.id, x.len);
    });
  }
  return finish(d);
}

/**
 * The NAPI poll's `send_rcv_posts_if_needed` (§4.3), run when a drain starts: while enabled and
 * acked, post every buffer whose post failed.
 */
function topUpStep(context: VirtnicContext): NicStep {
  const d = draftOf(context);
  if (d.c.channelOpen && d.c.enabled && d.c.enbdisAcked) {
    for (let index = 0; index < d.c.rcvbufs.length; index++) {
      if (d.c.rcvbufs[index] !== null) continue;
      postRcv(d, index);
      d.c.counts.extraRcvbufsSent += 1;
    }
  }
  return finish(d);
}

/** What enqueueActions offers that committing a step uses. */
interface StepEnqueue {
  assign(values: Partial<VirtnicContext>): void;
  emit(effect: VirtnicEmitted): void;
  cancel(id: string): void;
  raise(event: { type: 'TX_TIMEOUT' }, options: { id: string; delay: 'txTimeout' }): void;
}

// Store the step's context, emit its effects in order, then (re)start or stop the watchdog.
function commit(enqueue: StepEnqueue, step: NicStep): void {
  enqueue.assign(step.context);
  for (const effect of step.effects) enqueue.emit(effect);
  if (step.watchdog !== 'keep') enqueue.cancel(TX_WATCHDOG_ID);
  if (step.watchdog === 'arm') {
    enqueue.raise({ type: 'TX_TIMEOUT' }, { id: TX_WATCHDOG_ID, delay: 'txTimeout' });
  }
}

const RESPONSE_TYPES = [
  'RCV',
  'XMIT_DONE',
  'ENBDIS_ACK',
  'CONNECT_STATUS',
  'OTHER_RESPONSE',
] as const;

// The interface and the ring while the server is changing or down (serverChanging and serverDown
// alike): opens and closes are recorded, transmits drop (with the quirk they go into the dead
// ring), responses are abandoned.
const WHILE_SERVER_AWAY = {
  OPEN: { guard: 'canOpen', actions: ['recordOpen'] },
  CLOSE: { guard: 'isInterfaceOpen', actions: ['closeInterface'] },
  XMIT: [
    { guard: 'isQueueStopped', actions: ['dropWhileQueueStopped'] },
    {
      guard: { type: 'isQuirkOff', params: { quirk: 'xmitAfterTeardown' } },
      actions: ['dropWhileServerDown'],
    },
    { guard: 'isRuntFrame', actions: ['dropRuntFrame'] },
    { guard: 'isAtMaxOutstanding', actions: ['dropAtMaxOutstanding'] },
    { actions: ['transmit'] },
  ],
  SET_PROMISC: { actions: ['recordPromisc'] },
  RCV: { actions: ['countAbandonedResponse'] },
  XMIT_DONE: { actions: ['countAbandonedResponse'] },
  ENBDIS_ACK: { actions: ['countAbandonedResponse'] },
  CONNECT_STATUS: { actions: ['countAbandonedResponse'] },
  OTHER_RESPONSE: { actions: ['countAbandonedResponse'] },
} as const;

/** The virtnic machine: one actor per vnic device virtpci probed (input: the device address). */
export const virtnicMachine = setup({
  types: {
    context: {} as VirtnicContext,
    events: {} as VirtnicEvent,
    emitted: {} as VirtnicEmitted,
    input: {} as VirtnicInput,
  },
  delays: {
    txTimeout: ({ context }) => context.txTimeoutMs,
  },
  actions: {
    ...virtpciDriverActions<VirtnicContext, VirtnicEvent>(),
    configureChannel: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, configureStep(context, narrowEvent(event, 'CHANNEL_CONFIG')));
    }),
    openInterface: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'OPEN');
      commit(enqueue, openStep(context));
    }),
    // The ring is dead while changing or down: only IFF_UP is recorded; RESUME reopens.
    recordOpen: enqueueActions(({ event, enqueue }) => {
      narrowEvent(event, 'OPEN');
      enqueue.assign({ open: true });
    }),
    closeInterface: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'CLOSE');
      commit(enqueue, closeStep(context));
    }),
    // `unregister_netdev` closes the interface before remove returns (§4.3).
    closeOnRemoval: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'REMOVE');
      commit(enqueue, closeStep(context));
    }),
    // One action per drop reason (§4.3 order): XState infers no params inside enqueueActions here.
    dropWhileQueueStopped: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, dropTransmitStep(context, narrowEvent(event, 'XMIT').id, 'queueStopped'));
    }),
    dropWhileServerDown: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, dropTransmitStep(context, narrowEvent(event, 'XMIT').id, 'serverDown'));
    }),
    dropRuntFrame: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, dropTransmitStep(context, narrowEvent(event, 'XMIT').id, 'runt'));
    }),
    dropAtMaxOutstanding: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, dropTransmitStep(context, narrowEvent(event, 'XMIT').id, 'maxOutstanding'));
    }),
    transmit: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, transmitStep(context, narrowEvent(event, 'XMIT')));
    }),
    failTransmitInsert: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, insertFailedStep(context, narrowEvent(event, 'XMIT_INSERT_FAILED').buf));
    }),
    countStaleXmitInsertFailure: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'XMIT_INSERT_FAILED');
      const counts = context.counts;
      enqueue.assign({
        counts: { ...counts, staleXmitInsertFailures: counts.staleXmitInsertFailures + 1 },
      });
    }),
    failReceivePost: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, postFailedStep(context, narrowEvent(event, 'POST_FAILED').index));
    }),
    countStalePostFailure: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'POST_FAILED');
      const counts = context.counts;
      enqueue.assign({ counts: { ...counts, stalePostFailures: counts.stalePostFailures + 1 } });
    }),
    sendPromisc: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, promiscStep(context, narrowEvent(event, 'SET_PROMISC').on));
    }),
    // Recorded while changing or down; resume re-sends it when on (`resumeStep`).
    recordPromisc: enqueueActions(({ event, enqueue }) => {
      enqueue.assign({ promisc: narrowEvent(event, 'SET_PROMISC').on });
    }),
    // The NAPI poll (§4.3): top up failed posts, then remove the first response.
    startDrain: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'CHANNEL_INTERRUPT');
      const step = topUpStep(context);
      commit(enqueue, { ...step, context: { ...step.context, draining: true } });
      enqueue.emit({
        type: 'channel.removeResponse',
        partition: context.partition,
        busNo: context.busNo,
        devNo: context.devNo,
      });
    }),
    requestNextResponse: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, [...RESPONSE_TYPES]);
      enqueue.emit({
        type: 'channel.removeResponse',
        partition: context.partition,
        busNo: context.busNo,
        devNo: context.devNo,
      });
    }),
    // The ring was empty, or held nothing more after the response just taken.
    endDrain: enqueueActions(({ event, enqueue }) => {
      narrowEvent(event, [...RESPONSE_TYPES, 'RESPONSES_EMPTY']);
      enqueue.assign({ draining: false });
    }),
    receiveFrame: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, receiveStep(context, narrowEvent(event, 'RCV')));
    }),
    completeTransmit: enqueueActions(({ context, event, enqueue }) => {
      const { buf, result } = narrowEvent(event, 'XMIT_DONE');
      commit(enqueue, xmitDoneStep(context, buf, result));
    }),
    takeEnbdisAck: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'ENBDIS_ACK');
      commit(enqueue, enbdisAckStep(context));
    }),
    applyConnectStatus: enqueueActions(({ context, event, enqueue }) => {
      commit(enqueue, connectStatusStep(context, narrowEvent(event, 'CONNECT_STATUS').enable));
    }),
    countOtherResponse: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'OTHER_RESPONSE');
      const counts = context.counts;
      enqueue.assign({ counts: { ...counts, otherResponses: counts.otherResponses + 1 } });
    }),
    countAbandonedResponse: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, [...RESPONSE_TYPES]);
      const counts = context.counts;
      enqueue.assign({ counts: { ...counts, abandonedResponses: counts.abandonedResponses + 1 } });
    }),
    resetInterface: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'TX_TIMEOUT');
      commit(enqueue, resetStep(context));
    }),
    // The serverdown work item's teardown (§4.3 Pause, §4.7), before the pause response.
    tearDownForPause: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'SERVERDOWN_COMPLETE');
      commit(enqueue, pauseStep(context));
    }),
    // serverup after the channel is ATTACHED, before `driver.resumed` (§4.3 Resume, §4.8 step 7).
    reopenOnResume: enqueueActions(({ context, event, enqueue }) => {
      narrowEvent(event, 'RESUME');
      commit(enqueue, resumeStep(context));
    }),
  },
  guards: {
    isQuirkOn: ({ context }, params: { quirk: keyof VirtnicQuirks }) =>
      context.quirks[params.quirk],
    isQuirkOff: ({ context }, params: { quirk: keyof VirtnicQuirks }) =>
      !context.quirks[params.quirk],
    isDraining: ({ context }) => context.draining,
    // A drain is on and the response just taken was not the ring's last.
    hasMoreResponses: ({ context, event }) =>
      context.draining && narrowEvent(event, [...RESPONSE_TYPES]).more === true,
    isInterfaceClosed: ({ context }) => !context.open,
    isInterfaceOpen: ({ context }) => context.open,
    canOpen: ({ context }) => context.configured && !context.open,
    isQueueStopped: ({ context }) => !context.queueRunning,
    // `!(len >= ETH_HLEN)` also catches a NaN length.
    isRuntFrame: ({ event }) => !(narrowEvent(event, 'XMIT').len >= ETH_HLEN),
    isAtMaxOutstanding: ({ context }) => outstandingOf(context) >= context.maxOutstanding,
    isStaleXmitInsertFailure: ({ context, event }) =>
      xmitSlotOf(context, narrowEvent(event, 'XMIT_INSERT_FAILED').buf) < 0,
    isStalePostFailure: ({ context, event }) => {
      const { index, buf } = narrowEvent(event, 'POST_FAILED');
      return !isPostOf(context, index, buf);
    },
    isPromiscChange: ({ context, event }) =>
      narrowEvent(event, 'SET_PROMISC').on !== context.promisc,
    isTxWatchdogArmed: ({ context }) => context.txWatchdogArmed,
  },
}).createMachine({
  id: 'virtnic',
  context: ({ input }) => initialVirtnicContext(input),
  initial: 'matched',
  // The host answers a failed insert right after the transition that asked for it, in whatever
  // state the device is by then; one naming no current post or transmit is counted and ignored.
  on: {
    POST_FAILED: [
      { guard: 'isStalePostFailure', actions: ['countStalePostFailure'] },
      { actions: ['failReceivePost'] },
    ],
    XMIT_INSERT_FAILED: [
      { guard: 'isStaleXmitInsertFailure', actions: ['countStaleXmitInsertFailure'] },
      { actions: ['failTransmitInsert'] },
    ],
  },
  states: {
    matched: {
      description:
        'virtpci registered the device; probe has not run yet (no queue: transmits drop).',
      on: {
        PROBE: { target: 'running', actions: ['reportProbed'] },
        XMIT: { actions: ['dropWhileQueueStopped'] },
      },
    },
    running: {
      description: 'Bound: the interface opens and closes, frames flow, responses are drained.',
      on: {
        CHANNEL_CONFIG: { guard: 'isInterfaceClosed', actions: ['configureChannel'] },
        OPEN: { guard: 'canOpen', actions: ['openInterface'] },
        CLOSE: { guard: 'isInterfaceOpen', actions: ['closeInterface'] },
        XMIT: [
          { guard: 'isQueueStopped', actions: ['dropWhileQueueStopped'] },
          { guard: 'isRuntFrame', actions: ['dropRuntFrame'] },
          { guard: 'isAtMaxOutstanding', actions: ['dropAtMaxOutstanding'] },
          { actions: ['transmit'] },
        ],
        SET_PROMISC: { guard: 'isPromiscChange', actions: ['sendPromisc'] },
        CHANNEL_INTERRUPT: [
          { guard: 'isDraining', actions: ['countChannelInterrupt'] },
          { actions: ['countChannelInterrupt', 'startDrain'] },
        ],
        RCV: [
          { guard: 'hasMoreResponses', actions: ['receiveFrame', 'requestNextResponse'] },
          { actions: ['receiveFrame', 'endDrain'] },
        ],
        XMIT_DONE: [
          { guard: 'hasMoreResponses', actions: ['completeTransmit', 'requestNextResponse'] },
          { actions: ['completeTransmit', 'endDrain'] },
        ],
        ENBDIS_ACK: [
          { guard: 'hasMoreResponses', actions: ['takeEnbdisAck', 'requestNextResponse'] },
          { actions: ['takeEnbdisAck', 'endDrain'] },
        ],
        CONNECT_STATUS: [
          { guard: 'hasMoreResponses', actions: ['applyConnectStatus', 'requestNextResponse'] },
          { actions: ['applyConnectStatus', 'endDrain'] },
        ],
        OTHER_RESPONSE: [
          { guard: 'hasMoreResponses', actions: ['countOtherResponse', 'requestNextResponse'] },
          { actions: ['countOtherResponse', 'endDrain'] },
        ],
        RESPONSES_EMPTY: { actions: ['endDrain'] },
        TX_TIMEOUT: { guard: 'isTxWatchdogArmed', actions: ['resetInterface'] },
        SUSPEND: {
          target: 'serverChanging',
          actions: [{ type: 'reportSuspended', params: { status: 1 } }],
        },
        RESUME: { actions: [{ type: 'reportResumed', params: { status: 1 } }] },
        REMOVE: { target: 'removed', actions: ['closeOnRemoval', 'reportRemoved'] },
      },
    },
    serverChanging: {
      description:
        'serverdown work queued (server_change_state): transmits drop, the ring is abandoned.',
      entry: ['queueServerdownWork'],
      on: {
        SERVERDOWN_COMPLETE: {
          target: 'serverDown',
          actions: ['tearDownForPause', 'sendPauseResponse'],
        },
        ...WHILE_SERVER_AWAY,
        SUSPEND: { actions: [{ type: 'reportSuspended', params: { status: 0 } }] },
        RESUME: { actions: [{ type: 'reportResumed', params: { status: 0 } }] },
        REMOVE: { target: 'removed', actions: ['closeOnRemoval', 'reportRemoved'] },
      },
    },
    serverDown: {
      description:
        'serverdown: link down, transmits discarded, receive buffers freed, pause answered.',
      on: {
        ...WHILE_SERVER_AWAY,
        SUSPEND: [
          {
            guard: { type: 'isQuirkOn', params: { quirk: 'pauseWhileDownUnanswered' } },
            actions: [{ type: 'reportSuspended', params: { status: 1 } }],
          },
          { actions: [{ type: 'reportSuspended', params: { status: 1 } }, 'sendPauseResponse'] },
        ],
        RESUME: {
          target: 'running',
          actions: [
            'attachChannel',
            'reopenOnResume',
            { type: 'reportResumed', params: { status: 1 } },
          ],
        },
        REMOVE: { target: 'removed', actions: ['closeOnRemoval', 'reportRemoved'] },
      },
    },
    removed: {
      description: 'remove returned; the actor is done.',
      type: 'final',
    },
  },
});
