// visorclientbus (Era A): visorchipset's client notifier for buses and vhba/vnic devices, in front
// of uislib/virtpci (`kjdepro/unisys-1 drivers/staging/unisys/visorclientbus/visorclientbus_main.c`
// @2bd79faa…; spar-protocol.md §5.11, §3.5 Era A pause path, §5.7, §5.12). One actor per guest,
// systemId `<partition>/visorclientbus`, input `{ partition, quirks? }`.
//
// In spar-sim's mixed-era guest it sits between visorchipset and both buses and receives EVERY
// request visorchipset hands on (CHIPSET_REQUEST, one `VisorbusRequest`). Routing (Choice:
// spar-sim's, for a guest with both final visorbus drivers and Era A virtpci drivers):
// - createBus/destroyBus → both: `visorbus.forward {request}` then `uislib.inject {msg: ADD_VBUS
//   (devCount 23) / DEL_VBUS}`; answered once both answered, with the first failure to arrive
//   (visorbus's errno, or -1 for uislib as `chipset_bus_create/destroy` do), else 0.
// - createDevice whose `dataTypeGuid` is the vhba/vnic channel type (case-insensitive) → its type
//   is remembered and `uislib.inject {msg: {msgtype: ADD_VHBA/ADD_VNIC, kind, busNo, devNo}}`; the
//   host reads wwnn/mac from the channel and sends virtpci the full GUEST_MSG. Failure: -3 (vhba)
//   / -2 (vnic), as `chipset_device_create`. Any other type → `visorbus.forward`.
// - destroy/pause/resume of a device remembered as vhba/vnic → uislib inject; else
//   visorbus.forward. destroy: answered 0 whatever uislib said (`chipset_device_destroy` ignores
//   the inject's result).
//   pause: answered only on failure (vnic -1, vhba uislib's code); on success nothing — "Response
//   sent when the pause is completed": the driver's `driver.pauseResponse` answers visorchipset.
//   resume: answered with uislib's result at once (vnic -1 on failure, vhba uislib's code), i.e.
//   before the link/queues are back (§3.5).
// - Answers: VISORBUS_DONE (visorbus's `visorchipset.done`) and UISLIB_DONE (virtpci's
//   `uislib.done`), matched to the oldest outstanding request of the same kind and address that
//   still waits for that party. Each request gets exactly one `visorchipset.done` once its parties
//   answered (none for an accepted vhba/vnic pause); an answer that matches nothing is ignored and
//   counted in `strayAnswers`.
// Quirk `vhbaStateChangeRcPositive` (off): upstream passes a failed vhba pause/resume's positive
// uislib code, which visorchipset reads as success. Off: the negated code.
// Quirk `vhbaResumeNoComplete` (off; `visorhba-resume-no-complete`, §3.5, §4.2, §4.8 step 6): the
// upstream (final) visorhba never completes a resume, so no CHANGESTATE(running) response is ever
// sent and visorbus keeps `resuming` set, rejecting every later CHANGESTATE/DESTROY of the device.
// In the Era A path the resume answer is produced here (§5.11: "sent as soon as uislib returns
// success"), so the switch lives here: virtpci/virthba still resume (serverup, IO flows), and only
// the answer is withheld. visorchipset then keeps the device's pending request, and its §2.6
// precondition refuses later CHANGESTATE/DESTROY requests with EIO — the same consequence with no
// change to visorchipset. Off: the Era A behaviour, answered at once.
// Not modelled: `chipset_preamble`'s channel mapping (-1; the host's), the crash-dump message
// saving (§2.11), the SIOVM bus special case.

import { and, assign, emit, not, setup } from 'xstate';
import {
  completesRequest,
  doneFor,
  eraADeviceKind,
  initialContext,
  injectMsgFor,
  isAcceptedByUislib,
  isQuirkOn,
  matchAnswer,
  recordAnswer,
  requestOf,
  routeOf,
  settleRequest,
  trackRequest,
} from './visorclientbus.logic.js';
import type {
  VisorclientbusContext,
  VisorclientbusEmitted,
  VisorclientbusEvent,
  VisorclientbusInput,
} from './visorclientbus.types.js';

/** The visorclientbus machine; create it with `input: { partition }`. */
export const visorclientbusMachine = setup({
  types: {
    context: {} as VisorclientbusContext,
    events: {} as VisorclientbusEvent,
    emitted: {} as VisorclientbusEmitted,
    input: {} as VisorclientbusInput,
  },
  guards: {
    isBusRequest: ({ context, event }) => routeOf(context, requestOf(event)) === 'both',
    isEraADeviceRequest: ({ context, event }) => routeOf(context, requestOf(event)) === 'uislib',
    isAwaitedAnswer: ({ context, event }) => matchAnswer(context, event) !== undefined,
    completesRequest: ({ context, event }) => completesRequest(context, event),
    isAcceptedPause: ({ context, event }) => isAcceptedByUislib(context, event, 'pauseDevice'),
    isAcceptedVhbaResume: ({ context, event }) =>
      isAcceptedByUislib(context, event, 'resumeDevice', 'vhba'),
    isQuirkOn,
  },
  actions: {
    trackRequest: assign(({ context, event }) => trackRequest(context, requestOf(event))),
    forwardToVisorbus: emit(({ event }) => ({
      type: 'visorbus.forward' as const,
      request: requestOf(event),
    })),
    injectToUislib: emit(({ context, event }) => {
      const request = requestOf(event);
      const msg = injectMsgFor(request, eraADeviceKind(context, request));
      return { type: 'uislib.inject' as const, msg };
    }),
    answerChipset: emit(({ context, event }) => doneFor(context, event)),
    recordAnswer: assign(({ context, event }) => recordAnswer(context, event)),
    settleRequest: assign(({ context, event }) => settleRequest(context, event)),
    countStrayAnswer: assign(({ context }) => ({ strayAnswers: context.strayAnswers + 1 })),
  },
}).createMachine({
  id: 'visorclientbus',
  initial: 'running',
  context: ({ input }) => initialContext(input),
  states: {
    running: {
      on: {
        // Tracked first, so an answer the host sends back at once finds its request.
        CHIPSET_REQUEST: [
          {
            guard: 'isBusRequest',
            actions: ['trackRequest', 'forwardToVisorbus', 'injectToUislib'],
          },
          { guard: 'isEraADeviceRequest', actions: ['trackRequest', 'injectToUislib'] },
          { actions: ['trackRequest', 'forwardToVisorbus'] },
        ],
        VISORBUS_DONE: [
          { guard: not('isAwaitedAnswer'), actions: 'countStrayAnswer' },
          { guard: 'completesRequest', actions: ['answerChipset', 'settleRequest'] },
          { actions: 'recordAnswer' },
        ],
        UISLIB_DONE: [
          { guard: not('isAwaitedAnswer'), actions: 'countStrayAnswer' },
          { guard: 'isAcceptedPause', actions: 'settleRequest' },
          // Quirk: visorhba-resume-no-complete (§3.5, §4.2): the resume was carried out but is
          // settled unanswered, so visorchipset keeps the device's pending request (EIO later).
          {
            guard: and([
              { type: 'isQuirkOn', params: { quirk: 'vhbaResumeNoComplete' as const } },
              'isAcceptedVhbaResume',
            ]),
            actions: 'settleRequest',
          },
          { guard: 'completesRequest', actions: ['answerChipset', 'settleRequest'] },
          { actions: 'recordAnswer' },
        ],
      },
    },
  },
});
