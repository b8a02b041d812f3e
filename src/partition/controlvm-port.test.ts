// The guest's controlvm channel I/O (spar-protocol.md §2.5) on a real channel in the sim runtime.

import { describe, expect, test } from 'vitest';
import { Channel, createChannel, Doorbell } from '../channel/index.js';
import {
  CONTROLVM_FLAG,
  CONTROLVM_ID,
  CONTROLVM_QUEUE_ACK,
  CONTROLVM_QUEUE_EVENT,
  CONTROLVM_QUEUE_REQUEST,
  CONTROLVM_QUEUE_RESPONSE,
  decodeControlvmHeader,
  encodeControlvmMessage,
} from '../protocol/controlvm.js';
import { SimWorld } from '../runtime/sim/index.js';
import { CONTROLVM_MESSAGES_PER_POLL, ControlvmGuestPort } from './controlvm-port.js';
import { CONTROLVM_CHANNEL } from '../channel/index.js';

function setup(ackAfterResponse = false) {
  const attached = Channel.attachAs(createChannel(CONTROLVM_CHANNEL), CONTROLVM_CHANNEL);
  if (!attached.ok) throw new Error(attached.error.message);
  const channel = attached.value;
  const bell = Doorbell.allocate();
  const world = new SimWorld({ seed: 1 });
  const port = new ControlvmGuestPort(channel, bell, world.environment('guest1'), ackAfterResponse);
  const command = (handle: number, id: number = CONTROLVM_ID.CONTROLVM_CHIPSET_INIT) =>
    encodeControlvmMessage({
      id,
      messageHandle: BigInt(handle),
      flags: CONTROLVM_FLAG.responseExpected,
    });
  return { channel, bell, world, port, command };
}

function handlesOn(channel: Channel, queue: number): string[] {
  const slot = new Uint8Array(128);
  const out: string[] = [];
  while (channel.queue(queue).remove(slot) === 'removed') {
    const header = decodeControlvmHeader(slot);
    if (header.ok) out.push(String(header.value.messageHandle));
  }
  return out;
}

describe('controlvm guest port', () => {
  test('smoke: a poll drains queue 1, takes the commands of queue 2 and acks each on queue 3', () => {
    const { channel, port, command } = setup();
    channel.queue(CONTROLVM_QUEUE_RESPONSE).insert(command(99));
    for (const handle of [1, 2, 3]) channel.queue(CONTROLVM_QUEUE_EVENT).insert(command(handle));
    const result = port.poll();
    expect(result.discarded).toBe(1);
    expect(result.commands.map((c) => c.messageHandle)).toEqual(['1', '2', '3']);
    expect(handlesOn(channel, CONTROLVM_QUEUE_ACK)).toEqual(['1', '2', '3']);
  });

  test('with the quirk ack-after-response a poll hands its commands on unacked and acks them at the next poll', () => {
    const { channel, port, command } = setup(true);
    for (const handle of [1, 2]) channel.queue(CONTROLVM_QUEUE_EVENT).insert(command(handle));
    expect(port.poll().commands.map((c) => c.messageHandle)).toEqual(['1', '2']);
    expect(handlesOn(channel, CONTROLVM_QUEUE_ACK)).toEqual([]);
    channel.queue(CONTROLVM_QUEUE_EVENT).insert(command(3));
    expect(port.poll().commands.map((c) => c.messageHandle)).toEqual(['3']);
    expect(handlesOn(channel, CONTROLVM_QUEUE_ACK)).toEqual(['1', '2']);
  });

  test('queue 1 is drained at most 64 per poll; a full event queue (63 commands) is taken in one poll', () => {
    const { channel, port, command } = setup();
    expect(CONTROLVM_MESSAGES_PER_POLL).toBe(64);
    for (let h = 0; h < 63; h++) channel.queue(CONTROLVM_QUEUE_EVENT).insert(command(h));
    expect(port.poll().commands).toHaveLength(63);
    for (let h = 0; h < 63; h++) channel.queue(CONTROLVM_QUEUE_EVENT).insert(command(100 + h));
    handlesOn(channel, CONTROLVM_QUEUE_ACK); // the CP consumes acks between polls
    expect(port.poll().commands).toHaveLength(63);
  });

  test('a command whose ack cannot be inserted (queue 3 full) is dropped, not handled', () => {
    const { channel, port, command } = setup();
    for (let h = 0; h < 63; h++) channel.queue(CONTROLVM_QUEUE_ACK).insert(command(h)); // full
    channel.queue(CONTROLVM_QUEUE_EVENT).insert(command(7));
    const result = port.poll();
    expect(result.commands).toEqual([]);
    expect(result.droppedForAck).toBe(1);
    expect(channel.queue(CONTROLVM_QUEUE_EVENT).isEmpty()).toBe(true);
  });

  test('a test_message is consumed without an ack and ends the poll; the next poll takes what follows', () => {
    const { channel, port, command } = setup();
    const test = encodeControlvmMessage({
      id: CONTROLVM_ID.CONTROLVM_CHIPSET_INIT,
      messageHandle: 5n,
      flags: CONTROLVM_FLAG.responseExpected | CONTROLVM_FLAG.testMessage,
    });
    channel.queue(CONTROLVM_QUEUE_EVENT).insert(command(4));
    channel.queue(CONTROLVM_QUEUE_EVENT).insert(test);
    channel.queue(CONTROLVM_QUEUE_EVENT).insert(command(6));
    const first = port.poll();
    expect(first.commands.map((c) => c.messageHandle)).toEqual(['4']);
    expect(first.testMessage).toBe(true);
    expect(port.poll().commands.map((c) => c.messageHandle)).toEqual(['6']);
    expect(handlesOn(channel, CONTROLVM_QUEUE_ACK)).toEqual(['4', '6']);
  });

  test('a response goes to queue 0 with the request handle, and rings the command partition', () => {
    const { channel, bell, world, port } = setup();
    let rung = 0;
    world.environment('cp').onRing(bell, 'server', () => rung++);
    const response = {
      id: CONTROLVM_ID.CONTROLVM_BUS_CREATE,
      messageHandle: '42',
      status: 17,
      failed: true,
    };
    expect(port.respond(response)).toBe('inserted');
    world.scheduler.runUntilQuiet(100);
    expect(rung).toBe(1);
    const slot = new Uint8Array(128);
    expect(channel.queue(CONTROLVM_QUEUE_REQUEST).remove(slot)).toBe('removed');
    const header = decodeControlvmHeader(slot);
    expect(header.ok && header.value).toMatchObject({
      id: 0x101,
      messageHandle: 42n,
      completionStatus: 17,
    });
    expect(header.ok && header.value.flags & CONTROLVM_FLAG.failed).toBe(CONTROLVM_FLAG.failed);
  });
});
