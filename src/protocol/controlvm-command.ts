// Controlvm commands as plain data, and responses back to bytes (spar-protocol.md §2.3, §2.4,
// §2.6). The partition host removes a 128-byte slot from queue 2 and hands the decoded command
// to the visorchipset machine; the machine's response object comes back here to be encoded onto
// queue 0. Commands are JSON-serialisable (u64 values as decimal strings, GUIDs as strings) so
// they can sit in machine context and traces. Decoding never throws: every 128-byte pattern is a
// command (unknown ids become `{ kind: 'other' }`), and a short buffer is a typed error.

import { assert } from '../base/assert.js';
import { err, ok, type Result } from '../base/result.js';
import { StructView } from '../base/struct.js';
import { CONTROLVM_FLAG, CONTROLVM_ID, type DecodeError } from './controlvm.js';
import { controlvmMessage } from './controlvm-layout.js';

/** The header flags the guest acts on (§2.3); `failed` only appears in responses. */
export interface ControlvmFlags {
  /** Bit 1: the CP wants a response on queue 0 (an ack on queue 3 is sent regardless). */
  readonly responseExpected: boolean;
  /** Bit 2: receiver acts as bus/device server (ignored by the final guest). */
  readonly server: boolean;
  /** Bit 3: the final guest drops the message unprocessed and never answers it (§2.5 step 2). */
  readonly testMessage: boolean;
}

/** The packet of a command, by the union member its id selects (§2.4). */
export type ControlvmPacket =
  | {
      readonly kind: 'create_bus';
      readonly busNo: number;
      /** Maximum devices on the bus. */
      readonly devCount: number;
      /** Guest-physical address of the vbus channel, decimal. */
      readonly channelAddr: string;
      /** Size of the vbus channel in bytes, decimal. */
      readonly channelBytes: string;
      readonly busDataTypeGuid: string;
      readonly busInstGuid: string;
    }
  | { readonly kind: 'destroy_bus'; readonly busNo: number }
  | {
      readonly kind: 'configure_bus';
      readonly busNo: number;
      /** Stored by the guest as the bus channel's `partition_handle`, decimal. */
      readonly guestHandle: string;
      /** Unused by the guest, decimal. */
      readonly recvBusIrqHandle: string;
    }
  | {
      readonly kind: 'create_device';
      readonly busNo: number;
      readonly devNo: number;
      /** Guest-physical address of the device channel, decimal. */
      readonly channelAddr: string;
      /** Size of the device channel in bytes, decimal. */
      readonly channelBytes: string;
      /** Channel type GUID: what visorbus matches drivers against. */
      readonly dataTypeGuid: string;
      readonly devInstGuid: string;
      /** `struct irq_info`; the final guest ignores it (§7). */
      readonly intr: {
        readonly recvIrqHandle: string;
        readonly recvIrqVector: number;
        readonly recvIrqShared: number;
      };
    }
  | { readonly kind: 'destroy_device'; readonly busNo: number; readonly devNo: number }
  | { readonly kind: 'configure_device'; readonly busNo: number; readonly devNo: number }
  | {
      readonly kind: 'device_change_state';
      readonly busNo: number;
      readonly devNo: number;
      /** `struct visor_segment_state` as its u16 value (§3.1). */
      readonly state: number;
      /** Bit 0 of the flags word at packet offset 10: para-hotplug of a physical device (§2.10). */
      readonly physDevice: boolean;
    }
  | {
      readonly kind: 'init_chipset';
      readonly busCount: number;
      readonly switchCount: number;
      /** `VISOR_CHIPSET_FEATURE_*` bits the CP offers. */
      readonly features: number;
      readonly platformNumber: number;
    }
  | { readonly kind: 'chipset_selftest'; readonly options: number; readonly test: number }
  | { readonly kind: 'other' };

/** One command removed from controlvm queue 2, as plain data. */
export interface ControlvmCommand {
  /** `enum controlvm_id` value (may be an id spar-sim does not know). */
  readonly id: number;
  /** The correlation key copied into ack and response, as a decimal string. */
  readonly messageHandle: string;
  readonly flags: ControlvmFlags;
  /** Non-zero means a parameter payload follows in the channel (§2.8). */
  readonly payloadBytes: number;
  readonly packet: ControlvmPacket;
}

