// The diag kind: a guest's diagnostics channel into the s-Par log, served by the command partition
// (spar-protocol.md §1.8, §1.9, §5.3). Choice: spar-sim has no visordiag yet (its own issue), so
// the device is created and stays unbound.

import type { DeviceKind } from '../kind.js';
import { DIAG_CHANNEL } from './channel.js';

/** The diag kind: the diagnostics channel. */
export const diagKind: DeviceKind = {
  name: 'diag',
  summary: "A guest's diagnostics channel into the s-Par log (§5.3); no driver yet.",
  channels: [{ type: DIAG_CHANNEL, server: 'command', dmaWindowBytes: 0 }],
  machines: [],
};
