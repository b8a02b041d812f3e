// Layout descriptors against the reference (spar-protocol.md §1.1, §1.5, §1.9, §2.3, §2.4, §4.4.3).
// The expected numbers are literals copied from the reference, not derived from the descriptors.

import { describe, expect, test } from 'vitest';
import { allLayouts } from './layouts.js';

const byName = new Map(allLayouts.map((s) => [s.name, s]));
const offset = (struct: string, field: string) => byName.get(struct)?.field(field).offset;

describe('layouts', () => {
  test('smoke: every struct the foundation issue names is described', () => {
    for (const name of [
      'channel_header',
      'signal_queue_header',
      'controlvm_message_header',
      'controlvm_message',
      'uiscmdrsp',
    ]) {
      expect(byName.has(name), name).toBe(true);
    }
  });

  test.each([
    ['channel_header', 128],
    ['signal_queue_header', 128],
    ['controlvm_message_header', 48],
    ['controlvm_packet_device_create', 80],
    ['controlvm_message_packet', 80],
    ['controlvm_message', 128],
    ['visor_controlvm_channel', 36608],
    ['uiscmdrsp', 1185],
    ['uiscmdrsp_scsi', 1152],
    ['uiscmdrsp_net', 819],
    ['uiscmdrsp_scsitaskmgmt', 41],
    ['uiscmdrsp_disknotify', 21],
    ['phys_info', 12],
    ['guest_phys_info', 16],
    ['visor_io_channel', 1438],
  ])('%s is %i bytes, as the reference computes', (name, size) => {
    expect(byName.get(name)?.sizeBytes).toBe(size);
  });

  test.each([
    ['channel_header', 'header_size', 12],
    ['channel_header', 'chtype', 32],
    ['channel_header', 'ch_space_offset', 64],
    ['channel_header', 'version_id', 72],
    ['channel_header', 'zone_guid', 80],
    ['channel_header', 'cli_state_os', 108],
    ['channel_header', 'srv_state', 120],
    ['channel_header', 'recover_channel', 127],
    ['signal_queue_header', 'sig_base_offset', 16],
    ['signal_queue_header', 'num_overflows', 40],
    ['signal_queue_header', 'signal_size', 48],
    ['signal_queue_header', 'max_slots', 52],
    ['signal_queue_header', 'head', 60],
    ['signal_queue_header', 'num_received', 64],
    ['signal_queue_header', 'tail', 72],
    ['signal_queue_header', 'errorflags', 112],
    ['controlvm_message_header', 'flags', 16],
    ['controlvm_message_header', 'message_handle', 24],
    ['controlvm_message_header', 'payload_bytes', 44],
    ['controlvm_message', 'cmd.create_bus.bus_inst_guid', 48 + 40],
    ['controlvm_message', 'cmd.configure_bus.guest_handle', 48 + 8],
    ['controlvm_message', 'cmd.create_device.data_type_guid', 48 + 24],
    ['controlvm_message', 'cmd.create_device.intr.recv_irq_vector', 48 + 72],
    ['controlvm_message', 'cmd.device_change_state.state', 48 + 8],
    ['controlvm_message', 'cmd.device_change_state.flags.phys_device', 48 + 10],
    ['controlvm_message', 'cmd.init_chipset.features', 48 + 8],
    ['visor_controlvm_channel', 'message_count', 236],
    ['visor_controlvm_channel', 'saved_crash_message_count', 3014],
    ['visor_controlvm_channel', 'efi_visor_ind', 3032],
    ['visor_controlvm_channel', 'request_queue.version', 3072],
    ['visor_controlvm_channel', 'event_ack_queue.version', 3456],
    ['visor_controlvm_channel', 'request_msg', 3584],
    ['visor_controlvm_channel', 'event_ack_msg', 28160],
    ['visor_controlvm_channel', 'saved_crash_msg', 36352],
    ['uiscmdrsp', 'scsi.handle', 1],
    ['uiscmdrsp', 'scsi.cmnd', 9],
    ['uiscmdrsp', 'scsi.gpi_list', 31],
    ['uiscmdrsp', 'scsi.data_dir', 1055],
    ['uiscmdrsp', 'scsi.linuxstat', 1071],
    ['uiscmdrsp', 'scsi.sensebuf', 1077],
    ['uiscmdrsp', 'scsi.no_disk_result', 1149],
    ['uiscmdrsp', 'net.buf', 5],
    ['uiscmdrsp', 'net.xmt.ethhdr', 789],
    ['uiscmdrsp', 'net.xmt.lincsum.protocol', 806],
    ['uiscmdrsp', 'net.rcv.rcvbuf', 18],
    ['uiscmdrsp', 'net.rcv.unique_num', 58],
    ['uiscmdrsp', 'net.rcv.rcvs_dropped_delta', 66],
    ['uiscmdrsp', 'net.enbdis.enable', 21],
    ['uiscmdrsp', 'scsitaskmgmt.notifyresult_handle', 33],
    ['uiscmdrsp', 'scsitaskmgmt.result', 41],
    ['uiscmdrsp', 'private_data', 1153],
    ['uiscmdrsp', 'activeQ_prev', 1177],
    ['visor_io_channel', 'rsp_q.version', 256],
    ['visor_io_channel', 'vnic.zone_guid', 398],
    ['visor_io_channel', 'client_string', 414],
  ])('%s.%s is at offset %i', (struct, field, expected) => {
    expect(offset(struct, field)).toBe(expected);
  });

  test('fields are listed in offset order and none overruns its struct', () => {
    for (const s of allLayouts) {
      for (const f of s.fields)
        expect(f.offset + f.size, `${s.name}.${f.name}`).toBeLessThanOrEqual(s.sizeBytes);
      const offsets = s.fields.map((f) => f.offset);
      const sequential = s.fields.filter((f, i) => i === 0 || f.offset >= (offsets[i - 1] ?? 0));
      // Union members restart at the union's offset, so only structs without unions are monotone.
      if (
        ![
          'controlvm_message_packet',
          'controlvm_message',
          'uiscmdrsp',
          'uiscmdrsp_net',
          'visor_io_channel',
        ].includes(s.name)
      ) {
        expect(sequential.length, s.name).toBe(s.fields.length);
      }
    }
  });
});
