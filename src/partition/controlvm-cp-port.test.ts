// Both ends of a controlvm channel in the sim runtime: the command partition's port sends, the
// guest's port acks and answers, the command partition collects both by message handle.

import { describe, expect, test } from 'vitest';
import { Channel, createChannel, Doorbell } from '../channel/index.js';
import { CONTROLVM_FLAG, CONTROLVM_ID, encodeControlvmMessage } from '../protocol/controlvm.js';
import { SimWorld } from '../runtime/sim/index.js';
import { ControlvmCpPort } from './controlvm-cp-port.js';
import { ControlvmGuestPort } from './controlvm-port.js';
import { CONTROLVM_CHANNEL } from '../channel/index.js';

function ends() {
  const buffer = createChannel(CONTROLVM_CHANNEL);
  const attach = () => {
    const attached = Channel.attachAs(buffer, CONTROLVM_CHANNEL);
    if (!attached.ok) throw new Error(attached.error.message);
    return attached.value;
  };
  const bell = Doorbell.allocate();
  const world = new SimWorld({ seed: 3 });
  const cp = new ControlvmCpPort(attach(), bell, world.environment('cp'));
  const guest = new ControlvmGuestPort(attach(), bell, world.environment('guest1'));
  return { world, bell, cp, guest };
}

describe('controlvm cp port', () => {
  test('smoke: a command sent by the CP reaches the guest, whose ack and response the CP collects', () => {
    const { world, bell, cp, guest } = ends();
    let guestWoken = 0;
    world.environment('guest1').onRing(bell, 'client', () => guestWoken++);
    const message = encodeControlvmMessage({
      id: CONTROLVM_ID.CONTROLVM_CHIPSET_INIT,
      messageHandle: 11n,
      flags: CONTROLVM_FLAG.responseExpected,
    });
    expect(cp.send(message)).toBe('inserted');
    world.scheduler.runUntilQuiet(10);
    expect(guestWoken).toBe(1);
    const [command] = guest.poll().commands;
    expect(command?.messageHandle).toBe('11');
    guest.respond({
      id: CONTROLVM_ID.CONTROLVM_CHIPSET_INIT,
      messageHandle: '11',
      status: 0,
      failed: false,
      features: 3,
    });
    const replies = cp.collect();
    expect(replies.acks.map((h) => h.messageHandle)).toEqual([11n]);
    expect(replies.responses.map((h) => [h.id, h.messageHandle, h.completionStatus])).toEqual([
      [0x301, 11n, 0],
    ]);
    expect(cp.collect().responses).toEqual([]);
  });

  test('a full event queue refuses the 64th command with overflow, for the CP to retry', () => {
    const { cp } = ends();
    const message = encodeControlvmMessage({
      id: CONTROLVM_ID.CONTROLVM_CHIPSET_READY,
      messageHandle: 1n,
      flags: 0,
    });
    for (let i = 0; i < 63; i++) expect(cp.send(message)).toBe('inserted');
    expect(cp.send(message)).toBe('overflow');
  });
});
