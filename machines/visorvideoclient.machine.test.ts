// visorvideoclient machine (spar-protocol.md §5.4, §3.5, §7): the shared driver contract
// (`visor-driver.contract.ts`) with no channel polling (as upstream), plus its own registration.

import { describe, expect, it } from 'vitest';
import { describeVisorDriverContract } from './visor-driver.contract.js';
import { VISORVIDEOCLIENT_DRIVER, visorvideoclientMachine } from './visorvideoclient.machine.js';
import { VIDEO_CHANNEL } from '../src/kinds/video/channel.js';

describeVisorDriverContract({
  module: 'visorvideoclient',
  machine: visorvideoclientMachine,
  registration: VISORVIDEOCLIENT_DRIVER,
  pollsChannel: false,
});

describe('visorvideoclient machine', () => {
  it("registers for the console video channel with the catalogue's version and size", () => {
    expect(VISORVIDEOCLIENT_DRIVER).toEqual({
      name: 'visorvideoclient',
      channelTypes: [
        { guid: '3cd6e705-d6a2-4aa5-ad5c-7b08889dffe2', minSizeBytes: 128, version: 1 },
      ],
    });
    expect(VISORVIDEOCLIENT_DRIVER.channelTypes[0]?.guid).toBe(VIDEO_CHANNEL.guid);
  });
});
