// The video kind: the Partition Desktop's console video device, served by the command partition
// (spar-protocol.md §5.4); the guest binds it with visorvideoclient (the minimum driver set, §6).

import {
  VISORVIDEOCLIENT_DRIVER,
  visorvideoclientMachine,
} from '../../../machines/visorvideoclient.machine.js';
import { type DeviceKind, kindMachine } from '../kind.js';
import { VISOR_DRIVER_TRACED } from '../../partition/traced-effects.js';
import { VIDEO_CHANNEL } from './channel.js';

/** The video kind. */
export const videoKind: DeviceKind = {
  name: 'video',
  summary: "The Partition Desktop's console video device, served by the command partition (§5.4).",
  channels: [{ type: VIDEO_CHANNEL, server: 'command', dmaWindowBytes: 0 }],
  driver: { bus: 'visorbus', registration: VISORVIDEOCLIENT_DRIVER },
  machines: [
    kindMachine({
      module: 'visorvideoclient',
      machine: visorvideoclientMachine,
      summary:
        'The Era A console video driver: binds at probe, completes pause and resume at once and counts poll ticks while running (spar-protocol.md §5.4).',
      traced: VISOR_DRIVER_TRACED,
    }),
  ],
};
