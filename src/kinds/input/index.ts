// The input kind: the Partition Desktop's keyboard and mouse, served by the command partition
// (spar-protocol.md §5.5, §1.9); the guest binds both with visorconinclient, which polls them.

import {
  VISORCONINCLIENT_DRIVER,
  visorconinclientMachine,
} from '../../../machines/visorconinclient.machine.js';
import { type DeviceKind, kindMachine } from '../kind.js';
import { VISOR_DRIVER_TRACED } from '../../partition/traced-effects.js';
import { KEYBOARD_CHANNEL, MOUSE_CHANNEL } from './channel.js';

/** The input kind: keyboard and mouse. */
export const inputKind: DeviceKind = {
  name: 'input',
  summary: "The Partition Desktop's keyboard and mouse, served by the command partition (§5.5).",
  channels: [
    { type: KEYBOARD_CHANNEL, server: 'command', dmaWindowBytes: 0 },
    { type: MOUSE_CHANNEL, server: 'command', dmaWindowBytes: 0 },
  ],
  driver: { bus: 'visorbus', registration: VISORCONINCLIENT_DRIVER },
  machines: [
    kindMachine({
      module: 'visorconinclient',
      machine: visorconinclientMachine,
      summary:
        'The Era A keyboard and mouse driver: binds at probe, polls its channel every 10 jiffies and completes pause and resume at once (spar-protocol.md §5.5).',
      traced: VISOR_DRIVER_TRACED,
    }),
  ],
};
