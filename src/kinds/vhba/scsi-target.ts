// The SCSI target behind an IOSP's vhba adapter: executes one CDB against one LUN's disk and
// returns what the IOSP copies into the `uiscmdrsp` response (spar-protocol.md §4.2, §4.4.3).
// Pure: the disk is the only state, no time, no randomness. Commands: SPC-4 and SBC-3 as cited
// per case below; the guest's Linux midlayer and sd driver send nothing else during scan and I/O.
//
// Choices:
// - The CDB is read zero-padded to 16 bytes (what the kernel's MAX_CMND_SIZE copy gives).
// - `allocationLength` is the guest's buffer (`bufflen`). Data-in is cut to the smaller of it and
//   the CDB's allocation length. For READ, `allocationLength` must equal transfer length × block
//   size, and for WRITE the data-out must: otherwise ILLEGAL REQUEST with ASC/ASCQ 0x0E/0x03
//   INVALID FIELD IN COMMAND INFORMATION UNIT (SPC-4) — the uiscmdrsp plays the part of the
//   command IU whose expected length disagrees with the CDB. Checked after the LBA range.
// - A range check covers every LBA touched: `lba + count > blocks` (or `lba ≥ blocks`) is
//   LOGICAL BLOCK ADDRESS OUT OF RANGE (SBC-3 §4.5), also for SYNCHRONIZE CACHE.
// - A planned medium error answers MEDIUM ERROR with UNRECOVERED READ ERROR or WRITE ERROR and
//   the failing LBA in INFORMATION (VALID set), as SBC-3 §4.18 describes.
// - No disk (`disk === null`): INQUIRY succeeds with `noDiskResult`; any other command gets
//   DID_NO_CONNECT + ADDL_SEL_TIMEOUT (scsi-outcome.ts `noConnect`).
// - REQUEST SENSE reports NO SENSE: the target keeps no state, sense went with the failed command.

import { assert } from '../../base/assert.js';
import { MAX_CMND_SIZE } from '../../protocol/uiscmdrsp-constants.js';
import type { Disk } from './disk.js';
import * as op from './scsi-constants.js';
import { ASC, ILLEGAL_REQUEST, MEDIUM_ERROR, type AdditionalSense } from './scsi-constants.js';
import {
  checkCondition,
  good,
  noConnect,
  noDiskInquiry,
  type ScsiOutcome,
} from './scsi-outcome.js';
import * as pages from './scsi-pages.js';

export type { ScsiOutcome } from './scsi-outcome.js';

/** What the IOSP knows beyond the LUN's disk. */
export interface ScsiTargetOptions {
  /** LUNs of this target for REPORT LUNS (0..16383); default `[0]`, one disk per target. */
  readonly luns?: readonly number[];
}

const illegal = (code: AdditionalSense): ScsiOutcome => checkCondition(ILLEGAL_REQUEST, code);

/** Cuts data-in to the allocation lengths the CDB and the guest's buffer allow. */
function dataIn(data: Uint8Array, cdbAllocation: number, bufferBytes: number): ScsiOutcome {
  return good(data.slice(0, Math.min(data.length, cdbAllocation, bufferBytes)));
}

/**
 * Executes one SCSI command. `cdb` is 1..16 bytes, `dataOut` the bytes the IOSP fetched from the
 * guest for a data-out command (else null), `allocationLength` the guest buffer size in bytes.
 */
export function executeScsi(
  disk: Disk | null,
  cdb: Uint8Array,
  dataOut: Uint8Array | null,
  allocationLength: number,
  options: ScsiTargetOptions = {},
): ScsiOutcome {
  assert(cdb.length >= 1 && cdb.length <= MAX_CMND_SIZE, `CDB of ${cdb.length} bytes`);
  const lengthOk = Number.isSafeInteger(allocationLength) && allocationLength >= 0;
  assert(lengthOk, `bad allocation length ${allocationLength}`);
  const c = new Uint8Array(MAX_CMND_SIZE);
  c.set(cdb);
  const opcode = c[0] ?? 0;
  if (disk === null) return opcode === op.INQUIRY ? noDiskInquiry() : noConnect();
  const view = new DataView(c.buffer);
  switch (opcode) {
    case op.TEST_UNIT_READY:
      return good(); // the medium is always there and ready
    case op.SYNCHRONIZE_CACHE_10:
    case op.SYNCHRONIZE_CACHE_16:
      return synchronizeCache(disk, opcode, view);
    case op.REQUEST_SENSE:
      return dataIn(pages.noSenseData(), c[4] ?? 0, allocationLength);
    case op.INQUIRY:
      return inquiry(disk, c, view.getUint16(3), allocationLength);
    case op.MODE_SENSE_6:
    case op.MODE_SENSE_10:
      return modeSense(disk, c, view, allocationLength);
    case op.READ_CAPACITY_10:
      return dataIn(pages.readCapacity10(disk.spec), 8, allocationLength);
    case op.SERVICE_ACTION_IN_16:
      if (((c[1] ?? 0) & 0x1f) === op.SAI_READ_CAPACITY_16) {
        return dataIn(pages.readCapacity16(disk.spec), view.getUint32(10), allocationLength);
      }
      return illegal(ASC.INVALID_FIELD_IN_CDB); // another service action
    case op.READ_10:
    case op.READ_16:
    case op.WRITE_10:
    case op.WRITE_16:
      return readWrite(disk, opcode, view, dataOut, allocationLength);
    case op.REPORT_LUNS:
      return reportLuns(c, view.getUint32(6), allocationLength, options.luns ?? [0]);
    default:
      return illegal(ASC.INVALID_COMMAND_OPERATION_CODE);
  }
}

