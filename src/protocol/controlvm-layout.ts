// Controlvm layouts (spar-protocol.md §1.9, §2.3, §2.4, §2.8; drivers/visorbus/controlvmchannel.h).
// Every message in every controlvm queue is one 128-byte `struct controlvm_message`:
// a 48-byte header and an 80-byte packet union.

import { array, defineStruct, group, nested, scalar as f, union } from '../base/struct.js';
import { channelHeader, signalQueueHeader } from '../channel/layout.js';

/** `struct controlvm_message_header` (§2.3). */
export const controlvmMessageHeader = defineStruct(
  'controlvm_message_header',
  [
    f('id', 'u32', 'request: message type; response: the id being answered (enum controlvm_id)'),
    f('message_size', 'u32', 'header + packet size (the guest never checks it)'),
    f('segment_index', 'u32', 'the CP uses it to find the bus number; the guest ignores it'),
    f('completion_status', 'u32', '0 on success, else a positive CONTROLVM_RESP_* or errno'),
    f(
      'flags',
      'u32',
      'bit0 failed, bit1 response_expected, bit2 server, bit3 test_message, bit4 partial_completion, bit5 preserve, bit6 writer_in_diag',
    ),
    f('reserved', 'u32', 'natural alignment'),
    f(
      'message_handle',
      'u64',
      'message instance id, copied into ack and response: the correlation key',
    ),
    f(
      'payload_vm_offset',
      'u64',
      'offset of a parameter payload from the start of the controlvm channel',
    ),
    f('payload_max_bytes', 'u32', 'bytes allocated for the payload'),
    f('payload_bytes', 'u32', 'non-zero means there is a payload to read'),
  ],
  48,
);

/** `struct irq_info` (part of DEVICE_CREATE). */
export const irqInfo = defineStruct(
  'irq_info',
  [
    f('reserved1', 'u64', 'Era A: send_irq_handle'),
    f('recv_irq_handle', 'u64', 'interrupt handle (ignored by the final guest)'),
    f('recv_irq_vector', 'u32', 'interrupt vector'),
    f('recv_irq_shared', 'u8', '1 = shared interrupt'),
    array('reserved', 'u8', 3, 'natural alignment'),
  ],
  24,
);

/** `struct controlvm_packet_device_create` (DEVICE_CREATE packet). */
export const controlvmPacketDeviceCreate = defineStruct(
  'controlvm_packet_device_create',
  [
    f('bus_no', 'u32', 'bus number'),
    f('dev_no', 'u32', 'bus-relative device number'),
    f('channel_addr', 'u64', 'guest-physical address of the device channel'),
    f('channel_bytes', 'u64', 'size of the device channel'),
    f('data_type_guid', 'guid', 'channel type GUID: what visorbus matches drivers against'),
    f('dev_inst_guid', 'guid', 'device instance GUID'),
    nested('intr', irqInfo, 'interrupt information'),
  ],
  80,
);

const busDevice = () => [
  f('bus_no', 'u32', 'bus number'),
  f('dev_no', 'u32', 'bus-relative device number'),
];

/** `struct controlvm_message_packet`: the 80-byte union of every command's parameters (§2.4). */
export const controlvmMessagePacket = defineStruct(
  'controlvm_message_packet',
  [
    union(null, [
      group('create_bus', [
        f('bus_no', 'u32', 'bus number'),
        f('dev_count', 'u32', 'max devices on the bus'),
        f('channel_addr', 'u64', 'guest-physical address of the vbus channel'),
        f('channel_bytes', 'u64', 'size of the vbus channel'),
        f('bus_data_type_guid', 'guid', 'vbus channel GUID'),
        f('bus_inst_guid', 'guid', 'bus instance GUID (SIOVM GUID for the IO service bus)'),
      ]),
      group('destroy_bus', [f('bus_no', 'u32', 'bus number'), f('reserved', 'u32', 'alignment')]),
      group('configure_bus', [
        f('bus_no', 'u32', 'bus number'),
        f('reserved1', 'u32', 'alignment'),
        f('guest_handle', 'u64', 'stored by the guest as the bus channel partition_handle'),
        f('recv_bus_irq_handle', 'u64', 'unused by the guest'),
      ]),
      nested('create_device', controlvmPacketDeviceCreate, 'DEVICE_CREATE'),
      group('destroy_device', busDevice()),
      group('configure_device', busDevice()),
      group('reconfigure_device', busDevice()),
      group('bus_change_state', [
        f('bus_no', 'u32', 'bus number'),
        f('state', 'u16', 'struct visor_segment_state bits (§3.1)'),
        array('reserved', 'u8', 2, 'alignment'),
      ]),
      group('device_change_state', [
        ...busDevice(),
        f('state', 'u16', 'struct visor_segment_state: running 0xF7, paused 0x77, standby 0x73'),
        // Choice: the final header's flags = {u32 phys_device:1, reserved:31; u32 reserved1}
        // (§2.4 [UNCONFIRMED] which the firmware used); the guest reads only bit 0 at +10.
        group('flags', [
          f(
            'phys_device',
            'u32',
            'bit0 phys_device: 1 = para-hotplug of a physical device; bits 1-31 reserved',
          ),
          f('reserved1', 'u32', 'reserved'),
        ]),
        array('reserved', 'u8', 2, 'alignment'),
      ]),
      group('device_change_state_event', [
        ...busDevice(),
        f('state', 'u16', 'struct visor_segment_state'),
        array('reserved', 'u8', 6, 'alignment'),
      ]),
      group('init_chipset', [
        f('bus_count', 'u32', 'max number of buses'),
        f('switch_count', 'u32', 'max number of switches'),
        f('features', 'u32', 'VISOR_CHIPSET_FEATURE_REPLY 0x1 | PARA_HOTPLUG 0x2'),
        f('platform_number', 'u32', 'platform number'),
      ]),
      group('chipset_selftest', [
        f('options', 'u32', 'reserved'),
        f('test', 'u32', 'bit0 run embedded selftest'),
      ]),
      f('addr', 'u64', 'a physical address (depends on id)'),
      f('handle', 'u64', 'a handle (depends on id)'),
    ]),
  ],
  80,
);