/** What visorchipset answers on queue 0 (§2.6); the optional fields fill the packet. */
export interface ControlvmResponse {
  /** The id being answered. */
  readonly id: number;
  /** The request's message handle, decimal. */
  readonly messageHandle: string;
  /** `completion_status`: 0, a positive errno, or a positive `CONTROLVM_RESP_*` code. */
  readonly status: number;
  /** Sets `flags.failed`. */
  readonly failed: boolean;
  /** DEVICE_CHANGESTATE replies: `device_change_state.bus_no`. */
  readonly busNo?: number;
  /** DEVICE_CHANGESTATE replies: `device_change_state.dev_no`. */
  readonly devNo?: number;
  /** DEVICE_CHANGESTATE replies: the resulting segment state (§3.5: 0x73 pause, 0xF7 resume). */
  readonly state?: number;
  /** Para-hotplug replies set `device_change_state.flags.phys_device` (§2.6). */
  readonly physDevice?: boolean;
  /** CHIPSET_INIT replies: `init_chipset.features`. */
  readonly features?: number;
}

const SLOT_BYTES = controlvmMessage.sizeBytes;

/** Decodes one 128-byte controlvm slot; longer buffers are read up to 128 bytes, shorter ones fail. */
export function decodeControlvmCommand(bytes: Uint8Array): Result<ControlvmCommand, DecodeError> {
  if (bytes.length < SLOT_BYTES) {
    const message = `controlvm message is ${bytes.length} bytes, expected ${SLOT_BYTES}`;
    return err({ code: 'short-message', message });
  }
  const view = new StructView(controlvmMessage, bytes.subarray(0, SLOT_BYTES));
  const id = view.get('hdr.id');
  const flags = view.get('hdr.flags');
  return ok({
    id,
    messageHandle: view.get64('hdr.message_handle').toString(),
    flags: {
      responseExpected: (flags & CONTROLVM_FLAG.responseExpected) !== 0,
      server: (flags & CONTROLVM_FLAG.server) !== 0,
      testMessage: (flags & CONTROLVM_FLAG.testMessage) !== 0,
    },
    payloadBytes: view.get('hdr.payload_bytes'),
    packet: decodePacket(id, view),
  });
}

const u64 = (view: StructView, name: string): string => view.get64(name).toString();

const busDev = (view: StructView, member: string) => ({
  busNo: view.get(`cmd.${member}.bus_no`),
  devNo: view.get(`cmd.${member}.dev_no`),
});

function decodePacket(id: number, v: StructView): ControlvmPacket {
  switch (id) {
    case CONTROLVM_ID.CONTROLVM_BUS_CREATE:
      return {
        kind: 'create_bus',
        busNo: v.get('cmd.create_bus.bus_no'),
        devCount: v.get('cmd.create_bus.dev_count'),
        channelAddr: u64(v, 'cmd.create_bus.channel_addr'),
        channelBytes: u64(v, 'cmd.create_bus.channel_bytes'),
        busDataTypeGuid: v.getGuid('cmd.create_bus.bus_data_type_guid'),
        busInstGuid: v.getGuid('cmd.create_bus.bus_inst_guid'),
      };
    case CONTROLVM_ID.CONTROLVM_BUS_DESTROY:
      return { kind: 'destroy_bus', busNo: v.get('cmd.destroy_bus.bus_no') };
    case CONTROLVM_ID.CONTROLVM_BUS_CONFIGURE:
      return {
        kind: 'configure_bus',
        busNo: v.get('cmd.configure_bus.bus_no'),
        guestHandle: u64(v, 'cmd.configure_bus.guest_handle'),
        recvBusIrqHandle: u64(v, 'cmd.configure_bus.recv_bus_irq_handle'),
      };
    case CONTROLVM_ID.CONTROLVM_DEVICE_CREATE:
      return decodeDeviceCreate(v);
    case CONTROLVM_ID.CONTROLVM_DEVICE_DESTROY:
      return { kind: 'destroy_device', ...busDev(v, 'destroy_device') };
    case CONTROLVM_ID.CONTROLVM_DEVICE_CONFIGURE:
      return { kind: 'configure_device', ...busDev(v, 'configure_device') };
    case CONTROLVM_ID.CONTROLVM_DEVICE_CHANGESTATE:
      return {
        kind: 'device_change_state',
        busNo: v.get('cmd.device_change_state.bus_no'),
        devNo: v.get('cmd.device_change_state.dev_no'),
        state: v.get('cmd.device_change_state.state'),
        // Only bit 0 is defined; the other 31 bits are reserved (§2.4).
        physDevice: (v.get('cmd.device_change_state.flags.phys_device') & 1) === 1,
      };
    case CONTROLVM_ID.CONTROLVM_CHIPSET_INIT:
      return {
        kind: 'init_chipset',
        busCount: v.get('cmd.init_chipset.bus_count'),
        switchCount: v.get('cmd.init_chipset.switch_count'),
        features: v.get('cmd.init_chipset.features'),
        platformNumber: v.get('cmd.init_chipset.platform_number'),
      };
    case CONTROLVM_ID.CONTROLVM_CHIPSET_SELFTEST:
      return {
        kind: 'chipset_selftest',
        options: v.get('cmd.chipset_selftest.options'),
        test: v.get('cmd.chipset_selftest.test'),
      };
    default:
      return { kind: 'other' };
  }
}

