// Controlvm request encoding (spar-protocol.md §2.3, §2.4). Byte offsets are written out
// literally from the reference tables, not derived from the layout descriptors.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CONTROLVM_ID as ID } from './controlvm.js';
import { decodeControlvmCommand, type ControlvmPacket } from './controlvm-command.js';
import {
  busConfigureRequest,
  busCreateRequest,
  chipsetInitRequest,
  deviceChangeStateRequest,
  deviceCreateRequest,
  deviceDestroyRequest,
  encodeControlvmRequest,
  type ControlvmRequest,
} from './controlvm-request.js';

const VBUS = '193b331b-c58f-11da-95a9-00e08161165f';
const INST = '0123abcd-4567-589a-8bcd-ef0123456789';
const FLAGS = { responseExpected: true, server: false, testMessage: false };

const request = (id: number, packet: ControlvmPacket, messageHandle = '1'): ControlvmRequest => ({
  id,
  messageHandle,
  flags: FLAGS,
  payloadBytes: 0,
  packet,
});

const dv = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

describe('controlvm-request', () => {
  test('smoke: CHIPSET_INIT lands at the §2.3/§2.4 offsets', () => {
    const bytes = encodeControlvmRequest(
      request(
        ID.CONTROLVM_CHIPSET_INIT,
        {
          kind: 'init_chipset',
          busCount: 1,
          switchCount: 0,
          features: 0x2,
          platformNumber: 0,
        },
        '42',
      ),
    );
    const v = dv(bytes);
    expect(bytes.length).toBe(128);
    expect(v.getUint32(0, true)).toBe(0x301); // hdr.id
    expect(v.getUint32(4, true)).toBe(128); // hdr.message_size
    expect(v.getUint32(16, true)).toBe(0x2); // hdr.flags: response_expected only
    expect(v.getBigUint64(24, true)).toBe(42n); // hdr.message_handle
    expect(v.getUint32(48, true)).toBe(1); // init_chipset.bus_count
    expect(v.getUint32(56, true)).toBe(0x2); // init_chipset.features
  });

  test('DEVICE_CREATE writes channel address, size and GUIDs where the guest reads them', () => {
    const bytes = encodeControlvmRequest(
      request(ID.CONTROLVM_DEVICE_CREATE, {
        kind: 'create_device',
        busNo: 1,
        devNo: 2,
        channelAddr: '4294979584',
        channelBytes: '159744',
        dataTypeGuid: VBUS,
        devInstGuid: INST,
        intr: { recvIrqHandle: '0', recvIrqVector: 0, recvIrqShared: 0 },
      }),
    );
    const v = dv(bytes);
    expect([v.getUint32(48, true), v.getUint32(52, true)]).toEqual([1, 2]);
    expect(v.getBigUint64(56, true)).toBe(4294979584n);
    expect(v.getBigUint64(64, true)).toBe(159744n);
    // guid_t: data1 little-endian, so 193b331b is stored 1b 33 3b 19.
    expect([...bytes.subarray(72, 76)]).toEqual([0x1b, 0x33, 0x3b, 0x19]);
  });

  test('a packet that does not match its id is refused (the guest would misread it)', () => {
    expect(() =>
      encodeControlvmRequest(request(ID.CONTROLVM_BUS_CREATE, { kind: 'destroy_bus', busNo: 1 })),
    ).toThrow(/carries create_bus/);
  });

  test('the CP builders give response-expected commands whose packet matches the id', () => {
    const place = { channelAddr: '4096', channelBytes: '4864' };
    const busGuids = { busDataTypeGuid: VBUS, busInstGuid: INST };
    const bodies = [
      chipsetInitRequest(1, 0x2),
      busCreateRequest({ busNo: 1, devCount: 2, ...place, ...busGuids }),
      busConfigureRequest(1, '2'),
      deviceCreateRequest({ busNo: 1, devNo: 0, ...place, dataTypeGuid: VBUS, devInstGuid: INST }),
      deviceChangeStateRequest(1, 0, 0x73),
      deviceDestroyRequest(1, 0),
    ];
    for (const b of bodies) {
      const r = { ...b, messageHandle: '7' };
      const back = decodeControlvmCommand(encodeControlvmRequest(r));
      expect(back.ok && back.value).toEqual(r);
      expect(r.flags).toEqual(FLAGS);
    }
    expect(bodies.map((b) => b.id)).toEqual([0x301, 0x101, 0x104, 0x201, 0x204, 0x202]);
  });

  test('every request round-trips through the guest decoder unchanged', () => {
    const u32 = fc.nat({ max: 0xffff_ffff });
    const u8 = fc.nat({ max: 0xff });
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String);
    const guid = fc.uuid();
    const busDev = { busNo: u32, devNo: u32 };
    const pair = (id: number, packet: fc.Arbitrary<ControlvmPacket>) =>
      fc.tuple(fc.constant(id), packet);
    const kind = <K extends string>(k: K) => fc.constant(k);
    const packets = fc.oneof(
      pair(
        ID.CONTROLVM_BUS_CREATE,
        fc.record({
          kind: kind('create_bus'),
          busNo: u32,
          devCount: u32,
          channelAddr: u64,
          channelBytes: u64,
          busDataTypeGuid: guid,
          busInstGuid: guid,
        }),
      ),
      pair(ID.CONTROLVM_BUS_DESTROY, fc.record({ kind: kind('destroy_bus'), busNo: u32 })),
      pair(
        ID.CONTROLVM_BUS_CONFIGURE,
        fc.record({
          kind: kind('configure_bus'),
          busNo: u32,
          guestHandle: u64,
          recvBusIrqHandle: u64,
        }),
      ),
      pair(
        ID.CONTROLVM_DEVICE_CREATE,
        fc.record({
          kind: kind('create_device'),
          ...busDev,
          channelAddr: u64,
          channelBytes: u64,
          dataTypeGuid: guid,
          devInstGuid: guid,
          intr: fc.record({ recvIrqHandle: u64, recvIrqVector: u32, recvIrqShared: u8 }),
        }),
      ),
      pair(ID.CONTROLVM_DEVICE_DESTROY, fc.record({ kind: kind('destroy_device'), ...busDev })),
      pair(
        ID.CONTROLVM_DEVICE_CHANGESTATE,
        fc.record({
          kind: kind('device_change_state'),
          ...busDev,
          state: fc.nat({ max: 0xffff }),
          physDevice: fc.boolean(),
        }),
      ),
      pair(
        ID.CONTROLVM_CHIPSET_INIT,
        fc.record({
          kind: kind('init_chipset'),
          busCount: u32,
          switchCount: u32,
          features: u32,
          platformNumber: u32,
        }),
      ),
      pair(ID.CONTROLVM_CHIPSET_STOP, fc.record({ kind: kind('other') })),
    );
    const bit = fc.boolean();
    const flags = fc.record({ responseExpected: bit, server: bit, testMessage: bit });
    fc.assert(
      fc.property(packets, u64, flags, ([id, packet], messageHandle, f) => {
        const r: ControlvmRequest = { id, messageHandle, flags: f, payloadBytes: 0, packet };
        const back = decodeControlvmCommand(encodeControlvmRequest(r));
        expect(back.ok && back.value).toEqual(r);
      }),
    );
  });
});