/** `struct controlvm_message`: the 128-byte slot of every controlvm queue. */
export const controlvmMessage = defineStruct(
  'controlvm_message',
  [
    nested('hdr', controlvmMessageHeader, 'header'),
    nested('cmd', controlvmMessagePacket, 'packet'),
  ],
  128,
);

/**
 * `struct visor_controlvm_parameters_header` (§2.8): starts a parameter payload. The reference
 * says 80 bytes, but its own member list (12 × u32, a guid, 2 × u32) packs to 72, which is what
 * the kernel header declares; 72 is used.
 */
export const controlvmParametersHeader = defineStruct(
  'visor_controlvm_parameters_header',
  [
    f('total_length', 'u32', 'should equal payload_bytes'),
    f('header_length', 'u32', 'bytes of this header'),
    ...['connection', 'initiator', 'target', 'client', 'name'].flatMap((s) => [
      f(`${s}_offset`, 'u32', `offset of the ${s} string from the start of this header`),
      f(`${s}_length`, 'u32', `bytes of the ${s} string`),
    ]),
    f('id', 'guid', 'partition GUID (BUS_CONFIGURE)'),
    f('revision', 'u32', 'revision'),
    f('reserved', 'u32', 'natural alignment'),
  ],
  72,
);

/** `struct visor_controlvm_channel` (§1.9): the whole controlvm channel, 36608 bytes. */
export const visorControlvmChannel = defineStruct(
  'visor_controlvm_channel',
  [
    nested('header', channelHeader, 'common channel header'),
    ...[
      'gp_controlvm',
      'gp_partition_tables',
      'gp_diag_guest',
      'gp_boot_romdisk',
      'gp_boot_ramdisk',
      'gp_acpi_table',
      'gp_control_channel',
      'gp_diag_romdisk',
      'gp_nvram',
      'request_payload_offset',
      'event_payload_offset',
    ].map((n) => f(n, 'u64', 'guest-physical address or offset')),
    f('request_payload_bytes', 'u32', 'bytes in the request payload area'),
    f('event_payload_bytes', 'u32', 'bytes in the event payload area'),
    f('control_channel_bytes', 'u32', 'control channel bytes'),
    f('nvram_channel_bytes', 'u32', 'bytes in the NVRAM segment'),
    f('message_bytes', 'u32', 'sizeof(struct controlvm_message) = 128'),
    f('message_count', 'u32', 'CONTROLVM_MESSAGE_MAX = 64'),
    f('gp_smbios_table', 'u64', 'guest-physical address of SMBIOS tables'),
    f('gp_physical_smbios_table', 'u64', 'guest-physical address of the SMBIOS table'),
    array(
      'gp_reserved',
      'u8',
      2688,
      'VISOR_MAX_GUESTS_PER_SERVICE (Era A: 16 GUEST_DEVICES records)',
    ),
    ...[
      'virtual_guest_firmware_image_base',
      'virtual_guest_firmware_entry_point',
      'virtual_guest_firmware_image_size',
      'virtual_guest_firmware_boot_base',
      'virtual_guest_image_base',
      'virtual_guest_image_size',
      'prototype_control_channel_offset',
      'virtual_guest_partition_handle',
    ].map((n) => f(n, 'u64', 'firmware / image field')),
    f('restore_action', 'u16', 'restore action for the guest partition'),
    f('dump_action', 'u16', 'Windows visordisk dump mode'),
    f('nvram_fail_count', 'u16', 'NVRAM failures'),
    f('saved_crash_message_count', 'u16', 'must equal CONTROLVM_CRASHMSG_MAX = 2'),
    f('saved_crash_message_offset', 'u32', 'offset of the saved crash messages'),
    f('installation_error', 'u32', 'installation error type'),
    f('installation_text_id', 'u32', 'id of the string to display'),
    f('installation_remaining_steps', 'u16', 'remaining installation steps'),
    f('tool_action', 'u8', 'VISOR_TOOL_ACTIONS'),
    f('reserved', 'u8', 'alignment'),
    f(
      'efi_visor_ind',
      'u64',
      'bit0 boot_to_fw_ui, bit1 clear_nvram, bit2 clear_cmos, bit3 boot_to_tool',
    ),
    f('sp_reserved', 'u32', 'reserved'),
    array('reserved2', 'u8', 28, 'signals begin on a 128-byte cache line'),
    nested('request_queue', signalQueueHeader, 'queue 0: the guest inserts its responses'),
    nested('response_queue', signalQueueHeader, 'queue 1: drained and discarded by the guest'),
    nested('event_queue', signalQueueHeader, 'queue 2: commands from the CP'),
    nested('event_ack_queue', signalQueueHeader, 'queue 3: the guest acks every command'),
    array('request_msg', controlvmMessage, 64, 'slots of queue 0'),
    array('response_msg', controlvmMessage, 64, 'slots of queue 1'),
    array('event_msg', controlvmMessage, 64, 'slots of queue 2'),
    array('event_ack_msg', controlvmMessage, 64, 'slots of queue 3'),
    array('saved_crash_msg', controlvmMessage, 2, 'BUS_CREATE and DEVICE_CREATE saved for kdump'),
  ],
  36608,
);
