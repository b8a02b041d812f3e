// Controlvm commands from plain data to bytes: the command partition's encoder for queue 2
// (spar-protocol.md §2.1 queue use, §2.3 header, §2.4 packet union). The request object is the
// same shape the guest side decodes (`ControlvmCommand`), so a command round-trips through the
// channel unchanged: `decodeControlvmCommand(encodeControlvmRequest(r))` equals `r`.
//
// Choice: only the packet member the id selects is written; the rest of the 80-byte union stays
// zero, as a C sender that zeroes the message before filling one member would leave it.
// Choice: spar-sim's CP sends no parameter payloads (§2.8), so `payloadBytes` must be 0 and the
// payload fields of the header stay zero. The builders at the end give the CP's commands with
// its flags: response expected, not server, not a test message.

import { assert } from '../base/assert.js';
import { isGuid } from '../base/guid.js';
import type { StructView } from '../base/struct.js';
import { CONTROLVM_FLAG, CONTROLVM_ID, encodeControlvmMessage } from './controlvm.js';
import type { ControlvmCommand, ControlvmFlags, ControlvmPacket } from './controlvm-command.js';

/** A command the CP puts on queue 2: id, message handle (decimal), flags and packet fields. */
export type ControlvmRequest = ControlvmCommand;

const U64_MAX = (1n << 64n) - 1n;

/** The union member each id selects (§2.4); every other id has no packet the guest reads. */
const PACKET_KIND: Readonly<Record<number, ControlvmPacket['kind']>> = {
  [CONTROLVM_ID.CONTROLVM_BUS_CREATE]: 'create_bus',
  [CONTROLVM_ID.CONTROLVM_BUS_DESTROY]: 'destroy_bus',
  [CONTROLVM_ID.CONTROLVM_BUS_CONFIGURE]: 'configure_bus',
  [CONTROLVM_ID.CONTROLVM_DEVICE_CREATE]: 'create_device',
  [CONTROLVM_ID.CONTROLVM_DEVICE_DESTROY]: 'destroy_device',
  [CONTROLVM_ID.CONTROLVM_DEVICE_CONFIGURE]: 'configure_device',
  [CONTROLVM_ID.CONTROLVM_DEVICE_CHANGESTATE]: 'device_change_state',
  [CONTROLVM_ID.CONTROLVM_CHIPSET_INIT]: 'init_chipset',
  [CONTROLVM_ID.CONTROLVM_CHIPSET_SELFTEST]: 'chipset_selftest',
};

/** Parses a decimal u64 field; asserts because a malformed request is the CP's own bug. */
function u64(text: string, field: string): bigint {
  assert(/^\d+$/.test(text), `${field} "${text}" is not a decimal u64`);
  const value = BigInt(text);
  assert(value <= U64_MAX, `${field} ${text} exceeds u64`);
  return value;
}

function guid(view: StructView, name: string, text: string): void {
  assert(isGuid(text.toLowerCase()), `${name} "${text}" is not a GUID`);
  view.setGuid(name, text);
}

/** The header `flags` word for a request (§2.3); `failed` only ever appears in responses. */
export function requestFlags(flags: ControlvmFlags): number {
  return (
    (flags.responseExpected ? CONTROLVM_FLAG.responseExpected : 0) |
    (flags.server ? CONTROLVM_FLAG.server : 0) |
    (flags.testMessage ? CONTROLVM_FLAG.testMessage : 0)
  );
}

/** Builds the 128-byte queue-2 slot for `request` (§2.3, §2.4). */
export function encodeControlvmRequest(request: ControlvmRequest): Uint8Array {
  assert(request.payloadBytes === 0, 'spar-sim requests carry no parameter payload');
  // A packet that does not match its id would be read by the guest as a different member.
  const kind = PACKET_KIND[request.id] ?? 'other';
  const given = request.packet.kind;
  assert(given === kind, `id 0x${request.id.toString(16)} carries ${kind}, not ${given}`);
  const messageHandle = u64(request.messageHandle, 'message handle');
  const flags = requestFlags(request.flags);
  const bytes = encodeControlvmMessage({ id: request.id, messageHandle, flags }, (view) =>
    fillPacket(view, request.packet),
  );
  assert(bytes.length === 128, 'a controlvm slot is 128 bytes');
  return bytes;
}

