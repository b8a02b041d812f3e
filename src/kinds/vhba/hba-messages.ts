// The messages of a vhba channel as the guest's storage stack reads and writes them
// (spar-protocol.md §4.2, §4.4): a removed response slot as virthba's event, and a write's blocks
// into its slot's DMA buffer.

import { writeBlockPattern } from '../../../machines/block-workload.logic.js';
import type { BlockBuffer } from '../../../machines/scsi-midlayer.logic.js';
import { CMD_NOTIFYGUEST_TYPE } from '../../../machines/virthba.logic.js';
import type { VirthbaResponseEvent } from '../../../machines/virthba.types.js';
import { type ChannelError, channelError } from '../../channel/index.js';
import {
  CMD_SCSI_TYPE,
  CMD_SCSITASKMGMT_TYPE,
  IOCHAN_FROM_IOPART,
} from '../../protocol/uiscmdrsp-constants.js';
import {
  decodeCmdtype,
  decodeScsiResponse,
  decodeTaskMgmtResponse,
} from '../../protocol/uiscmdrsp-scsi.js';

/**
 * The response in `slot` as virthba's event (`more`: the ring holds another), or the channel error
 * of a torn slot.
 */
export function responseEvent(
  slot: Uint8Array,
  more: boolean,
): VirthbaResponseEvent | ChannelError {
  const cmdtype = decodeCmdtype(slot);
  if (cmdtype.ok && cmdtype.value === CMD_SCSI_TYPE) {
    const r = decodeScsiResponse(slot);
    if (r.ok) {
      const { handle, linuxstat, sense, noDiskResult } = r.value;
      const status = { linuxstat, sense: linuxstat === 0 ? null : [...sense], noDiskResult };
      return { type: 'SCSI_RESPONSE', handle: Number(handle), ...status, more };
    }
  }
  if (cmdtype.ok && cmdtype.value === CMD_SCSITASKMGMT_TYPE) {
    const r = decodeTaskMgmtResponse(slot);
    if (r.ok) {
      const { handle, result } = r.value;
      return { type: 'TASKMGMT_RESPONSE', handle: Number(handle), result, more };
    }
  }
  // Only CMD_NOTIFYGUEST_TYPE is a message virthba may ignore; any other slot (an unknown type,
  // or a SCSI or task-management response its decoder refused) is torn: the ring is not sound.
  if (cmdtype.ok && cmdtype.value === CMD_NOTIFYGUEST_TYPE) {
    return { type: 'OTHER_RESPONSE', cmdtype: cmdtype.value, more };
  }
  const actual = cmdtype.ok ? cmdtype.value : 'unreadable';
  const expected = `a SCSI, task-management or notify-guest response`;
  return channelError('bad-slot', 'cmdtype', expected, actual, IOCHAN_FROM_IOPART);
}

/** A write's blocks, as the workload's pattern of `version`, into its slot's DMA buffer. */
export function writeBuffer(
  dma: SharedArrayBuffer,
  offset: number,
  buffer: BlockBuffer,
  version: number,
): void {
  const { lba, blocks, blockSize } = buffer;
  const memory = new Uint8Array(dma, offset, blocks * blockSize);
  for (let b = 0; b < blocks; b++) {
    writeBlockPattern(memory.subarray(b * blockSize, (b + 1) * blockSize), lba + b, version);
  }
}
