// Codec for the SCSI member of a vhba `uiscmdrsp` slot (`scsi`, cmdtype CMD_SCSI_TYPE;
// spar-protocol.md §4.2, §4.4.3, §4.4.4): commands and their responses. Encoders write a fresh
// SIZEOF_CMDRSP (1216-byte) slot from our own values and assert them (a bad value is our bug).
// Decoders read bytes another partition wrote: they never throw, read only the first
// `uiscmdrsp.sizeBytes` (1185) bytes of the slot, and return typed errors. Task management lives
// in uiscmdrsp-taskmgmt.ts, what both share (destination, errors, slot checks) in
// uiscmdrsp-scsi-slot.ts; this module re-exports both so it stays the one import path.
//
// Choices (the reference leaves them open):
// - `guest_phys_entries > MAX_PHYS_INFO` is `too-many-gpi-entries` (the real guest refuses to send
//   more, §4.2 queuecommand step 4); entries past the count are ignored, not validated.
// - `data_dir > UIS_DMA_NONE` is `bad-data-dir`: the IOSP could not tell which way to copy.
// - `bufflen` ≠ the sum of the used gpi lengths is `bufflen-mismatch`: Linux builds bufflen as
//   that sum, and an IOSP trusting either one would copy a different amount than the guest mapped.
// - Errors found after the cmdtype check carry `echo` (handle, vdest, cmnd sit at fixed offsets),
//   so the IOSP can still answer the command (e.g. DID_ERROR) instead of dropping it (STYLE §6).
// - The CDB comes back as all 16 `cmnd` bytes: the wire does not carry the CDB length.
// - A response echoes only handle, vdest and cmnd (§4.4.4); bufflen, gpi_list and data_dir are
//   left zero because the guest reads its own `scsi_cmnd` for them (§4.2 response processing).

import { assert } from '../base/assert.js';
import { err, ok, type Result } from '../base/result.js';
import { guestPhysInfo, uiscmdrsp } from './iochannel-layout.js';
import {
  CMD_SCSI_TYPE,
  MAX_CMND_SIZE,
  MAX_PHYS_INFO,
  MAX_SENSE_SIZE,
  SIZEOF_CMDRSP,
  UIS_DMA_NONE,
  type UisDmaDirection,
} from './uiscmdrsp-constants.js';
import {
  STRUCT_BYTES,
  codecError,
  shortSlot,
  type ScsiCodecError,
  type ScsiCommandEcho,
} from './uiscmdrsp-scsi-slot.js';

export {
  decodeCmdtype,
  type ScsiCodecError,
  type ScsiCodecErrorCode,
  type ScsiCommandEcho,
  type ScsiDest,
} from './uiscmdrsp-scsi-slot.js';
export {
  decodeTaskMgmt,
  decodeTaskMgmtResponse,
  encodeTaskMgmt,
  encodeTaskMgmtResponse,
  type TaskMgmtRequest,
  type TaskMgmtResponse,
} from './uiscmdrsp-taskmgmt.js';

/** `struct guest_phys_info`: one scatter-gather element in guest-physical memory. */
export interface GuestPhysEntry {
  /** Guest-physical byte address. */
  readonly address: bigint;
  /** Bytes. */
  readonly length: bigint;
}

/** A SCSI command as the guest queues it on queue 0 (§4.2 queuecommand step 3). */
export interface ScsiCommand extends ScsiCommandEcho {
  /** Total transfer length in bytes; equals the sum of the gpi lengths. */
  readonly bufflen: number;
  readonly dataDir: UisDmaDirection;
  /** At most MAX_PHYS_INFO entries. */
  readonly gpiList: readonly GuestPhysEntry[];
}

/** The status fields the IOSP fills in a response. */
export interface ScsiStatus {
  /** Linux `scsi_cmnd.result` word (see uiscmdrsp-linuxstat.ts), signed 32-bit. */
  readonly linuxstat: number;
  /** SAM status byte. */
  readonly scsistat: number;
  /** Non-SCSI status byte (ADDL_SEL_TIMEOUT for "no disk"). */
  readonly addlstat: number;
  /** Sense data, at most MAX_SENSE_SIZE bytes (decoded responses always have 64). */
  readonly sense: Uint8Array;
  /** `no_disk_result ≠ 0`: the guest fabricates the INQUIRY answer (§4.2). */
  readonly noDiskResult: boolean;
}

/** A SCSI response as the guest removes it from queue 1. */
export interface ScsiResponse extends ScsiCommandEcho, ScsiStatus {}

const GPI_BYTES = guestPhysInfo.sizeBytes;

