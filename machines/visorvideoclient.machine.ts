// visorvideoclient: the Era A function driver for the console video channel
// (`kjdepro/unisys-1 drivers/staging/unisys/visorvideoclient/visorvideoclient_main.c`;
// spar-protocol.md §5.4, §3.5 driver interface, §1.8 GUIDs, §7 polling, §6.2 module set).
//
// Upstream it performs no I/O: it accepts the channel so DEVICE_CREATE finds a driver and the
// partition reaches RUNNING, while the display goes through the EFI framebuffer. Modelled now:
// probe binds the device and enables channel polling, pause and resume complete at once with
// status 0, poll ticks are counted, remove releases the device. Comes later (its own issue): the
// framebuffer work done on each CHANNEL_INTERRUPT. The shared contract (events, effects, actions)
// is in `visor-driver.logic.ts`.
//
// As upstream: probe does not enable channel interrupts (visorvideoclient has
// `channel_interrupt = NULL` and never calls `visorbus_enable_channel_interrupts`), so the host
// never polls the video channel.
// Choice: only the console video type is registered. Upstream also lists the framebuffer, legacy
// video and framebuffer memory types (contained in the video channel), whose GUIDs the reference
// does not have (§1.8 [UNCONFIRMED]).
// Choice: a PAUSE while paused or a RESUME while running is answered started + complete again
// (idempotent), as upstream does: it keeps no paused flag. Ticks while paused are ignored.
// Choice: entry points before PROBE (other than PROBE) and after REMOVE are ignored: visorbus calls
// pause/resume/remove only on a bound device.

import { setup } from 'xstate';
import { VIDEO_CHANNEL } from '../src/kinds/video/channel.js';
import {
  channelTypeMatch,
  initialVisorDriverContext,
  visorDriverActions,
  visorDriverTypes,
  type VisorDriverRegistration,
} from './visor-driver.logic.js';

/** visorvideoclient's `channel_types` table: console video (3cd6e705-…), from the catalogue. */
export const VISORVIDEOCLIENT_DRIVER: VisorDriverRegistration = {
  name: 'visorvideoclient',
  channelTypes: [channelTypeMatch(VIDEO_CHANNEL)],
};

/** The visorvideoclient machine: one actor per bound video device (input: device address). */
export const visorvideoclientMachine = setup({
  types: visorDriverTypes,
  actions: visorDriverActions,
}).createMachine({
  id: 'visorvideoclient',
  context: initialVisorDriverContext,
  initial: 'matched',
  states: {
    matched: {
      description: 'visorbus matched the device to this driver; probe has not run yet.',
      on: { PROBE: { target: 'running', actions: ['reportProbed'] } },
    },
    running: {
      description: 'Bound and polled every 10 jiffies; a tick does no channel work yet.',
      on: {
        CHANNEL_INTERRUPT: { actions: ['countChannelInterrupt'] },
        PAUSE: { target: 'paused', actions: ['reportPauseStarted', 'completeStateChange'] },
        RESUME: { actions: ['reportResumeStarted', 'completeStateChange'] },
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    paused: {
      description: 'Paused (CHANGESTATE standby); poll ticks are ignored.',
      on: {
        PAUSE: { actions: ['reportPauseStarted', 'completeStateChange'] },
        RESUME: { target: 'running', actions: ['reportResumeStarted', 'completeStateChange'] },
        REMOVE: { target: 'removed', actions: ['reportRemoved'] },
      },
    },
    removed: {
      description: 'remove returned; the host has stopped polling and the actor is done.',
      type: 'final',
    },
  },
});
