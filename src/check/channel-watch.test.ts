// The channel watch: fed vhba and vnic channels whose num_sent / num_received disagree with the
// ring, client states that jump against spar-protocol.md §1.3, and memory that does not validate.

import { describe, expect, test } from 'vitest';
import {
  CH,
  CHANNELCLI_ATTACHED,
  CHANNELCLI_ATTACHING,
  CHANNELCLI_DETACHED,
  CHANNELCLI_DISABLED,
  CHANNELCLI_OWNED,
  Channel,
  createChannel,
  SIGNAL_QUEUE_HEADER_BYTES,
  SQ,
  setClientState,
} from '../channel/index.js';
import {
  CLIENT_STATE_REACHABLE,
  ChannelWatch,
  ChannelWatches,
  clientChangeIsLegal,
} from './channel-watch.js';
import { VHBA_CHANNEL } from '../kinds/vhba/channel.js';
import { CONTROLVM_CHANNEL } from '../channel/index.js';
import { VNIC_CHANNEL } from '../kinds/vnic/channel.js';
import { channelTypeOf } from '../kinds/index.js';

/** A fresh `type` channel, a watch on it and the channel as a client would use it. */
function watched(type: 'vhba' | 'vnic') {
  const buffer = createChannel(channelTypeOf(type));
  const watch = ChannelWatch.attach(type, buffer, channelTypeOf(type));
  if (!(watch instanceof ChannelWatch)) throw new Error(watch.text);
  const channel = Channel.attachAs(buffer, channelTypeOf(type));
  if (!channel.ok) throw new Error(channel.error.message);
  return { buffer, watch, channel: channel.value, memory: channel.value.memory };
}

const forceClientState = (memory: Channel['memory'], value: number) =>
  Atomics.store(memory.i32, CH.cliStateOs / 4, value);

describe('channel watch', () => {
  test('smoke: signals inserted and removed on both queues keep the counters equal to occupancy', () => {
    const { watch, channel } = watched('vhba');
    for (let i = 0; i < 5; i++) channel.queue(0).insert(new Uint8Array([i]));
    channel.queue(1).insert(new Uint8Array([9]));
    expect(channel.queue(0).remove(new Uint8Array(4096))).toBe('removed'); // ≥ one slot's bytes
    expect(watch.check(1)).toEqual([]);
  });

  test.each<'vhba' | 'vnic'>(['vhba', 'vnic'])(
    'a %s queue whose num_sent disagrees with the ring breaks the channel invariants',
    (type) => {
      const { watch, channel, memory } = watched(type);
      for (let i = 0; i < 3; i++) channel.queue(1).insert(new Uint8Array([i]));
      const queue1 = channelTypeOf(type).chSpaceOffsetBytes + SIGNAL_QUEUE_HEADER_BYTES;
      memory.writeU64(queue1 + SQ.numSent, 4n);
      expect(watch.check(2).map((f) => f.text)).toEqual([
        `${type} queue 1 at 2 ms: num_sent 4 − num_received 0 = 4, occupancy 3, max_slots ${channel.queue(1).slotCount}`,
      ]);
    },
  );

  test('a consumer that counts more signals received than were sent breaks the channel invariants', () => {
    const { watch, memory } = watched('vhba');
    memory.writeU64(VHBA_CHANNEL.chSpaceOffsetBytes + SQ.numReceived, 1n);
    expect(watch.check(3).map((f) => f.key)).toEqual(['vhba/queue0']);
  });

  test('a client state that leaves DISABLED for ATTACHED is a jump not along §1.3', () => {
    const { watch, memory } = watched('vhba');
    expect(setClientState(memory, 'os', CHANNELCLI_DISABLED).ok).toBe(true);
    expect(watch.check(1)).toEqual([]);
    forceClientState(memory, CHANNELCLI_ATTACHED);
    expect(watch.check(2)).toEqual([
      {
        key: 'vhba/os/1-3',
        text: 'vhba at 2 ms: cli_state_os DISABLED → ATTACHED, not along §1.3',
      },
    ]);
  });

  test('a change between two samples that legal steps reach is not a finding (DETACHED → ATTACHING → ATTACHED)', () => {
    const { watch, memory } = watched('vnic');
    expect(setClientState(memory, 'os', CHANNELCLI_ATTACHING).ok).toBe(true);
    expect(setClientState(memory, 'os', CHANNELCLI_ATTACHED).ok).toBe(true);
    expect(watch.check(1)).toEqual([]);
  });

  test('a client state outside the enum breaks the channel invariants', () => {
    const { watch, memory } = watched('vhba');
    forceClientState(memory, 9);
    expect(watch.check(4)).toEqual([
      { key: 'vhba/os', text: 'vhba at 4 ms: cli_state_os is not a client state' },
    ]);
  });

  test('the §1.3 reachability table: OWNED is final, DISABLED reaches only OWNED, DETACHED reaches ATTACHED', () => {
    expect([...(CLIENT_STATE_REACHABLE.get(CHANNELCLI_OWNED) ?? [])]).toEqual([]);
    expect([...(CLIENT_STATE_REACHABLE.get(CHANNELCLI_DISABLED) ?? [])]).toEqual([
      CHANNELCLI_OWNED,
    ]);
    expect(clientChangeIsLegal(CHANNELCLI_DETACHED, CHANNELCLI_ATTACHED)).toBe(true);
    expect(clientChangeIsLegal(CHANNELCLI_OWNED, CHANNELCLI_DETACHED)).toBe(false);
    expect(clientChangeIsLegal(CHANNELCLI_OWNED, CHANNELCLI_OWNED)).toBe(true);
  });

  test.each<string>(['controlvm', 'diag'])(
    'a %s channel is not an IO channel: watching it as a vhba channel is a finding',
    (type) => {
      const watch = ChannelWatch.attach('ch', createChannel(channelTypeOf(type)), VHBA_CHANNEL);
      expect(watch).toMatchObject({
        key: 'ch',
        text: expect.stringMatching(/^ch: does not validate: /),
      });
    },
  );

  test('a vhba channel watched as vnic does not validate', () => {
    const watch = ChannelWatch.attach('ch', createChannel(VHBA_CHANNEL), VNIC_CHANNEL);
    expect(watch instanceof ChannelWatch).toBe(false);
  });

  test('a set of watches reports each broken invariant once, however long it stays broken', () => {
    const watches = new ChannelWatches();
    const { buffer, memory } = watched('vhba');
    expect(watches.add('a', buffer, VHBA_CHANNEL)).toEqual([]);
    const controlvm = () => createChannel(CONTROLVM_CHANNEL);
    expect(watches.add('bad', controlvm(), VHBA_CHANNEL)).toHaveLength(1);
    expect(watches.add('bad', controlvm(), VHBA_CHANNEL), 'reported before').toEqual([]);
    memory.writeU64(VHBA_CHANNEL.chSpaceOffsetBytes + SQ.numSent, 7n);
    expect(watches.checkAll(1).map((f) => f.key)).toEqual(['a/queue0']);
    expect(watches.checkAll(2)).toEqual([]);
    expect(watches.check('a', 3)).toEqual([]);
    expect(watches.check('unknown', 3)).toEqual([]);
  });
});
