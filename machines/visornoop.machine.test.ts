// visornoop machine (spar-protocol.md §5.6, §3.5): the shared driver contract
// (`visor-driver.contract.ts`) with no channel polling, plus visornoop's own registration.

import { describe, expect, it } from 'vitest';
import { describeVisorDriverContract } from './visor-driver.contract.js';
import { VISORNOOP_DRIVER, visornoopMachine } from './visornoop.machine.js';

describeVisorDriverContract({
  module: 'visornoop',
  machine: visornoopMachine,
  registration: VISORNOOP_DRIVER,
  pollsChannel: false,
});

describe('visornoop machine', () => {
  it('registers for the control director channel with a 1-byte minimum (§1.8)', () => {
    expect(VISORNOOP_DRIVER).toEqual({
      name: 'visornoop',
      channelTypes: [{ guid: '5b52c5ac-e5f5-4d42-8dff-429eaecd221f', minSizeBytes: 1, version: 1 }],
    });
  });
});
