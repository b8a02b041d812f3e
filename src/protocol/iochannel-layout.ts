// IO channel layouts shared by vhba and vnic (spar-protocol.md §1.9, §4.4; include/iochannel.h).
// `struct uiscmdrsp` is 1185 packed bytes; the IOSP rounds each ring slot up to 1216
// (SIZEOF_CMDRSP = 64 * DIV_ROUND_UP(1185, 64)).

import { array, defineStruct, group, nested, scalar as f, union } from '../base/struct.js';
import { channelHeader, signalQueueHeader } from '../channel/layout.js';

/** `MAX_CMND_SIZE`, `MAX_SENSE_SIZE`, `MAX_PHYS_INFO`, `MAX_NET_RCV_CHAIN` (§4.4.1). */
export const MAX_CMND_SIZE = 16;
export const MAX_SENSE_SIZE = 64;
export const MAX_PHYS_INFO = 64;
/** ceil((VISOR_ETH_MAX_MTU 16384 + ETH_HLEN 14) / RCVPOST_BUF_SIZE 4032) = 5 [computed]. */
export const MAX_NET_RCV_CHAIN = 5;
/** `MAX_CLIENTSTRING_LEN`. */
export const MAX_CLIENTSTRING_LEN = 1024;

/** `struct phys_info`: one 4 KiB-page fragment. */
export const physInfo = defineStruct(
  'phys_info',
  [
    f('pi_pfn', 'u64', '4 KiB page frame number'),
    f('pi_off', 'u16', 'offset in page'),
    f('pi_len', 'u16', 'length'),
  ],
  12,
);

/** `struct guest_phys_info`: one scatter-gather entry. */
export const guestPhysInfo = defineStruct(
  'guest_phys_info',
  [f('address', 'u64', 'guest-physical byte address'), f('length', 'u64', 'bytes')],
  16,
);

/** `struct uisscsi_dest`: SCSI bus, target and LUN. */
export const uisscsiDest = defineStruct(
  'uisscsi_dest',
  [f('channel', 'u32', 'SCSI bus'), f('id', 'u32', 'target'), f('lun', 'u32', 'logical unit')],
  12,
);

/** `struct uiscmdrsp_scsi` (CMD_SCSI_TYPE). */
export const uiscmdrspScsi = defineStruct(
  'uiscmdrsp_scsi',
  [
    f('handle', 'u64', 'pending-table slot 0..127; echoed by the IOSP (§4.4.4)'),
    array('cmnd', 'u8', MAX_CMND_SIZE, 'the CDB'),
    f('bufflen', 'u32', 'bytes to transfer'),
    f('guest_phys_entries', 'u16', 'entries used in gpi_list'),
    array('gpi_list', guestPhysInfo, MAX_PHYS_INFO, 'scatter-gather list'),
    f('data_dir', 'u32', 'UIS_DMA_BIDIRECTIONAL 0 / TO_DEVICE 1 / FROM_DEVICE 2 / NONE 3'),
    nested('vdest', uisscsiDest, 'target of the command'),
    f('linuxstat', 'i32', 'IOSP result in scsi_cmnd.result format'),
    f('scsistat', 'u8', 'SCSI status'),
    f('addlstat', 'u8', 'non-SCSI status (ADDL_SEL_TIMEOUT 4)'),
    array('sensebuf', 'u8', MAX_SENSE_SIZE, 'sense data when the command failed'),
    f('vdisk', 'ptr', 'IOSP-side vdisk pointer'),
    f('no_disk_result', 'i32', '1 = answer with the no-disk INQUIRY result'),
  ],
  1152,
);

/** `struct uiscmdrsp_net` (CMD_NET_TYPE). */
export const uiscmdrspNet = defineStruct(
  'uiscmdrsp_net',
  [
    f('type', 'u32', 'enum net_types: NET_RCV_POST 0 ... NET_MACADDR_ACK 9'),
    f('buf', 'ptr', 'guest skb address: the correlation key of xmit and rcv'),
    union(null, [
      group('xmt', [
        f('len', 'i32', 'full length of the frame'),
        f('num_frags', 'i32', 'fragments used in frags'),
        array('frags', physInfo, MAX_PHYS_INFO, 'fragments'),
        array('ethhdr', 'u8', 14, 'the Ethernet header, so the IOSP can route without mapping'),
        group('lincsum', [
          f('valid', 'u8', '1 = this struct is valid'),
          f('hrawoffv', 'u8', '1 = hrawoff is valid'),
          f('nhrawoffv', 'u8', '1 = nhrawoff is valid'),
          f('protocol', 'be16', 'packet protocol'),
          f('csum', 'u32', 'skb->csum'),
          f('hrawoff', 'u32', 'start of the transport header'),
          f('nhrawoff', 'u32', 'start of the network header'),
        ]),
      ]),
      group('xmtdone', [f('xmt_done_result', 'u32', 'result of NET_XMIT')]),
      group('rcvpost', [
        nested('frag', physInfo, 'the single-fragment receive buffer'),
        f('unique_num', 'u64', 'incarnation: buffers return to the adapter that posted them'),
      ]),
      group('rcv', [
        f('rcv_done_len', 'u32', 'bytes received'),
        f('numrcvbufs', 'u8', 'buffers chained in rcvbuf'),
        array(
          'rcvbuf',
          'ptr',
          MAX_NET_RCV_CHAIN,
          'posted buffers holding the frame, first = net.buf',
        ),
        f('unique_num', 'u64', 'incarnation'),
        f('rcvs_dropped_delta', 'u32', 'receives dropped since the last NET_RCV'),
      ]),
      group('enbdis', [
        f('context', 'ptr', 'netdev address'),
        f('enable', 'u16', '1 = enable, 0 = disable'),
      ]),
      group('macaddr', [
        f('context', 'ptr', 'netdev address'),
        array('macaddr', 'u8', 6, 'MAC address'),
      ]),
    ]),
  ],
  819,
);