// Byte offsets of the SCSI member's fields, resolved (and their types checked) once at load: the
// SCSI command and response codecs run twice per simulated command, so they read and write
// through one DataView at fixed offsets instead of looking fields up by name.
function offsetOf(name: string, type: string): number {
  const field = uiscmdrsp.field(name);
  assert(field.type === type, `uiscmdrsp.${name} is ${field.type}, expected ${type}`);
  return field.offset;
}
const AT = {
  cmdtype: offsetOf('cmdtype', 'u8'),
  handle: offsetOf('scsi.handle', 'u64'),
  cmnd: offsetOf('scsi.cmnd', `u8[${MAX_CMND_SIZE}]`),
  bufflen: offsetOf('scsi.bufflen', 'u32'),
  entries: offsetOf('scsi.guest_phys_entries', 'u16'),
  gpi: offsetOf('scsi.gpi_list', `guest_phys_info[${MAX_PHYS_INFO}]`),
  dataDir: offsetOf('scsi.data_dir', 'u32'),
  channel: offsetOf('scsi.vdest.channel', 'u32'),
  id: offsetOf('scsi.vdest.id', 'u32'),
  lun: offsetOf('scsi.vdest.lun', 'u32'),
  linuxstat: offsetOf('scsi.linuxstat', 'i32'),
  scsistat: offsetOf('scsi.scsistat', 'u8'),
  addlstat: offsetOf('scsi.addlstat', 'u8'),
  sensebuf: offsetOf('scsi.sensebuf', `u8[${MAX_SENSE_SIZE}]`),
  noDisk: offsetOf('scsi.no_disk_result', 'i32'),
} as const;
const GPI_ADDRESS = guestPhysInfo.field('address').offset;
const GPI_LENGTH = guestPhysInfo.field('length').offset;

/** A DataView over a slot's struct part (the caller checked its length). */
function dataOf(slot: Uint8Array): DataView {
  return new DataView(slot.buffer, slot.byteOffset, STRUCT_BYTES);
}

function setU32(data: DataView, offset: number, value: number, name: string): void {
  assert(
    Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff,
    `${name}: ${value} out of range`,
  );
  data.setUint32(offset, value, true);
}

function setU8(data: DataView, offset: number, value: number, name: string): void {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xff, `${name}: ${value} out of range`);
  data.setUint8(offset, value);
}

function setU64(data: DataView, offset: number, value: bigint, name: string): void {
  assert(value >= 0n && value < 1n << 64n, `${name}: ${value} out of range`);
  data.setBigUint64(offset, value, true);
}

/** The fields a SCSI command and its response share (§4.4.4), written at fixed offsets. */
function writeScsiEcho(slot: Uint8Array, data: DataView, echo: ScsiCommandEcho): void {
  const cdbBytes = echo.cdb.length;
  assert(cdbBytes <= MAX_CMND_SIZE, `CDB of ${cdbBytes} bytes exceeds ${MAX_CMND_SIZE}`);
  setU64(data, AT.handle, echo.handle, 'scsi.handle');
  slot.set(echo.cdb, AT.cmnd);
  setU32(data, AT.channel, echo.vdest.channel, 'scsi.vdest.channel');
  setU32(data, AT.id, echo.vdest.id, 'scsi.vdest.id');
  setU32(data, AT.lun, echo.vdest.lun, 'scsi.vdest.lun');
}

function readScsiEcho(slot: Uint8Array, data: DataView): ScsiCommandEcho {
  return {
    handle: data.getBigUint64(AT.handle, true),
    cdb: slot.slice(AT.cmnd, AT.cmnd + MAX_CMND_SIZE),
    vdest: {
      channel: data.getUint32(AT.channel, true),
      id: data.getUint32(AT.id, true),
      lun: data.getUint32(AT.lun, true),
    },
  };
}

/** A fresh zeroed slot with `cmdtype` CMD_SCSI_TYPE, and a view of its struct part. */
function freshScsiSlot(): { slot: Uint8Array; data: DataView } {
  const slot = new Uint8Array(SIZEOF_CMDRSP);
  const data = dataOf(slot);
  data.setUint8(AT.cmdtype, CMD_SCSI_TYPE);
  return { slot, data };
}

/** The slot's struct part, after the length and `cmdtype` checks of a SCSI slot. */
function openScsi(slot: Uint8Array): Result<DataView, ScsiCodecError> {
  const short = shortSlot(slot);
  if (short !== null) return err(short);
  const data = dataOf(slot);
  const cmdtype = data.getUint8(AT.cmdtype);
  return cmdtype === CMD_SCSI_TYPE
    ? ok(data)
    : err(codecError('wrong-cmdtype', 'cmdtype', CMD_SCSI_TYPE, cmdtype));
}

