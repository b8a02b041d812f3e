// Server-side initialisation of every channel type (spar-protocol.md §1.5, §1.8, §1.9).

import { describe, expect, test } from 'vitest';
import { guidToBytes } from '../base/guid.js';
import { StructView } from '../base/struct.js';
import { visorControlvmChannel } from '../protocol/controlvm-layout.js';
import { Channel, createChannel } from './channel.js';
import { MIN_IO_CHANNEL_SIZE } from './channel-types.js';
import { CH, SQ } from './layout.js';
import { VHBA_CHANNEL } from '../kinds/vhba/channel.js';
import { CONTROLVM_CHANNEL } from './index.js';
import { VNIC_CHANNEL } from '../kinds/vnic/channel.js';
import { channelTypeOf } from '../kinds/index.js';
import { DEVICE_CHANNEL_TYPES } from '../kinds/index.js';

const names = ['controlvm', 'vbus', ...DEVICE_CHANNEL_TYPES];

describe('channel creation', () => {
  test('smoke: every channel starts with the bytes "ECNL" and a 128-byte header size', () => {
    const buffer = createChannel(CONTROLVM_CHANNEL);
    expect(Array.from(new Uint8Array(buffer, 0, 8))).toEqual([0x45, 0x43, 0x4e, 0x4c, 0, 0, 0, 0]);
    expect(new DataView(buffer).getUint32(12, true)).toBe(128);
  });

  test.each(names)(
    'a new %s channel passes the guest checks for its type, with its queues attached',
    (name) => {
      const type = channelTypeOf(name);
      const buffer = createChannel(type);
      expect(new Uint8Array(buffer, CH.chtype, 16)).toEqual(guidToBytes(type.guid));
      const attached = Channel.attachAs(buffer, type);
      expect(attached.ok).toBe(true);
      if (!attached.ok) return;
      expect(attached.value.queueCount).toBe(type.queues(type.defaultSizeBytes).length);
      const header = attached.value.header();
      expect(header.get('version_id')).toBe(type.versionId);
      expect(header.get('srv_state')).toBe(1);
      expect(header.get64('ch_space_offset')).toBe(BigInt(type.chSpaceOffsetBytes));
    },
  );

  test('queue q header sits at ch_space_offset + q*128 with head = tail = 0 and max_signals = max_slots - 1', () => {
    const buffer = createChannel(CONTROLVM_CHANNEL);
    const data = new DataView(buffer);
    for (let q = 0; q < 4; q++) {
      const at = 3072 + q * 128;
      expect(data.getUint32(at + SQ.signalSize, true)).toBe(128);
      expect(data.getUint32(at + SQ.maxSlots, true)).toBe(64);
      expect(data.getUint32(at + SQ.maxSignals, true)).toBe(63);
      expect(data.getUint32(at + SQ.head, true)).toBe(0);
      expect(data.getUint32(at + SQ.tail, true)).toBe(0);
      // slot 0 of queue q is message pool q (request_msg, response_msg, event_msg, event_ack_msg)
      expect(at + Number(data.getBigUint64(at + SQ.sigBaseOffset, true))).toBe(3584 + q * 8192);
    }
  });

  test('the controlvm fixed fields the server fills are at the offsets of visor_controlvm_channel', () => {
    const view = StructView.at(visorControlvmChannel, createChannel(CONTROLVM_CHANNEL), 0);
    expect(view.get('message_bytes')).toBe(128);
    expect(view.get('message_count')).toBe(64);
    expect(view.get('saved_crash_message_count')).toBe(2);
    expect(view.get('saved_crash_message_offset')).toBe(
      visorControlvmChannel.field('saved_crash_msg').offset,
    );
  });

  test('an IO channel of MIN_IO_CHANNEL_SIZE gets (size - 1472)/2/1216 = 65 slots per queue, cmd slots at 1472', () => {
    const buffer = createChannel(VHBA_CHANNEL);
    expect(buffer.byteLength).toBe(MIN_IO_CHANNEL_SIZE);
    const data = new DataView(buffer);
    expect(data.getUint32(128 + SQ.maxSlots, true)).toBe(65);
    expect(128 + Number(data.getBigUint64(128 + SQ.sigBaseOffset, true))).toBe(1472);
    expect(256 + Number(data.getBigUint64(256 + SQ.sigBaseOffset, true))).toBe(1472 + 65 * 1216);
  });

  test('identity fields from the configuration land in the header; serverNotReady leaves srv_state 0', () => {
    const buffer = createChannel(VNIC_CHANNEL, {
      partitionHandle: 7n,
      handle: 3n,
      serverNotReady: true,
    });
    const attached = Channel.attachAs(buffer, VNIC_CHANNEL);
    expect(attached.ok).toBe(true);
    if (!attached.ok) return;
    expect(attached.value.header().get64('partition_handle')).toBe(7n);
    expect(attached.value.header().get64('handle')).toBe(3n);
    expect(attached.value.header().get('srv_state')).toBe(0);
  });
});
