// The `include/iochannel.h` constants of the vhba command/response protocol (spar-protocol.md
// §4.4.1), in one place. The sizes that shape the layout (`MAX_*`, `SIZEOF_CMDRSP`) are declared
// beside the struct descriptors in iochannel-layout.ts and re-exported here, not duplicated, so a
// codec or device imports every §4.4.1 value it needs from this module.

export { MAX_CMND_SIZE, MAX_PHYS_INFO, MAX_SENSE_SIZE, SIZEOF_CMDRSP } from './iochannel-layout.js';

/** `IOCHAN_TO_IOPART` / `IOCHAN_FROM_IOPART` (§4.4.1): an IO channel's queues (guest → IOSP, back). */
export const IOCHAN_TO_IOPART = 0;
export const IOCHAN_FROM_IOPART = 1;

/** `cmdtype` of a `uiscmdrsp`: selects the union member (§4.4.3). */
export const CMD_SCSI_TYPE = 1;
export const CMD_NET_TYPE = 2;
export const CMD_SCSITASKMGMT_TYPE = 3;
/** IOSP → guest disk add/remove; the final guest logs it once and ignores it (§4.2). */
export const CMD_NOTIFYGUEST_TYPE = 4;
/** Era A/B only; removed in the final header. */
export const CMD_VDISKMGMT_TYPE = 5;

/** `scsi.data_dir`: the Linux DMA direction of the command, mapped 1:1 (§4.2 queuecommand). */
export const UIS_DMA_BIDIRECTIONAL = 0;
export const UIS_DMA_TO_DEVICE = 1;
export const UIS_DMA_FROM_DEVICE = 2;
export const UIS_DMA_NONE = 3;

/** A valid `scsi.data_dir` value. */
export type UisDmaDirection =
  | typeof UIS_DMA_BIDIRECTIONAL
  | typeof UIS_DMA_TO_DEVICE
  | typeof UIS_DMA_FROM_DEVICE
  | typeof UIS_DMA_NONE;

/** `scsitaskmgmt.tasktype` (§4.2 error handler: abort 1, device reset 3, bus reset 2). */
export const TASK_MGMT_ABORT_TASK = 1;
export const TASK_MGMT_BUS_RESET = 2;
export const TASK_MGMT_LUN_RESET = 3;
export const TASK_MGMT_TARGET_RESET = 4;

/** `scsitaskmgmt.result` for a failed request; the final guest treats any answer as success. */
export const TASK_MGMT_FAILED = 0;
/** Era A's success value; the final header only names the failure. */
export const TASK_MGMT_SUCCESS = 1;

/** `scsi.addlstat` with host byte DID_NO_CONNECT: "no disk here", skipped by error bookkeeping. */
export const ADDL_SEL_TIMEOUT = 4;

/** No-disk INQUIRY fabrication by the guest (§4.2 response processing). */
export const DEV_NOT_CAPABLE = 0x7f;
export const DEV_DISK_CAPABLE_NOT_PRESENT = 0x20;
export const DEV_HISUPPORT = 0x10;
export const NO_DISK_INQUIRY_RESULT_LEN = 36;
export const MIN_INQUIRY_RESULT_LEN = 5;
export const SCSI_SPC2_VER = 4;

export { MAX_NET_RCV_CHAIN } from './iochannel-layout.js';

/** `net.type` of a CMD_NET_TYPE `uiscmdrsp` (§4.4.1; directions as the guest uses them). */
/** guest → IOSP: here is an empty receive buffer. */
export const NET_RCV_POST = 0;
/** IOSP → guest: a frame landed in posted buffer(s). */
export const NET_RCV = 1;
/** guest → IOSP: send this frame. */
export const NET_XMIT = 2;
/** IOSP → guest: the frame was sent (`xmt_done_result`). */
export const NET_XMIT_DONE = 3;
/** guest → IOSP: enable (1) / disable (0) reception. */
export const NET_RCV_ENBDIS = 4;
/** IOSP → guest: the ENBDIS was taken. */
export const NET_RCV_ENBDIS_ACK = 5;
/** guest → IOSP: promiscuous on / off. */
export const NET_RCV_PROMISC = 6;
/** IOSP → guest: link up (1) / down (0) behind the IOSP. */
export const NET_CONNECT_STATUS = 7;
/** guest → IOSP (defined, unused by Linux). */
export const NET_MACADDR = 8;
/** IOSP → guest (defined, unused). */
export const NET_MACADDR_ACK = 9;

/** `xmt_done_result`: Era A names (§4.4.1). */
export const XMIT_SUCCESS = 0;
export const XMIT_FAILED = 1;

/** One receive buffer: a page minus a cache line (§4.3). */
export const RCVPOST_BUF_SIZE = 4032;
/** Ethernet header bytes; a transmit shorter than this is dropped (§4.3). */
export const ETH_HLEN = 14;
/** Short frames are padded to this many bytes (§4.3, §4.4.1). */
export const ETH_MIN_PACKET_SIZE = 60;
/** `VISOR_ETH_MAX_MTU` (§4.4.1). */
export const VISOR_ETH_MAX_MTU = 16384;
/** `PI_PAGE_SIZE`: `phys_info` counts 4 KiB pages (§4.4.1). */
export const PI_PAGE_SIZE = 0x1000;
