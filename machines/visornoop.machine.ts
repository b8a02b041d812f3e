// visornoop: the Era A do-nothing function driver for the control director channel
// (`kjdepro/unisys-1 drivers/staging/unisys/visornoop/visornoop_main.c`; spar-protocol.md §5.6,
// §3.5 driver interface, §1.8 GUID, §6.2 where it sits in the Era A module set).
//
// It exists only so that DEVICE_CREATE of the control director channel finds a driver and the
// partition can reach RUNNING. Modelled: probe binds the device (status 0), pause and resume
// complete at once with status 0, remove releases the device; `channel_interrupt` is NULL
// upstream and the driver never enables polling, so it emits no `channel.enableInterrupts`.
// Nothing more comes later: upstream does no channel I/O either. The shared contract (events,
// effects, actions) is in `visor-driver.logic.ts`.
//
// Choice: a PAUSE while paused or a RESUME while running is answered started + complete again
// (idempotent); visornoop upstream does the same, since it keeps no paused flag at all.
// Choice: a CHANNEL_INTERRUPT is still counted while running, like the other drivers, so a host
// that polls a device it was never asked to poll shows up in the context.
// Choice: entry points before PROBE (other than PROBE) and after REMOVE are ignored: visorbus calls
// pause/resume/remove only on a bound device.

import { setup } from 'xstate';
import { CONTROL_DIRECTOR_CHANNEL } from '../src/kinds/noop/channel.js';
import {
  channelTypeMatch,
  initialVisorDriverContext,
  visorDriverActions,
  visorDriverTypes,
  type VisorDriverRegistration,
} from './visor-driver.logic.js';

/**
 * visornoop's `channel_types` table. Choice: the Era A descriptor has `min_size` 1 and no version
 * field (§1.8 "–"); version 1 is what spar-sim expects of a channel type whose version the
 * reference does not know (as for console video in `src/channel/channel-types.ts`).
 */
export const VISORNOOP_DRIVER: VisorDriverRegistration = {
  name: 'visornoop',
  channelTypes: [channelTypeMatch(CONTROL_DIRECTOR_CHANNEL)],
};

/** The visornoop machine: one actor per bound control director device (input: device address). */
export const visornoopMachine = setup({
  types: visorDriverTypes,
  actions: visorDriverActions,
}).createMachine({
  id: 'visornoop',
  context: initialVisorDriverContext,
  initial: 'matched',
  states: {
    matched: {
      description: 'visorbus matched the device to this driver; probe has not run yet.',
      on: { PROBE: { target: 'running', actions: ['reportProbed'] } },
    },
    running: {
      description: 'Bound. No channel I/O: the control director channel only has to be accepted.',
      on: {
        CHANNEL_INTERRUPT: { actions: ['countChannelInterrupt'] },
        PAUSE: { target: 'paused', actions: ['reportPauseStarted', 'completeStateChange'] },
        RESUME: { actions: ['reportResumeStarted', 'completeStateChange'] },
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    paused: {
      description: 'Paused (CHANGESTATE standby); nothing to stop.',
      on: {
        PAUSE: { actions: ['reportPauseStarted', 'completeStateChange'] },
        RESUME: { target: 'running', actions: ['reportResumeStarted', 'completeStateChange'] },
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    removed: {
      description: 'remove returned; the actor is done.',
      type: 'final',
    },
  },
});
