// virtnic: the CONTROL-PLANE part of the Era A virtual NIC driver bound to virtpci
// (`kjdepro/unisys-1 drivers/staging/unisys/virtnic/virtnic.c` @068d4483…; spar-protocol.md §4.7,
// §3.5 Era A pause path, §5.12). The contract (events, effects, shared actions) is in
// `virtpci-driver.logic.ts`; virtnic adds the link state and ENBDIS_ACK.
//
// States as virthba: `matched` → `running` → `serverChanging` (serverdown work queued) →
// `serverDown` → `running` on RESUME; `removed` is final. The IO paths (receive thread, receive
// buffer posting, NET_XMIT, NET_RCV_ENBDIS messages, the 5 s transmit watchdog) come with a later
// issue; the context already records what the control plane decides about the link:
// - `carrier`: `netif_carrier_on/off`. The serverdown work item turns it off (with the transmit
//   queue stopped, unacknowledged transmits purged, receive buffers freed, then the pause response).
// - `awaitingEnbdisAck`: serverup re-posts receive buffers and sends NET_RCV_ENBDIS(1)
//   (`EnabDisAcked = 0`); the link comes up only when the IOSP acknowledges (ENBDIS_ACK, §4.7).
// Choice: `carrier` starts off: the interface's open path (which sends the first ENBDIS) belongs
// to the IO issue, so until then only a serverup can make the driver wait for an ack.
// Choice: ENBDIS_ACK is taken only while running and awaiting it; any other ack is ignored.
// SUSPEND/RESUME answers follow `virtnic_serverdown`/`virtnic_serverup`: suspend returns 1 when it
// queues the work or the device is already down, 0 while a change is in progress; resume returns 1
// when down (after `cli_state_os = ATTACHED`) or already up, 0 while a change is in progress (virtnic
// tests "changing" before "up", unlike virthba, so it has no resume quirk).
// Quirk `pauseWhileDownUnanswered` as virthba (same upstream code shape). The serverdown work item
// is one internal step for now (see virthba.machine.ts).

import { assertEvent, assign, setup } from 'xstate';
import {
  initialVirtpciDriverContext,
  isQuirkOn,
  virtpciDriverActions,
  type VirtpciDriverContext,
  type VirtpciDriverEmitted,
  type VirtpciDriverEvent,
  type VirtpciDriverInput,
} from './virtpci-driver.logic.js';

export { VIRTNIC_DRIVER } from './virtpci-driver.logic.js';

/** virtnic's context: the shared driver context plus the link state. */
export interface VirtnicContext extends VirtpciDriverContext {
  /** `netif_carrier_ok`: the link is up. */
  readonly carrier: boolean;
  /** NET_RCV_ENBDIS(1) was sent by serverup and its ack has not arrived. */
  readonly awaitingEnbdisAck: boolean;
}

/** virtnic's events: the shared entry points plus the IOSP's NET_RCV_ENBDIS_ACK. */
export type VirtnicEvent = VirtpciDriverEvent | { readonly type: 'ENBDIS_ACK' };

/** The virtnic machine: one actor per vnic device virtpci probed (input: the device address). */
export const virtnicMachine = setup({
  types: {
    context: {} as VirtnicContext,
    events: {} as VirtnicEvent,
    emitted: {} as VirtpciDriverEmitted,
    input: {} as VirtpciDriverInput,
  },
  actions: {
    ...virtpciDriverActions<VirtnicContext, VirtnicEvent>(),
    dropCarrier: assign(({ event }) => {
      assertEvent(event, 'SERVERDOWN_COMPLETE');
      return { carrier: false, awaitingEnbdisAck: false };
    }),
    sendEnable: assign(({ event }) => {
      assertEvent(event, 'RESUME');
      return { awaitingEnbdisAck: true };
    }),
    raiseCarrier: assign(({ event }) => {
      assertEvent(event, 'ENBDIS_ACK');
      return { carrier: true, awaitingEnbdisAck: false };
    }),
  },
  guards: {
    isQuirkOn,
    isAwaitingEnbdisAck: ({ context }) => context.awaitingEnbdisAck,
  },
}).createMachine({
  id: 'virtnic',
  context: ({ input }) => ({
    ...initialVirtpciDriverContext(input),
    carrier: false,
    awaitingEnbdisAck: false,
  }),
  initial: 'matched',
  states: {
    matched: {
      description: 'virtpci registered the device; probe has not run yet.',
      on: { PROBE: { target: 'running', actions: ['reportProbed'] } },
    },
    running: {
      description: 'Bound; the link is up once an ENBDIS ack arrived (IO paths come later).',
      on: {
        CHANNEL_INTERRUPT: { actions: ['countChannelInterrupt'] },
        ENBDIS_ACK: { guard: 'isAwaitingEnbdisAck', actions: ['raiseCarrier'] },
        SUSPEND: {
          target: 'serverChanging',
          actions: [{ type: 'reportSuspended', params: { status: 1 } }],
        },
        RESUME: { actions: [{ type: 'reportResumed', params: { status: 1 } }] },
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    serverChanging: {
      description: 'serverdown work queued (serverChangingState); one step for now.',
      entry: ['queueServerdownWork'],
      on: {
        SERVERDOWN_COMPLETE: {
          target: 'serverDown',
          actions: ['dropCarrier', 'sendPauseResponse'],
        },
        SUSPEND: { actions: [{ type: 'reportSuspended', params: { status: 0 } }] },
        RESUME: { actions: [{ type: 'reportResumed', params: { status: 0 } }] },
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    serverDown: {
      description: 'serverdown: carrier off, transmits purged, receive buffers freed.',
      on: {
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
            'sendEnable',
            { type: 'reportResumed', params: { status: 1 } },
          ],
        },
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    removed: {
      description: 'remove returned; the actor is done.',
      type: 'final',
    },
  },
});
