// virtnic: the Era A virtual NIC driver bound to virtpci (spar-protocol.md §4.7, §3.5; its IO
// path follows visornic's §4.3 under Era A names, with §4.4.4, §4.8 and §7's timers;
// `kjdepro/unisys-1 drivers/staging/unisys/virtnic/virtnic.c` @068d4483). Control plane:
// `virtpci-driver.logic.ts`; protocol: `virtnic.types.ts`; rules: `virtnic.steps.ts` (interface
// life, OK_TO_WAIT control ring), `virtnic.datapath.ts` (qdisc, transmit, receive; its header says
// why the qdisc lives here), drafts in `virtnic.logic.ts`.
//
// States: matched → running ⇄ serverAway (serverChanging → serverDown) → removed. While the server
// is away opens and closes are only recorded, the qdisc hands frames to a dead ring's rules and
// responses are abandoned: those rows sit once on `serverAway`; its children hold only SUSPEND,
// RESUME and the work item. Choice: the interface, the qdisc and the control ring live in
// context, so the states stay the control plane's. Delayed events, each under its id: TX_TIMEOUT
// (`txWatchdog`, §4.3 TX timeout), CONTROL_RETRY (`controlRetry`, §7), QDISC_RUN (`qdiscRun`, 0 ms:
// net_tx_action runs after the step that woke the queue; a run goes on through the mailbox). Quirks: `xmitAfterTeardown` (the
// fuzzer's canary, see resumeStep), `pauseWhileDownUnanswered` as virthba; virtnic tests
// "changing" before "up", so it has no resume quirk.

import { type AnyActorRef, enqueueActions, setup } from 'xstate';
import { narrowEvent } from './narrow-event.js';
import {
  connectStatusStep,
  dropHeadStep,
  endQdiscRunStep,
  enbdisAckStep,
  enqueueStep,
  insertFailedStep,
  postFailedStep,
  qdiscDropStep,
  receiveStep,
  transmitHeadStep,
  xmitDoneStep,
} from './virtnic.datapath.js';
import {
  ETH_HLEN,
  initialVirtnicContext,
  isPostOf,
  netAtOf,
  outstandingOf,
  xmitSlotOf,
} from './virtnic.logic.js';
import {
  closeStep,
  configureStep,
  controlInsertedStep,
  controlRetryStep,
  controlRingFullStep,
  drainStartStep,
  openStep,
  pauseStep,
  promiscStep,
  resetStep,
  resumeStep,
} from './virtnic.steps.js';
import {
  CONTROL_RETRY_ID,
  CONTROL_RETRY_MS,
  type NicStep,
  QDISC_LIMIT,
  QDISC_RUN_ID,
  TX_WATCHDOG_ID,
  type VirtnicContext,
  type VirtnicCounts,
  type VirtnicEmitted,
  type VirtnicEvent,
  type VirtnicInput,
  type VirtnicQuirks,
} from './virtnic.types.js';
import { SUSPEND_WHILE_SERVER_DOWN, virtpciDriverActions } from './virtpci-driver.logic.js';

export { VIRTNIC_DRIVER } from './virtpci-driver.logic.js';

/** The delayed events a step may start (each under its explicit id). */
type DelayedEvent = { type: 'TX_TIMEOUT' } | { type: 'CONTROL_RETRY' } | { type: 'QDISC_RUN' };
type Delay = 'txTimeout' | 'controlRetry' | 'qdiscReschedule';

/** What enqueueActions offers that committing a step uses. */
interface StepEnqueue {
  assign(values: Partial<VirtnicContext>): void;
  emit(effect: VirtnicEmitted): void;
  cancel(id: string): void;
  raise(event: DelayedEvent, options?: { id: string; delay: Delay }): void;
  sendTo(to: AnyActorRef, event: { type: 'QDISC_RUN' }): void;
}

// Store the step's context, emit its effects in order, then start or stop its delayed events.
function commit(enqueue: StepEnqueue, self: AnyActorRef, step: NicStep): void {
  enqueue.assign(step.context);
  for (const effect of step.effects) enqueue.emit(effect);
  if (step.watchdog !== 'keep') enqueue.cancel(TX_WATCHDOG_ID);
  if (step.watchdog === 'arm')
    enqueue.raise({ type: 'TX_TIMEOUT' }, { id: TX_WATCHDOG_ID, delay: 'txTimeout' });
  if (step.controlRetry !== 'keep') enqueue.cancel(CONTROL_RETRY_ID);
  if (step.controlRetry === 'arm')
    enqueue.raise({ type: 'CONTROL_RETRY' }, { id: CONTROL_RETRY_ID, delay: 'controlRetry' });
  if (step.qdiscRun === 'later' || step.qdiscRun === 'cancel') enqueue.cancel(QDISC_RUN_ID);
  if (step.qdiscRun === 'later')
    enqueue.raise({ type: 'QDISC_RUN' }, { id: QDISC_RUN_ID, delay: 'qdiscReschedule' });
  if (step.qdiscRun === 'now') enqueue.raise({ type: 'QDISC_RUN' });
  if (step.qdiscRun === 'next') enqueue.sendTo(self, { type: 'QDISC_RUN' });
}