/** Builds the queue-0 slot of a SCSI command (cmdtype CMD_SCSI_TYPE). */
export function encodeScsiCommand(command: ScsiCommand): Uint8Array {
  const { gpiList, bufflen, dataDir } = command;
  assert(gpiList.length <= MAX_PHYS_INFO, `${gpiList.length} gpi entries exceed ${MAX_PHYS_INFO}`);
  assert(dataDir >= 0 && dataDir <= UIS_DMA_NONE, `data_dir ${dataDir} is not a UIS_DMA_* value`);
  const total = gpiList.reduce((sum, entry) => sum + entry.length, 0n);
  assert(total === BigInt(bufflen), `bufflen ${bufflen} differs from the gpi total ${total}`);
  const { slot, data } = freshScsiSlot();
  writeScsiEcho(slot, data, command);
  setU32(data, AT.bufflen, bufflen, 'scsi.bufflen');
  data.setUint16(AT.entries, gpiList.length, true);
  gpiList.forEach((entry, index) => {
    const at = AT.gpi + index * GPI_BYTES;
    setU64(data, at + GPI_ADDRESS, entry.address, `scsi.gpi_list[${index}].address`);
    setU64(data, at + GPI_LENGTH, entry.length, `scsi.gpi_list[${index}].length`);
  });
  data.setUint32(AT.dataDir, dataDir, true);
  return slot;
}

/** Decodes a queue-0 SCSI command slot; see the header for the hostile-byte choices. */
export function decodeScsiCommand(slot: Uint8Array): Result<ScsiCommand, ScsiCodecError> {
  const opened = openScsi(slot);
  if (!opened.ok) return opened;
  const data = opened.value;
  const echo = readScsiEcho(slot, data);
  const entries = data.getUint16(AT.entries, true);
  if (entries > MAX_PHYS_INFO) {
    const field = 'scsi.guest_phys_entries';
    return err(codecError('too-many-gpi-entries', field, `<= ${MAX_PHYS_INFO}`, entries, echo));
  }
  const dataDir = data.getUint32(AT.dataDir, true);
  if (!isUisDmaDirection(dataDir)) {
    return err(codecError('bad-data-dir', 'scsi.data_dir', `0..${UIS_DMA_NONE}`, dataDir, echo));
  }
  const gpiList = Array.from({ length: entries }, (_, index) => {
    const at = AT.gpi + index * GPI_BYTES;
    return {
      address: data.getBigUint64(at + GPI_ADDRESS, true),
      length: data.getBigUint64(at + GPI_LENGTH, true),
    };
  });
  const bufflen = data.getUint32(AT.bufflen, true);
  const total = gpiList.reduce((sum, entry) => sum + entry.length, 0n);
  if (total !== BigInt(bufflen)) {
    const expected = `${total} (sum of gpi lengths)`;
    return err(codecError('bufflen-mismatch', 'scsi.bufflen', expected, bufflen, echo));
  }
  return ok({ ...echo, bufflen, dataDir, gpiList });
}

function isUisDmaDirection(value: number): value is UisDmaDirection {
  return Number.isInteger(value) && value >= 0 && value <= UIS_DMA_NONE;
}

/**
 * Builds the queue-1 slot answering `command` (§4.4.4): cmdtype 1, handle, vdest and cmnd
 * echoed, status fields filled, sense zero-padded to 64 bytes.
 */
export function encodeScsiResponse(command: ScsiCommandEcho, status: ScsiStatus): Uint8Array {
  const senseBytes = status.sense.length;
  assert(senseBytes <= MAX_SENSE_SIZE, `sense of ${senseBytes} bytes exceeds ${MAX_SENSE_SIZE}`);
  const { slot, data } = freshScsiSlot();
  writeScsiEcho(slot, data, command);
  const { linuxstat } = status;
  assert(
    Number.isInteger(linuxstat) && linuxstat >= -0x8000_0000 && linuxstat <= 0x7fff_ffff,
    `scsi.linuxstat: ${linuxstat} out of range`,
  );
  data.setInt32(AT.linuxstat, linuxstat, true);
  setU8(data, AT.scsistat, status.scsistat, 'scsi.scsistat');
  setU8(data, AT.addlstat, status.addlstat, 'scsi.addlstat');
  slot.set(status.sense, AT.sensebuf);
  data.setInt32(AT.noDisk, status.noDiskResult ? 1 : 0, true);
  return slot;
}

/** Decodes a queue-1 SCSI response slot; every status value is accepted as the guest does. */
export function decodeScsiResponse(slot: Uint8Array): Result<ScsiResponse, ScsiCodecError> {
  const opened = openScsi(slot);
  if (!opened.ok) return opened;
  const data = opened.value;
  return ok({
    ...readScsiEcho(slot, data),
    linuxstat: data.getInt32(AT.linuxstat, true),
    scsistat: data.getUint8(AT.scsistat),
    addlstat: data.getUint8(AT.addlstat),
    sense: slot.slice(AT.sensebuf, AT.sensebuf + MAX_SENSE_SIZE),
    noDiskResult: data.getInt32(AT.noDisk, true) !== 0,
  });
}
