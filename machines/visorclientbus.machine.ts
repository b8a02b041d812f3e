// visorclientbus (Era A): visorchipset's client notifier for buses and vhba/vnic devices, in front
// of uislib/virtpci (`kjdepro/unisys-1 drivers/staging/unisys/visorclientbus/
// visorclientbus_main.c` @2bd79faa…; spar-protocol.md §5.11, §3.5 Era A pause path, §5.7, §5.12).
// One actor per guest, systemId `<partition>/visorclientbus`.
//
// Choice (spar-sim's mixed-era guest, with final visorbus drivers and Era A virtpci drivers): it
// receives every request visorchipset hands on. Bus create/destroy go to both buses and are
// answered once both answered, with the first failure (visorbus's errno, or -1 for uislib);
// devices whose channel type is vhba/vnic go to uislib, all others to visorbus. Answers match the
// oldest outstanding request of the same kind and address still waiting for that party; each
// request gets exactly one `visorchipset.done` (none for an accepted vhba/vnic pause: the driver's
// `driver.pauseResponse` answers it, §5.11); stray answers are counted.
// Quirks `vhbaStateChangeRcPositive`, `vhbaResumeNoComplete` (off): see `VisorclientbusQuirks`.
// Not modelled: `chipset_preamble`'s channel mapping (the host's), crash-dump saving (§2.11), the
// SIOVM bus special case.

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