/** INQUIRY (SPC-4 §6.6): standard data when EVPD is 0, else the VPD page asked for. */
function inquiry(
  disk: Disk,
  c: Uint8Array,
  cdbAllocation: number,
  bufferBytes: number,
): ScsiOutcome {
  const flags = c[1] ?? 0;
  const page = c[2] ?? 0;
  if ((flags & 0x02) !== 0) return illegal(ASC.INVALID_FIELD_IN_CDB); // CMDDT, obsolete
  if ((flags & 0x01) === 0) {
    if (page !== 0) return illegal(ASC.INVALID_FIELD_IN_CDB);
    return dataIn(pages.standardInquiry(), cdbAllocation, bufferBytes);
  }
  const data = pages.vpd(page, disk.spec);
  if (data === null) return illegal(ASC.INVALID_FIELD_IN_CDB);
  return dataIn(data, cdbAllocation, bufferBytes);
}

/** MODE SENSE(6) (SPC-4 §6.13) and (10) (§6.14). */
function modeSense(disk: Disk, c: Uint8Array, view: DataView, bufferBytes: number): ScsiOutcome {
  const tenByte = c[0] === op.MODE_SENSE_10;
  const request: pages.ModeSenseRequest = {
    pageControl: (c[2] ?? 0) >> 6,
    pageCode: (c[2] ?? 0) & 0x3f,
    subpageCode: c[3] ?? 0,
    disableBlockDescriptors: ((c[1] ?? 0) & 0x08) !== 0,
    tenByte,
  };
  const data = pages.modeSense(disk.spec, request);
  if (!(data instanceof Uint8Array)) return illegal(data);
  return dataIn(data, tenByte ? view.getUint16(7) : (c[4] ?? 0), bufferBytes);
}

/** REPORT LUNS (SPC-4 §6.33): an allocation length below 16 is INVALID FIELD IN CDB. */
function reportLuns(
  c: Uint8Array,
  cdbAllocation: number,
  bufferBytes: number,
  luns: readonly number[],
): ScsiOutcome {
  if ((c[2] ?? 0) > 0x02 || cdbAllocation < 16) return illegal(ASC.INVALID_FIELD_IN_CDB);
  return dataIn(pages.reportLuns(luns), cdbAllocation, bufferBytes);
}

/** The blocks a READ or WRITE (10 or 16) CDB touches, and whether it writes; null for others. */
export function rwExtent(
  cdb: Uint8Array,
): { readonly lba: number; readonly count: number; readonly write: boolean } | null {
  const opcode = cdb[0];
  const sixteen = opcode === op.READ_16 || opcode === op.WRITE_16;
  const write = opcode === op.WRITE_10 || opcode === op.WRITE_16;
  if (!sixteen && !write && opcode !== op.READ_10) return null;
  if (cdb.length < (sixteen ? 16 : 10)) return null;
  const { lba, count } = lbaAndCount(new DataView(cdb.buffer, cdb.byteOffset, cdb.length), sixteen);
  return { lba: Number(lba), count, write };
}

/** LBA and block count of a 10- or 16-byte READ, WRITE or SYNCHRONIZE CACHE CDB. */
function lbaAndCount(view: DataView, sixteen: boolean): { lba: bigint; count: number } {
  return sixteen
    ? { lba: view.getBigUint64(2), count: view.getUint32(10) }
    : { lba: BigInt(view.getUint32(2)), count: view.getUint16(7) };
}

function outOfRange(disk: Disk, lba: bigint, count: number): boolean {
  const blocks = BigInt(disk.blocks);
  return lba >= blocks || lba + BigInt(count) > blocks;
}

/**
 * SYNCHRONIZE CACHE(10)/(16) (SBC-3 §5.22, §5.23): nothing is cached (writes are durable on
 * return), so only the range is checked; a block count of 0 means "to the end".
 */
function synchronizeCache(disk: Disk, opcode: number, view: DataView): ScsiOutcome {
  const { lba, count } = lbaAndCount(view, opcode === op.SYNCHRONIZE_CACHE_16);
  return outOfRange(disk, lba, count) ? illegal(ASC.LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE) : good();
}

/** READ(10)/(16) (SBC-3 §5.8, §5.10) and WRITE(10)/(16) (§5.32, §5.34). */
function readWrite(
  disk: Disk,
  opcode: number,
  view: DataView,
  dataOut: Uint8Array | null,
  bufferBytes: number,
): ScsiOutcome {
  const isWrite = opcode === op.WRITE_10 || opcode === op.WRITE_16;
  const { lba, count } = lbaAndCount(view, opcode === op.READ_16 || opcode === op.WRITE_16);
  if (outOfRange(disk, lba, count)) return illegal(ASC.LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE);
  const bytes = count * disk.blockSize;
  const supplied = isWrite ? (dataOut?.length ?? 0) : bufferBytes;
  if (supplied !== bytes) return illegal(ASC.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
  const first = Number(lba); // < blocks ≤ 2^21: exact
  const data = dataOut ?? new Uint8Array(0);
  const result = isWrite ? disk.write(first, data) : disk.read(first, count);
  if (result.ok) return good(result.value ?? null);
  // The range and length were checked above, so only a planned medium error is left.
  const { code: diskCode, message } = result.error;
  assert(diskCode === 'medium-error', `disk ${message} after the target's own checks`);
  const code = isWrite ? ASC.WRITE_ERROR : ASC.UNRECOVERED_READ_ERROR;
  return checkCondition(MEDIUM_ERROR, code, result.error.lba);
}
