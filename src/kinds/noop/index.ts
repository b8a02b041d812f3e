// The noop kind: the control director device, served by the command partition; the guest binds it
// with visornoop, which does nothing (spar-protocol.md §5.6).

import { VISORNOOP_DRIVER, visornoopMachine } from '../../../machines/visornoop.machine.js';
import { type DeviceKind, kindMachine } from '../kind.js';
import { VISOR_DRIVER_TRACED } from '../../partition/traced-effects.js';
import { CONTROL_DIRECTOR_CHANNEL } from './channel.js';

/** The noop kind: the control director channel. */
export const noopKind: DeviceKind = {
  name: 'noop',
  summary: 'The control director device, bound by the do-nothing visornoop (§5.6).',
  channels: [{ type: CONTROL_DIRECTOR_CHANNEL, server: 'command', dmaWindowBytes: 0 }],
  driver: { bus: 'visorbus', registration: VISORNOOP_DRIVER },
  machines: [
    kindMachine({
      module: 'visornoop',
      machine: visornoopMachine,
      summary:
        'The Era A do-nothing driver for the control director channel: binds at probe and completes pause and resume at once (spar-protocol.md §5.6).',
      traced: VISOR_DRIVER_TRACED,
    }),
  ],
};
