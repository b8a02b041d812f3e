// Controlvm command decoding and response encoding (spar-protocol.md §2.3, §2.4, §2.6). Expected
// values are written out literally, not derived from the layout descriptors.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { StructView } from '../base/struct.js';
import {
  CONTROLVM_FLAG,
  CONTROLVM_ID,
  decodeControlvmHeader,
  encodeControlvmMessage,
} from './controlvm.js';
import { decodeControlvmCommand, encodeControlvmResponse } from './controlvm-command.js';
import { controlvmMessage } from './controlvm-layout.js';

const GUID_A = '414815ed-c58c-11da-95a9-00e08161165f';
const GUID_B = '8cd5994d-c58e-11da-95a9-00e08161165f';
const HANDLE = 0xfedc_ba98_7654_3210n;

function decoded(bytes: Uint8Array) {
  const result = decodeControlvmCommand(bytes);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('controlvm-command', () => {
  test('smoke: a CHIPSET_INIT slot decodes to a plain command', () => {
    const bytes = encodeControlvmMessage(
      {
        id: CONTROLVM_ID.CONTROLVM_CHIPSET_INIT,
        messageHandle: 7n,
        flags: CONTROLVM_FLAG.responseExpected,
      },
      (v) => {
        v.set('cmd.init_chipset.bus_count', 23);
        v.set('cmd.init_chipset.features', 0x3);
      },
    );
    expect(decoded(bytes)).toEqual({
      id: 0x301,
      messageHandle: '7',
      flags: { responseExpected: true, server: false, testMessage: false },
      payloadBytes: 0,
      packet: {
        kind: 'init_chipset',
        busCount: 23,
        switchCount: 0,
        features: 3,
        platformNumber: 0,
      },
    });
  });

  test('BUS_CREATE keeps u64 values exact as decimal strings and GUIDs as strings', () => {
    const bytes = encodeControlvmMessage(
      {
        id: CONTROLVM_ID.CONTROLVM_BUS_CREATE,
        messageHandle: HANDLE,
        flags: CONTROLVM_FLAG.server,
      },
      (v) => {
        v.set('cmd.create_bus.bus_no', 3);
        v.set('cmd.create_bus.dev_count', 16);
        v.set64('cmd.create_bus.channel_addr', 0xffff_ffff_ffff_f000n);
        v.set64('cmd.create_bus.channel_bytes', 768n);
        v.setGuid('cmd.create_bus.bus_data_type_guid', GUID_A);
        v.setGuid('cmd.create_bus.bus_inst_guid', GUID_B);
      },
    );
    const command = decoded(bytes);
    expect(command.messageHandle).toBe('18364758544493064720');
    expect(command.flags).toEqual({ responseExpected: false, server: true, testMessage: false });
    expect(command.packet).toEqual({
      kind: 'create_bus',
      busNo: 3,
      devCount: 16,
      channelAddr: '18446744073709547520',
      channelBytes: '768',
      busDataTypeGuid: GUID_A,
      busInstGuid: GUID_B,
    });
    expect(JSON.parse(JSON.stringify(command))).toEqual(command);
  });

  test('DEVICE_CREATE, DEVICE_CHANGESTATE (phys_device) and the test_message flag decode', () => {
    const create = encodeControlvmMessage({ id: 0x201, messageHandle: 1n, flags: 0 }, (v) => {
      v.set('cmd.create_device.bus_no', 1);
      v.set('cmd.create_device.dev_no', 2);
      v.setGuid('cmd.create_device.data_type_guid', GUID_A);
      v.set('cmd.create_device.intr.recv_irq_vector', 0x3f);
    });
    expect(decoded(create).packet).toMatchObject({
      kind: 'create_device',
      busNo: 1,
      devNo: 2,
      dataTypeGuid: GUID_A,
    });
    expect(decoded(create).packet).toMatchObject({
      intr: { recvIrqHandle: '0', recvIrqVector: 63, recvIrqShared: 0 },
    });
    const change = encodeControlvmMessage(
      { id: 0x204, messageHandle: 2n, flags: CONTROLVM_FLAG.testMessage },
      (v) => {
        v.set('cmd.device_change_state.bus_no', 1);
        v.set('cmd.device_change_state.dev_no', 9);
        v.set('cmd.device_change_state.state', 0x73);
        v.set('cmd.device_change_state.flags.phys_device', 0xffff_ffff); // reserved bits set too
      },
    );
    expect(decoded(change).flags.testMessage).toBe(true);
    const packet = {
      kind: 'device_change_state',
      busNo: 1,
      devNo: 9,
      state: 0x73,
      physDevice: true,
    };
    expect(decoded(change).packet).toEqual(packet);
  });

  test.each([
    [0x105, 'BUS_CHANGESTATE'],
    [0x206, 'DEVICE_RECONFIGURE'],
    [0x304, 'CHIPSET_READY'],
    [0x221, 'DISK_CREATE'],
    [0xdead, 'an unknown id'],
  ])('id 0x%s (%s) has no packet of its own: kind other', (id) => {
    expect(decoded(encodeControlvmMessage({ id, messageHandle: 1n, flags: 0 })).packet).toEqual({
      kind: 'other',
    });
  });

  test('a short buffer is a typed error naming its length', () => {
    const result = decodeControlvmCommand(new Uint8Array(127));
    const message = 'controlvm message is 127 bytes, expected 128';
    expect(result).toEqual({ ok: false, error: { code: 'short-message', message } });
  });

  test('a DEVICE_CHANGESTATE response carries bus, dev and state, and failure sets failed (§2.6)', () => {
    const bytes = encodeControlvmResponse({
      id: 0x204,
      messageHandle: HANDLE.toString(),
      status: 16,
      failed: true,
      busNo: 1,
      devNo: 2,
      state: 0x73,
    });
    expect(bytes.length).toBe(128);
    expect(decodeControlvmHeader(bytes)).toEqual({
      ok: true,
      value: {
        id: 0x204,
        messageHandle: HANDLE,
        completionStatus: 16,
        flags: 0x3,
        payloadBytes: 0,
      },
    });
    const back = decoded(bytes);
    expect(back.packet).toEqual({
      kind: 'device_change_state',
      busNo: 1,
      devNo: 2,
      state: 0x73,
      physDevice: false,
    });
  });

  test('a CHIPSET_INIT response carries the features; a para-hotplug reply sets phys_device', () => {
    const init = encodeControlvmResponse({
      id: 0x301,
      messageHandle: '5',
      status: 0,
      failed: false,
      features: 3,
    });
    expect(decoded(init).packet).toMatchObject({ kind: 'init_chipset', features: 3 });
    expect(decoded(init).flags).toEqual({
      responseExpected: true,
      server: false,
      testMessage: false,
    });
    const hotplug = encodeControlvmResponse({
      id: 0x204,
      messageHandle: '6',
      status: 1400,
      failed: true,
      state: 0x71,
      physDevice: true,
    });
    const packet = {
      kind: 'device_change_state',
      busNo: 0,
      devNo: 0,
      state: 0x71,
      physDevice: true,
    };
    expect(decoded(hotplug).packet).toEqual(packet);
    expect(new StructView(controlvmMessage, hotplug).get('hdr.completion_status')).toBe(1400);
  });

  test('decode(encode(response)) keeps id, handle, status and failed for any response', () => {
    const response = fc.record({
      id: fc.integer({ min: 0, max: 0xffff_ffff }),
      messageHandle: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String),
      status: fc.integer({ min: 0, max: 0xffff_ffff }),
      failed: fc.boolean(),
    });
    fc.assert(
      fc.property(response, (r) => {
        const header = decodeControlvmHeader(encodeControlvmResponse(r));
        expect(header.ok && header.value.messageHandle.toString()).toBe(r.messageHandle);
        expect(header.ok && header.value.completionStatus).toBe(r.status);
        expect(header.ok && (header.value.flags & CONTROLVM_FLAG.failed) !== 0).toBe(r.failed);
      }),
    );
  });

  test('hostile bytes of any length decode to a command or a typed error, never a throw', () => {
    const anyLength = fc.uint8Array({ minLength: 0, maxLength: 200 });
    const slot = fc.oneof(anyLength, fc.uint8Array({ minLength: 128, maxLength: 128 }));
    const knownId = fc.constantFrom(...Object.values(CONTROLVM_ID));
    const withKnownId = fc
      .tuple(fc.uint8Array({ minLength: 128, maxLength: 128 }), knownId)
      .map(([b, id]) => {
        new DataView(b.buffer).setUint32(0, id, true);
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(slot, withKnownId), (bytes) => {
        const result = decodeControlvmCommand(bytes);
        if (!result.ok) {
          expect(bytes.length).toBeLessThan(128);
          expect(result.error.code).toBe('short-message');
          return;
        }
        expect(JSON.parse(JSON.stringify(result.value))).toEqual(result.value);
      }),
      { numRuns: 500 },
    );
  });
});
