// visorconinclient: the Era A keyboard and mouse function driver
// (`kjdepro/unisys-1 drivers/staging/unisys/visorconinclient/visorconinclient_main.c`; its final
// successor is visorinput) — spar-protocol.md §5.5, §3.5 driver interface, §1.8 GUIDs, §7 polling,
// §6 module sets.
//
// Modelled now: probe binds a keyboard or mouse device and enables channel polling (upstream
// calls `visorbus_enable_channel_interrupts` in probe), pause and resume complete at once with
// status 0, poll ticks are counted while running and ignored while paused (upstream's `paused`
// flag makes the interrupt routine ignore the channel). Comes later (its own issue): draining the
// 16-byte input reports of queue 0 on each CHANNEL_INTERRUPT and turning them into keyboard and
// mouse events (§5.5 action table, scancode tables, resolution). The shared contract (events,
// effects, actions) is in `visor-driver.logic.ts`.
//
// Choice: a PAUSE while paused or a RESUME while running is answered started + complete again
// (idempotent). Upstream returns -1 (Era A) or -EBUSY (visorinput) without completing; that is not
// modelled here, so visorbus never sees a "not started" answer from this driver.
// Choice: entry points before PROBE (other than PROBE) and after REMOVE are ignored: visorbus calls
// pause/resume/remove only on a bound device.

import { setup } from 'xstate';
import { KEYBOARD_CHANNEL, MOUSE_CHANNEL } from '../src/kinds/input/channel.js';
import {
  channelTypeMatch,
  initialVisorDriverContext,
  visorDriverActions,
  visorDriverTypes,
  type VisorDriverRegistration,
} from './visor-driver.logic.js';

/**
 * visorconinclient's `channel_types` table: keyboard (c73416d0-…) and mouse (addf07d4-…),
 * version 1 and at least the 128-byte header, from the catalogue.
 */
export const VISORCONINCLIENT_DRIVER: VisorDriverRegistration = {
  name: 'visorconinclient',
  channelTypes: [channelTypeMatch(KEYBOARD_CHANNEL), channelTypeMatch(MOUSE_CHANNEL)],
};

/** The visorconinclient machine: one actor per bound keyboard or mouse device (input: address). */
export const visorconinclientMachine = setup({
  types: visorDriverTypes,
  actions: visorDriverActions,
}).createMachine({
  id: 'visorconinclient',
  context: initialVisorDriverContext,
  initial: 'matched',
  states: {
    matched: {
      description: 'visorbus matched the device to this driver; probe has not run yet.',
      on: {
        PROBE: {
          target: 'running',
          actions: ['reportProbed', 'enableChannelInterrupts', 'pollChannelLater'],
        },
      },
    },
    running: {
      description:
        'Bound and polled every 10 jiffies (delay channelPoll); a tick reads no input reports yet.',
      on: {
        CHANNEL_INTERRUPT: { actions: ['countChannelInterrupt', 'pollChannelLater'] },
        PAUSE: { target: 'paused', actions: ['reportPauseStarted', 'completeStateChange'] },
        RESUME: { actions: ['reportResumeStarted', 'completeStateChange'] },
        REMOVE: { target: 'removed', actions: ['stopChannelPoll', 'reportRemoved'] },
      },
    },
    paused: {
      description: 'Paused (upstream `paused` flag): poll ticks are ignored, polling goes on.',
      on: {
        CHANNEL_INTERRUPT: { actions: ['pollChannelLater'] },
        PAUSE: { actions: ['reportPauseStarted', 'completeStateChange'] },
        RESUME: { target: 'running', actions: ['reportResumeStarted', 'completeStateChange'] },
        REMOVE: { target: 'removed', actions: ['stopChannelPoll', 'reportRemoved'] },
      },
    },
    removed: {
      description: 'remove returned; polling stopped and the actor is done.',
      type: 'final',
    },
  },
});
