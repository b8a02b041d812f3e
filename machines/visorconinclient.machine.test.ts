// visorconinclient machine (spar-protocol.md §5.5, §3.5, §7): the shared driver contract
// (`visor-driver.contract.ts`) with channel polling enabled by probe, plus its own registration.

import { describe, expect, it } from 'vitest';
import { describeVisorDriverContract } from './visor-driver.contract.js';
import { VISORCONINCLIENT_DRIVER, visorconinclientMachine } from './visorconinclient.machine.js';

describeVisorDriverContract({
  module: 'visorconinclient',
  machine: visorconinclientMachine,
  registration: VISORCONINCLIENT_DRIVER,
  pollsChannel: true,
});

describe('visorconinclient machine', () => {
  it('registers for the keyboard and mouse channels, version 1, at least 128 bytes (§1.8)', () => {
    expect(VISORCONINCLIENT_DRIVER).toEqual({
      name: 'visorconinclient',
      channelTypes: [
        { guid: 'c73416d0-b0b8-44af-b304-9d2ae99f1b3d', minSizeBytes: 128, version: 1 },
        { guid: 'addf07d4-94a9-46e2-81c3-61abcdbdbd87', minSizeBytes: 128, version: 1 },
      ],
    });
  });
});