function decodeDeviceCreate(v: StructView): ControlvmPacket {
  return {
    kind: 'create_device',
    busNo: v.get('cmd.create_device.bus_no'),
    devNo: v.get('cmd.create_device.dev_no'),
    channelAddr: u64(v, 'cmd.create_device.channel_addr'),
    channelBytes: u64(v, 'cmd.create_device.channel_bytes'),
    dataTypeGuid: v.getGuid('cmd.create_device.data_type_guid'),
    devInstGuid: v.getGuid('cmd.create_device.dev_inst_guid'),
    intr: {
      recvIrqHandle: u64(v, 'cmd.create_device.intr.recv_irq_handle'),
      recvIrqVector: v.get('cmd.create_device.intr.recv_irq_vector'),
      recvIrqShared: v.get('cmd.create_device.intr.recv_irq_shared'),
    },
  };
}

/**
 * Builds the 128-byte response slot for queue 0 (§2.6 `controlvm_init_response`): the request's
 * id and message handle, `response_expected` (a response only exists when it was set), `failed`
 * on failure, the completion status, payload fields zero, and the packet fields the response
 * carries. Choice: the request's `server` bit and `segment_index` are not copied back — the guest
 * ignores both and the CP correlates by message handle (§2.3).
 */
export function encodeControlvmResponse(response: ControlvmResponse): Uint8Array {
  const { messageHandle, status } = response;
  assert(/^\d+$/.test(messageHandle), `message handle ${messageHandle} is not a decimal u64`);
  assert(Number.isInteger(status) && status >= 0, `status ${status} must be 0 or a positive code`);
  const bytes = new Uint8Array(SLOT_BYTES);
  const view = new StructView(controlvmMessage, bytes);
  view.set('hdr.id', response.id);
  view.set('hdr.message_size', SLOT_BYTES);
  view.set('hdr.completion_status', response.status);
  view.set(
    'hdr.flags',
    CONTROLVM_FLAG.responseExpected | (response.failed ? CONTROLVM_FLAG.failed : 0),
  );
  view.set64('hdr.message_handle', BigInt(response.messageHandle));
  if (response.busNo !== undefined) view.set('cmd.device_change_state.bus_no', response.busNo);
  if (response.devNo !== undefined) view.set('cmd.device_change_state.dev_no', response.devNo);
  if (response.state !== undefined) view.set('cmd.device_change_state.state', response.state);
  if (response.physDevice === true) view.set('cmd.device_change_state.flags.phys_device', 1);
  if (response.features !== undefined) view.set('cmd.init_chipset.features', response.features);
  assert(view.get('hdr.payload_bytes') === 0, 'a response carries no payload');
  return bytes;
}
