// The console kind: a guest's serial console channel, served by the command partition
// (spar-protocol.md §1.8, §5.1). Choice: spar-sim has no visorserial yet (its own issue), so the
// device is created and stays unbound.

import type { DeviceKind } from '../kind.js';
import { CONSOLE_SERIAL_CHANNEL } from './channel.js';

/** The console kind: the console serial channel. */
export const consoleKind: DeviceKind = {
  name: 'console',
  summary:
    "A guest's serial console channel, served by the command partition (§5.1); no driver yet.",
  channels: [{ type: CONSOLE_SERIAL_CHANNEL, server: 'command', dmaWindowBytes: 0 }],
  machines: [],
};