const RESPONSE_TYPES = [
  'RCV',
  'XMIT_DONE',
  'ENBDIS_ACK',
  'CONNECT_STATUS',
  'OTHER_RESPONSE',
] as const;
const CONTROL_ANSWERS = ['CONTROL_INSERTED', 'CONTROL_RING_FULL'] as const;

type EventType = VirtnicEvent['type'];
type EventOf<T extends EventType> = Extract<VirtnicEvent, { type: T }>;
/** The enqueueActions of this machine's setup (no child actors, guards or actions referenced). */
const nicActions = enqueueActions<
  VirtnicContext,
  VirtnicEvent,
  undefined,
  VirtnicEvent,
  never,
  never,
  never,
  Delay,
  VirtnicEmitted
>;

/** The action that takes events of `type` through `stepOf` and commits the step. */
function stepAction<T extends EventType>(
  type: T | readonly T[],
  stepOf: (context: VirtnicContext, event: EventOf<T>) => NicStep,
) {
  return nicActions(({ context, event, enqueue, self }) => {
    commit(enqueue, self, stepOf(context, narrowEvent(event, type)));
  });
}

/** The action that counts events of `type` in `counter`. */
function countAction<T extends EventType>(type: T | readonly T[], counter: keyof VirtnicCounts) {
  return nicActions(({ context, event, enqueue }) => {
    narrowEvent(event, type);
    const { counts } = context;
    enqueue.assign({ counts: { ...counts, [counter]: counts[counter] + 1 } });
  });
}

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
    controlRetry: CONTROL_RETRY_MS,
    qdiscReschedule: 0,
  },
  actions: {
    ...virtpciDriverActions<VirtnicContext, VirtnicEvent>(),
    configureChannel: stepAction('CHANNEL_CONFIG', configureStep),
    openInterface: stepAction('OPEN', openStep),
    // The ring is dead while changing or down: only IFF_UP is recorded; RESUME reopens.
    recordOpen: nicActions(({ event, enqueue }) => {
      narrowEvent(event, 'OPEN');
      enqueue.assign({ open: true });
    }),
    closeInterface: stepAction('CLOSE', closeStep),
    // `unregister_netdev` closes the interface before remove returns (§4.3).
    closeOnRemoval: stepAction('REMOVE', closeStep),
    enqueueFrame: stepAction('XMIT', enqueueStep),
    dropAtQdiscLimit: stepAction('XMIT', (c, e) => qdiscDropStep(c, e.id)),
    endQdiscRun: stepAction('QDISC_RUN', endQdiscRunStep),
    transmitHead: stepAction('QDISC_RUN', transmitHeadStep),
    // One action per drop reason (§4.3 order): XState infers no params inside enqueueActions here.
    dropRuntHead: stepAction('QDISC_RUN', (c) => dropHeadStep(c, 'runt')),
    dropHeadAtMaxOutstanding: stepAction('QDISC_RUN', (c) => dropHeadStep(c, 'maxOutstanding')),
    dropHeadWhileServerDown: stepAction('QDISC_RUN', (c) => dropHeadStep(c, 'serverDown')),
    failTransmitInsert: stepAction('XMIT_INSERT_FAILED', (c, e) => insertFailedStep(c, e.buf)),
    countStaleXmitInsertFailure: countAction('XMIT_INSERT_FAILED', 'staleXmitInsertFailures'),
    failReceivePost: stepAction('POST_FAILED', (c, e) => postFailedStep(c, e.index)),
    countStalePostFailure: countAction('POST_FAILED', 'stalePostFailures'),
    takeControlInserted: stepAction('CONTROL_INSERTED', controlInsertedStep),
    waitForRingRoom: stepAction('CONTROL_RING_FULL', controlRingFullStep),
    retryControl: stepAction('CONTROL_RETRY', controlRetryStep),
    countStaleControlAnswer: countAction(CONTROL_ANSWERS, 'staleControlAnswers'),
    sendPromisc: stepAction('SET_PROMISC', (c, e) => promiscStep(c, e.on)),
    // Recorded while changing or down; resume re-sends it when on (`resumeStep`).
    recordPromisc: nicActions(({ event, enqueue }) => {
      enqueue.assign({ promisc: narrowEvent(event, 'SET_PROMISC').on });
    }),
    startDrain: stepAction('CHANNEL_INTERRUPT', drainStartStep),
    requestNextResponse: nicActions(({ context, event, enqueue }) => {
      narrowEvent(event, RESPONSE_TYPES);
      enqueue.emit({ type: 'channel.removeResponse', ...netAtOf(context) });
    }),
    // The ring was empty, or held nothing more after the response just taken.
    endDrain: nicActions(({ event, enqueue }) => {
      narrowEvent(event, [...RESPONSE_TYPES, 'RESPONSES_EMPTY']);
      enqueue.assign({ draining: false });
    }),
    receiveFrame: stepAction('RCV', receiveStep),
    completeTransmit: stepAction('XMIT_DONE', (c, e) => xmitDoneStep(c, e.buf, e.result)),
    takeEnbdisAck: stepAction('ENBDIS_ACK', enbdisAckStep),
    applyConnectStatus: stepAction('CONNECT_STATUS', (c, e) => connectStatusStep(c, e.enable)),
    countOtherResponse: countAction('OTHER_RESPONSE', 'otherResponses'),
    countAbandonedResponse: countAction(RESPONSE_TYPES, 'abandonedResponses'),
    resetInterface: stepAction('TX_TIMEOUT', resetStep),
    // The serverdown work item's teardown (§4.3 Pause, §4.7), before the pause response.
    tearDownForPause: stepAction('SERVERDOWN_COMPLETE', pauseStep),
    // serverup after the channel is ATTACHED, before `driver.resumed` (§4.3 Resume, §4.8 step 7).
    reopenOnResume: stepAction('RESUME', resumeStep),
  },
  guards: {
    isQuirkOn: ({ context }, params: { quirk: keyof VirtnicQuirks }) =>
      context.quirks[params.quirk],
    isQuirkOff: ({ context }, params: { quirk: keyof VirtnicQuirks }) =>
      !context.quirks[params.quirk],
    isDraining: ({ context }) => context.draining,
    // A drain is on and the response just taken was not the ring's last.
    hasMoreResponses: ({ context, event }) =>
      context.draining && narrowEvent(event, RESPONSE_TYPES).more === true,
    isInterfaceClosed: ({ context }) => !context.open,
    isInterfaceOpen: ({ context }) => context.open,
    canOpen: ({ context }) => context.configured && !context.open,
    isQdiscFull: ({ context }) => context.qdisc.length >= QDISC_LIMIT,
    // The queue is stopped or the qdisc is empty: nothing to hand the driver now.
    isQdiscStalled: ({ context }) => !context.queueRunning || context.qdisc.length === 0,
    // `!(len >= ETH_HLEN)` also catches a NaN length.
    isHeadRunt: ({ context }) => !((context.qdisc[0]?.len ?? 0) >= ETH_HLEN),
    isAtMaxOutstanding: ({ context }) => outstandingOf(context) >= context.maxOutstanding,
    isStaleXmitInsertFailure: ({ context, event }) =>
      xmitSlotOf(context, narrowEvent(event, 'XMIT_INSERT_FAILED').buf) < 0,
    isStalePostFailure: ({ context, event }) => {
      const { index, buf } = narrowEvent(event, 'POST_FAILED');
      return !isPostOf(context, index, buf);
    },
    // The host's answer is for the insert the machine is waiting on (not one of a dead ring).
    isCurrentControlAnswer: ({ context, event }) =>
      narrowEvent(event, CONTROL_ANSWERS).seq === context.controlAttempt,
    isPromiscChange: ({ context, event }) =>
      narrowEvent(event, 'SET_PROMISC').on !== context.promisc,
    isTxWatchdogArmed: ({ context }) => context.txWatchdogArmed,
  },
}).createMachine({
  id: 'virtnic',
  context: ({ input }) => initialVirtnicContext(input),
  initial: 'matched',
  // In every state: the host's answers to inserts (right after the transition that asked, in
  // whatever state the device is by then; one naming no current post, transmit or attempt is
  // counted and ignored), the control retry, and dev_queue_xmit into the qdisc.
  on: {
    POST_FAILED: [
      { guard: 'isStalePostFailure', actions: ['countStalePostFailure'] },
      { actions: ['failReceivePost'] },
    ],
    XMIT_INSERT_FAILED: [
      { guard: 'isStaleXmitInsertFailure', actions: ['countStaleXmitInsertFailure'] },
      { actions: ['failTransmitInsert'] },
    ],
    CONTROL_INSERTED: [
      { guard: 'isCurrentControlAnswer', actions: ['takeControlInserted'] },
      { actions: ['countStaleControlAnswer'] },
    ],
    CONTROL_RING_FULL: [
      { guard: 'isCurrentControlAnswer', actions: ['waitForRingRoom'] },
      { actions: ['countStaleControlAnswer'] },
    ],
    CONTROL_RETRY: { actions: ['retryControl'] },
    XMIT: [{ guard: 'isQdiscFull', actions: ['dropAtQdiscLimit'] }, { actions: ['enqueueFrame'] }],
    QDISC_RUN: { actions: ['endQdiscRun'] },
  },
  states: {
    matched: {
      description: 'virtpci registered the device; probe has not run yet (the queue is stopped).',
      on: {
        PROBE: { target: 'running', actions: ['reportProbed'] },
      },
    },
    running: {
      description: 'Bound: the interface opens and closes, frames flow, responses are drained.',
      on: {
        CHANNEL_CONFIG: { guard: 'isInterfaceClosed', actions: ['configureChannel'] },
        OPEN: { guard: 'canOpen', actions: ['openInterface'] },
        CLOSE: { guard: 'isInterfaceOpen', actions: ['closeInterface'] },
        // qdisc_restart → ndo_start_xmit (§4.3 Transmit drop order), one frame per run.
        QDISC_RUN: [
          { guard: 'isQdiscStalled', actions: ['endQdiscRun'] },
          { guard: 'isHeadRunt', actions: ['dropRuntHead'] },
          { guard: 'isAtMaxOutstanding', actions: ['dropHeadAtMaxOutstanding'] },
          { actions: ['transmitHead'] },
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
          target: 'serverAway.serverChanging',
          actions: [{ type: 'reportSuspended', params: { status: 1 } }],
        },
        RESUME: { actions: [{ type: 'reportResumed', params: { status: 1 } }] },
        REMOVE: { target: 'removed', actions: ['closeOnRemoval', 'reportRemoved'] },
      },
    },
    serverAway: {
      description:
        'The server is going or gone: opens and closes recorded, frames dropped as busy, the ring abandoned.',
      initial: 'serverChanging',
      on: {
        OPEN: { guard: 'canOpen', actions: ['recordOpen'] },
        CLOSE: { guard: 'isInterfaceOpen', actions: ['closeInterface'] },
        // With the quirk, frames go into the dead ring (the queue was kept running).
        QDISC_RUN: [
          { guard: 'isQdiscStalled', actions: ['endQdiscRun'] },
          {
            guard: { type: 'isQuirkOff', params: { quirk: 'xmitAfterTeardown' } },
            actions: ['dropHeadWhileServerDown'],
          },
          { guard: 'isHeadRunt', actions: ['dropRuntHead'] },
          { guard: 'isAtMaxOutstanding', actions: ['dropHeadAtMaxOutstanding'] },
          { actions: ['transmitHead'] },
        ],
        SET_PROMISC: { actions: ['recordPromisc'] },
        RCV: { actions: ['countAbandonedResponse'] },
        XMIT_DONE: { actions: ['countAbandonedResponse'] },
        ENBDIS_ACK: { actions: ['countAbandonedResponse'] },
        CONNECT_STATUS: { actions: ['countAbandonedResponse'] },
        OTHER_RESPONSE: { actions: ['countAbandonedResponse'] },
        REMOVE: { target: 'removed', actions: ['closeOnRemoval', 'reportRemoved'] },
      },
      states: {
        serverChanging: {
          description: 'serverdown work queued (server_change_state).',
          entry: ['queueServerdownWork'],
          on: {
            SERVERDOWN_COMPLETE: {
              target: 'serverDown',
              actions: ['tearDownForPause', 'sendPauseResponse'],
            },
            SUSPEND: { actions: [{ type: 'reportSuspended', params: { status: 0 } }] },
            RESUME: { actions: [{ type: 'reportResumed', params: { status: 0 } }] },
          },
        },
        serverDown: {
          description:
            'serverdown: link down, transmits discarded, receive buffers freed, pause answered.',
          on: {
            SUSPEND: SUSPEND_WHILE_SERVER_DOWN,
            RESUME: {
              target: '#virtnic.running',
              actions: [
                'attachChannel',
                'reopenOnResume',
                { type: 'reportResumed', params: { status: 1 } },
              ],
            },
          },
        },
      },
    },
    removed: {
      description: 'remove returned; the actor is done.',
      type: 'final',
    },
  },
});