/** `struct uiscmdrsp_scsitaskmgmt` (CMD_SCSITASKMGMT_TYPE). */
export const uiscmdrspScsitaskmgmt = defineStruct(
  'uiscmdrsp_scsitaskmgmt',
  [
    f('tasktype', 'u32', 'TASK_MGMT_ABORT_TASK 1 / BUS_RESET 2 / LUN_RESET 3 / TARGET_RESET 4'),
    nested('vdest', uisscsiDest, 'target'),
    f('handle', 'u64', 'guest slot, echoed'),
    f('notify_handle', 'u64', 'guest IDR id of the waiter, echoed'),
    f('notifyresult_handle', 'u64', 'guest IDR id of the result, echoed'),
    f('result', 'u8', 'set by the IOSP; TASK_MGMT_FAILED 0'),
  ],
  41,
);

/** `struct uiscmdrsp_disknotify` (CMD_NOTIFYGUEST_TYPE). */
export const uiscmdrspDisknotify = defineStruct(
  'uiscmdrsp_disknotify',
  [
    f('add', 'u8', '1 add, 0 remove'),
    f('v_hba', 'ptr', 'IOSP-side, unused by the guest'),
    f('channel', 'u32', 'SCSI bus of the disk'),
    f('id', 'u32', 'target of the disk'),
    f('lun', 'u32', 'LUN of the disk'),
  ],
  21,
);

/** `struct uiscmdrsp`: one command or response in a vhba/vnic queue (§4.4.3). */
export const uiscmdrsp = defineStruct(
  'uiscmdrsp',
  [
    f(
      'cmdtype',
      'u8',
      'CMD_SCSI_TYPE 1, CMD_NET_TYPE 2, CMD_SCSITASKMGMT_TYPE 3, CMD_NOTIFYGUEST_TYPE 4',
    ),
    union(null, [
      nested('scsi', uiscmdrspScsi, 'SCSI command'),
      nested('net', uiscmdrspNet, 'network packet'),
      nested('scsitaskmgmt', uiscmdrspScsitaskmgmt, 'task management'),
      nested('disknotify', uiscmdrspDisknotify, 'disk add/remove notification'),
    ]),
    f('private_data', 'ptr', 'IOSP-side use'),
    f('next', 'ptr', 'queue link'),
    f('activeQ_next', 'ptr', 'active-command list'),
    f('activeQ_prev', 'ptr', 'active-command list'),
  ],
  1185,
);

/** `SIZEOF_CMDRSP`: the ring slot the IOSP uses, `uiscmdrsp` rounded up to 64 bytes. */
export const SIZEOF_CMDRSP = 64 * Math.ceil(uiscmdrsp.sizeBytes / 64);

/** `struct iochannel_vhba`. */
export const iochannelVhba = defineStruct(
  'iochannel_vhba',
  [
    group('wwnn', [
      f('wwnn1', 'u32', 'world-wide node name, low'),
      f('wwnn2', 'u32', 'world-wide node name, high'),
    ]),
    group('max', [
      f('max_channel', 'u32', 'max SCSI bus'),
      f('max_id', 'u32', 'max target'),
      f('max_lun', 'u32', 'max LUN'),
      f('cmd_per_lun', 'u32', 'max outstanding commands per LUN'),
      f('max_io_size', 'u32', 'max bytes per command'),
    ]),
  ],
  28,
);

/** `struct iochannel_vnic`. */
export const iochannelVnic = defineStruct(
  'iochannel_vnic',
  [
    array('macaddr', 'u8', 6, 'MAC address'),
    f('num_rcv_bufs', 'u32', 'receive buffers the guest should post'),
    f('mtu', 'u32', 'MTU'),
    f('zone_guid', 'guid', 'zone'),
  ],
  30,
);

/** `struct visor_io_channel`: header, cmd_q (queue 0), rsp_q (queue 1), config, client string. */
export const visorIoChannel = defineStruct(
  'visor_io_channel',
  [
    nested('channel_header', channelHeader, 'common channel header'),
    nested('cmd_q', signalQueueHeader, 'queue 0 IOCHAN_TO_IOPART: the guest inserts'),
    nested('rsp_q', signalQueueHeader, 'queue 1 IOCHAN_FROM_IOPART: the guest removes'),
    union(null, [
      nested('vhba', iochannelVhba, 'vhba config'),
      nested('vnic', iochannelVnic, 'vnic config'),
    ]),
    array('client_string', 'u8', MAX_CLIENTSTRING_LEN, 'NUL-terminated client string'),
  ],
  1438,
);
