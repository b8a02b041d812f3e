// virtnic machine (spar-protocol.md §4.7): the shared virtpci driver contract, plus what is
// virtnic's own: its registration and the link state (carrier, ENBDIS ack).

import { describe, expect, test } from 'vitest';
import { channelTypes } from '../src/channel/index.js';
import { VIRTNIC_DRIVER, virtnicMachine } from './virtnic.machine.js';
import { AT, describeVirtpciDriverContract, inServerChanging, run } from './virtpci-driver.contract.js';

describeVirtpciDriverContract({
  module: 'virtnic',
  machine: virtnicMachine,
  registration: VIRTNIC_DRIVER,
  extraEvents: ['ENBDIS_ACK'],
});

const link = (carrier: boolean, awaitingEnbdisAck: boolean) => ({ carrier, awaitingEnbdisAck });

describe('virtnic machine', () => {
  test('registers as uisvirtnic for the vnic channel type with fake PCI device 0x1018:0xAB00', () => {
    expect(VIRTNIC_DRIVER).toMatchObject({
      name: 'uisvirtnic',
      kind: 'vnic',
      channelTypeGuid: channelTypes.vnic.guid,
      pciDeviceId: 0xab00,
      virtpciDevtype: 1,
      devtype: 'vNIC',
    });
  });

  test('serverup waits for the ENBDIS ack before the carrier comes on; serverdown drops it', () => {
    const steps: [Parameters<typeof run>[1], ReturnType<typeof link>][] = [
      [['PROBE'], link(false, false)],
      [['PROBE', 'ENBDIS_ACK'], link(false, false)], // not awaited: ignored
      [['PROBE', 'SUSPEND', 'RESUME'], link(false, true)],
      [['PROBE', 'SUSPEND', 'RESUME', 'ENBDIS_ACK'], link(true, false)],
      [['PROBE', 'SUSPEND', 'RESUME', 'ENBDIS_ACK', 'SUSPEND'], link(false, false)],
    ];
    for (const [events, expected] of steps) {
      expect(run(virtnicMachine, events).snapshot.context, events.join(',')).toMatchObject(expected);
    }
  });

  test('an ack that arrives while down is ignored, and the pause stays answered exactly once', () => {
    const { snapshot, effects } = run(virtnicMachine, ['PROBE', 'SUSPEND', 'ENBDIS_ACK']);
    expect(snapshot.value).toBe('serverDown');
    expect(snapshot.context).toMatchObject(link(false, false));
    expect(effects.filter((e) => e.type === 'driver.pauseResponse')).toEqual([
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
  });

  test('a serverdown while the ack is still awaited cancels the wait: carrier stays off', () => {
    const { snapshot } = run(virtnicMachine, ['PROBE', 'SUSPEND', 'RESUME', 'SUSPEND', 'ENBDIS_ACK']);
    expect(snapshot.value).toBe('serverDown');
    expect(snapshot.context).toMatchObject(link(false, false));
  });

  test('resume while the serverdown work is queued returns 0 even with the virthba quirk on (virtnic tests "changing" first)', () => {
    const from = inServerChanging(virtnicMachine, { resumeWhileServerdownPending: true });
    const { snapshot, effects } = run(virtnicMachine, ['RESUME'], { from });
    expect(snapshot.value).toBe('serverChanging');
    expect(effects).toEqual([{ type: 'driver.resumed', ...AT, status: 0 }]);
  });
});
