// Ready-made configurations for tests, demos and the first scenarios (spar-protocol.md §3.7
// numbering, §6 minimum driver set). Each is a valid `Config` as it stands.

import type { Config } from './config.js';

/**
 * The smallest guest that boots the minimum driver set (visorchipset, visorbus,
 * visorvideoclient, visorconinclient): a command partition `cp` and a guest `guest1` whose
 * bus 1 — the console bus of §3.7 — holds the console video device (dev 0), the keyboard
 * (dev 1) and the mouse (dev 2), all served by `cp`.
 */
export function minimalGuestConfig(): Config {
  return {
    jiffyMs: 1,
    partitions: [
      { name: 'cp', kind: 'command', index: 0, buses: [], devices: [] },
      {
        name: 'guest1',
        kind: 'guest',
        index: 1,
        buses: [{ busNo: 1, deviceCount: 3 }],
        devices: [
          { busNo: 1, devNo: 0, channelType: 'video', server: 'cp' },
          { busNo: 1, devNo: 1, channelType: 'keyboard', server: 'cp' },
          { busNo: 1, devNo: 2, channelType: 'mouse', server: 'cp' },
        ],
      },
    ],
  };
}

/**
 * A guest with IO devices: `cp`, the IO service partition `iosp0`, and `guest1` whose bus 1
 * holds a virtual HBA (dev 0) and a virtual NIC (dev 1), both served by `iosp0`.
 */
export function ioGuestConfig(): Config {
  return {
    jiffyMs: 1,
    partitions: [
      { name: 'cp', kind: 'command', index: 0, buses: [], devices: [] },
      { name: 'iosp0', kind: 'iosp', index: 1, buses: [], devices: [] },
      {
        name: 'guest1',
        kind: 'guest',
        index: 2,
        buses: [{ busNo: 1, deviceCount: 2 }],
        devices: [
          { busNo: 1, devNo: 0, channelType: 'vhba', server: 'iosp0' },
          { busNo: 1, devNo: 1, channelType: 'vnic', server: 'iosp0' },
        ],
      },
    ],
  };
}
