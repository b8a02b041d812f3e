// virthba machine (spar-protocol.md §4.6): the shared virtpci driver contract, plus what is
// virthba's own: its registration and the resume-while-serverdown-pending quirk.

import { describe, expect, test } from 'vitest';
import { channelTypes } from '../src/channel/index.js';
import { VIRTHBA_DRIVER, virthbaMachine } from './virthba.machine.js';
import { AT, describeVirtpciDriverContract, inServerChanging, run } from './virtpci-driver.contract.js';

describeVirtpciDriverContract({ module: 'virthba', machine: virthbaMachine, registration: VIRTHBA_DRIVER });

describe('virthba machine', () => {
  test('registers as uisvirthba for the vhba channel type with fake PCI device 0x1018:0xAA00', () => {
    expect(VIRTHBA_DRIVER).toMatchObject({
      name: 'uisvirthba',
      kind: 'vhba',
      channelTypeGuid: channelTypes.vhba.guid,
      pciDeviceId: 0xaa00,
      virtpciDevtype: 0,
      devtype: 'vHBA',
    });
  });

  test('quirk resumeWhileServerdownPending: resume during the queued serverdown returns 1, and the work still takes the device down', () => {
    const quirks = { resumeWhileServerdownPending: true };
    const from = inServerChanging(virthbaMachine, quirks);
    const { snapshot, effects } = run(virthbaMachine, ['RESUME', 'SERVERDOWN_COMPLETE'], { from });
    expect(snapshot.value).toBe('serverDown');
    expect(effects).toEqual([
      { type: 'driver.resumed', ...AT, status: 1 },
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
  });

  test('the default quirk set is all off and is kept in the context as plain data', () => {
    const { snapshot } = run(virthbaMachine, []);
    expect(snapshot.context.quirks).toEqual({
      pauseWhileDownUnanswered: false,
      resumeWhileServerdownPending: false,
    });
    expect(JSON.parse(JSON.stringify(snapshot.context))).toEqual(snapshot.context);
  });
});
