// virthba: the CONTROL-PLANE part of the Era A virtual HBA driver bound to virtpci
// (`torvalds/linux drivers/staging/unisys/virthba/virthba.c` @010c9f8e…; spar-protocol.md §4.6,
// §3.5 Era A pause path, §5.12). The contract (events, effects, shared actions) is in
// `virtpci-driver.logic.ts`.
//
// States: `matched` (spawned, PROBE not yet called) → `running` (bound; the receive thread runs) →
// `serverChanging` (serverdown work queued: `serverchangingstate`) → `serverDown` → `running`
// again on RESUME; `removed` is final. The IO paths (pending table, SCSI commands, DID_RESET of
// outstanding commands in the work item) come with a later issue and hang off these states.
//
// SUSPEND (serverdown) while running: returns 1 (`driver.suspended 1`), queues the work item; the
// work item stops the thread, fails what is pending, sets `serverdown` and calls
// `visorchipset_device_pause_response(bus, dev, 0)` (`driver.pauseResponse 0`).
// Choice: the work item is one internal step (a raised SERVERDOWN_COMPLETE taken in the same
// macrostep), so from outside `serverChanging` is never seen between two events until the IO
// issue makes the work wait for the thread; its rows are tested from a resolved snapshot.
// SUSPEND while changing: returns 0 (upstream "Server already processing change state message").
// SUSPEND while down: returns 1 and, by default, answers the pause at once with 0; quirk
// `pauseWhileDownUnanswered` keeps upstream's silence (no work queued, no response ever).
// RESUME (serverup) while down: `cli_state_os = ATTACHED`, thread restarted, returns 1. RESUME while
// running: returns 1 and does nothing ("Server up message received while server is already up").
// RESUME while changing: 0 by default (§4.6); quirk `resumeWhileServerdownPending` returns 1 and
// does nothing, because upstream tests `!serverdown` before `serverchangingstate`.
// Choice: probe always succeeds (status 0); a failing probe is a fault the injector will add.
// Choice: entry points before PROBE and after REMOVE are ignored (virtpci calls suspend/resume/
// remove only on a probed device). REMOVE works in every bound state.

import { setup } from 'xstate';
import {
  initialVirtpciDriverContext,
  isQuirkOn,
  virtpciDriverActions,
  type VirtpciDriverContext,
  type VirtpciDriverEmitted,
  type VirtpciDriverEvent,
  type VirtpciDriverInput,
} from './virtpci-driver.logic.js';

export { VIRTHBA_DRIVER } from './virtpci-driver.logic.js';

/** The virthba machine: one actor per vhba device virtpci probed (input: the device address). */
export const virthbaMachine = setup({
  types: {
    context: {} as VirtpciDriverContext,
    events: {} as VirtpciDriverEvent,
    emitted: {} as VirtpciDriverEmitted,
    input: {} as VirtpciDriverInput,
  },
  actions: virtpciDriverActions<VirtpciDriverContext, VirtpciDriverEvent>(),
  guards: { isQuirkOn },
}).createMachine({
  id: 'virthba',
  context: ({ input }) => initialVirtpciDriverContext(input),
  initial: 'matched',
  states: {
    matched: {
      description: 'virtpci registered the device; probe has not run yet.',
      on: { PROBE: { target: 'running', actions: ['reportProbed'] } },
    },
    running: {
      description: 'Bound, receive thread running (IO paths come later).',
      on: {
        CHANNEL_INTERRUPT: { actions: ['countChannelInterrupt'] },
        SUSPEND: {
          target: 'serverChanging',
          actions: [{ type: 'reportSuspended', params: { status: 1 } }],
        },
        RESUME: { actions: [{ type: 'reportResumed', params: { status: 1 } }] },
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    serverChanging: {
      description: 'serverdown work queued (serverchangingstate); one step for now.',
      entry: ['queueServerdownWork'],
      on: {
        SERVERDOWN_COMPLETE: { target: 'serverDown', actions: ['sendPauseResponse'] },
        SUSPEND: { actions: [{ type: 'reportSuspended', params: { status: 0 } }] },
        RESUME: [
          {
            guard: { type: 'isQuirkOn', params: { quirk: 'resumeWhileServerdownPending' } },
            actions: [{ type: 'reportResumed', params: { status: 1 } }],
          },
          { actions: [{ type: 'reportResumed', params: { status: 0 } }] },
        ],
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    serverDown: {
      description: 'serverdown: thread stopped, pending commands failed, pause answered.',
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
          actions: ['attachChannel', { type: 'reportResumed', params: { status: 1 } }],
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