/** Writes the union member `packet.kind` names, at the dotted field names of §2.4. */
function fillPacket(v: StructView, p: ControlvmPacket): void {
  switch (p.kind) {
    case 'create_bus':
      v.set('cmd.create_bus.bus_no', p.busNo);
      v.set('cmd.create_bus.dev_count', p.devCount);
      v.set64('cmd.create_bus.channel_addr', u64(p.channelAddr, 'channel_addr'));
      v.set64('cmd.create_bus.channel_bytes', u64(p.channelBytes, 'channel_bytes'));
      guid(v, 'cmd.create_bus.bus_data_type_guid', p.busDataTypeGuid);
      guid(v, 'cmd.create_bus.bus_inst_guid', p.busInstGuid);
      return;
    case 'destroy_bus':
      v.set('cmd.destroy_bus.bus_no', p.busNo);
      return;
    case 'configure_bus':
      v.set('cmd.configure_bus.bus_no', p.busNo);
      v.set64('cmd.configure_bus.guest_handle', u64(p.guestHandle, 'guest_handle'));
      v.set64('cmd.configure_bus.recv_bus_irq_handle', u64(p.recvBusIrqHandle, 'recv_irq'));
      return;
    case 'create_device':
      fillDeviceCreate(v, p);
      return;
    case 'destroy_device':
    case 'configure_device':
      v.set(`cmd.${p.kind}.bus_no`, p.busNo);
      v.set(`cmd.${p.kind}.dev_no`, p.devNo);
      return;
    case 'device_change_state':
      v.set('cmd.device_change_state.bus_no', p.busNo);
      v.set('cmd.device_change_state.dev_no', p.devNo);
      v.set('cmd.device_change_state.state', p.state);
      v.set('cmd.device_change_state.flags.phys_device', p.physDevice ? 1 : 0);
      return;
    case 'init_chipset':
      v.set('cmd.init_chipset.bus_count', p.busCount);
      v.set('cmd.init_chipset.switch_count', p.switchCount);
      v.set('cmd.init_chipset.features', p.features);
      v.set('cmd.init_chipset.platform_number', p.platformNumber);
      return;
    case 'chipset_selftest':
      v.set('cmd.chipset_selftest.options', p.options);
      v.set('cmd.chipset_selftest.test', p.test);
      return;
    case 'other':
      return;
  }
}

type PacketOf<K extends ControlvmPacket['kind']> = Extract<ControlvmPacket, { kind: K }>;

function fillDeviceCreate(v: StructView, p: PacketOf<'create_device'>): void {
  v.set('cmd.create_device.bus_no', p.busNo);
  v.set('cmd.create_device.dev_no', p.devNo);
  v.set64('cmd.create_device.channel_addr', u64(p.channelAddr, 'channel_addr'));
  v.set64('cmd.create_device.channel_bytes', u64(p.channelBytes, 'channel_bytes'));
  guid(v, 'cmd.create_device.data_type_guid', p.dataTypeGuid);
  guid(v, 'cmd.create_device.dev_inst_guid', p.devInstGuid);
  v.set64('cmd.create_device.intr.recv_irq_handle', u64(p.intr.recvIrqHandle, 'recv_irq_handle'));
  v.set('cmd.create_device.intr.recv_irq_vector', p.intr.recvIrqVector);
  v.set('cmd.create_device.intr.recv_irq_shared', p.intr.recvIrqShared);
}

/** A request before the CP gives it a message handle (it does so when the request is sent). */
export type ControlvmRequestBody = Omit<ControlvmRequest, 'messageHandle'>;

/** Flags of every command spar-sim's CP sends: a response is expected; not a server; not a test. */
const CP_FLAGS: ControlvmFlags = { responseExpected: true, server: false, testMessage: false };

const body = (id: number, packet: ControlvmPacket): ControlvmRequestBody => ({
  id,
  flags: CP_FLAGS,
  payloadBytes: 0,
  packet,
});

/** CHIPSET_INIT offering `features` (§2.4 `init_chipset`; Choice: no switches, platform 0). */
export function chipsetInitRequest(busCount: number, features: number): ControlvmRequestBody {
  const packet: ControlvmPacket = {
    kind: 'init_chipset',
    busCount,
    switchCount: 0,
    features,
    platformNumber: 0,
  };
  return body(CONTROLVM_ID.CONTROLVM_CHIPSET_INIT, packet);
}

/** BUS_CREATE (§2.4 `create_bus`); u64 fields as decimal strings. */
export function busCreateRequest(
  packet: Omit<PacketOf<'create_bus'>, 'kind'>,
): ControlvmRequestBody {
  return body(CONTROLVM_ID.CONTROLVM_BUS_CREATE, { kind: 'create_bus', ...packet });
}

/** BUS_CONFIGURE (§2.4 `configure_bus`): the guest stores `guestHandle` as `partition_handle`. */
export function busConfigureRequest(busNo: number, guestHandle: string): ControlvmRequestBody {
  const packet = { kind: 'configure_bus', busNo, guestHandle, recvBusIrqHandle: '0' } as const;
  return body(CONTROLVM_ID.CONTROLVM_BUS_CONFIGURE, packet);
}

/** DEVICE_CREATE (§2.4 `create_device`); the final guest ignores `intr`, so it is zero. */
export function deviceCreateRequest(
  packet: Omit<PacketOf<'create_device'>, 'kind' | 'intr'>,
): ControlvmRequestBody {
  const intr = { recvIrqHandle: '0', recvIrqVector: 0, recvIrqShared: 0 };
  return body(CONTROLVM_ID.CONTROLVM_DEVICE_CREATE, { kind: 'create_device', ...packet, intr });
}

/** DEVICE_CHANGESTATE to a §3.1 segment state (0xF7 running resumes, 0x73 standby pauses). */
export function deviceChangeStateRequest(
  busNo: number,
  devNo: number,
  state: number,
): ControlvmRequestBody {
  const packet = { kind: 'device_change_state', busNo, devNo, state, physDevice: false } as const;
  return body(CONTROLVM_ID.CONTROLVM_DEVICE_CHANGESTATE, packet);
}

/** DEVICE_DESTROY (§2.4 `destroy_device`). */
export function deviceDestroyRequest(busNo: number, devNo: number): ControlvmRequestBody {
  return body(CONTROLVM_ID.CONTROLVM_DEVICE_DESTROY, { kind: 'destroy_device', busNo, devNo });
}
