// Codec for the SCSI members of a vhba `uiscmdrsp` slot (spar-protocol.md §4.2, §4.4.3, §4.4.4):
// `scsi` (cmdtype 1) commands and responses, `scsitaskmgmt` (cmdtype 3) requests and responses.
// Encoders write a fresh SIZEOF_CMDRSP (1216-byte) slot from our own values and assert them
// (a bad value is our bug). Decoders read bytes another partition wrote: they never throw, read
// only the first `uiscmdrsp.sizeBytes` (1185) bytes of the slot, and return typed errors.
//
// Choices (the reference leaves them open):
// - A slot shorter than the 1185-byte struct is `short-slot`; the 31 padding bytes up to 1216 are
//   never read, so a caller may pass the struct alone.
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
// - Task-management `tasktype` is returned as a number, unknown values included: an unknown
//   type is a request the IOSP answers with TASK_MGMT_FAILED, not undecodable bytes.

import { assert } from '../base/assert.js';
import { err, ok, type Result } from '../base/result.js';
import { StructView } from '../base/struct.js';
import { guestPhysInfo, uiscmdrsp } from './iochannel-layout.js';
import {
  CMD_SCSI_TYPE,
  CMD_SCSITASKMGMT_TYPE,
  MAX_CMND_SIZE,
  MAX_PHYS_INFO,
  MAX_SENSE_SIZE,
  SIZEOF_CMDRSP,
  UIS_DMA_NONE,
  type UisDmaDirection,
} from './uiscmdrsp-constants.js';

/** `struct uisscsi_dest`. */
export interface ScsiDest {
  /** SCSI bus. */
  readonly channel: number;
  /** Target id. */
  readonly id: number;
  readonly lun: number;
}

/** `struct guest_phys_info`: one scatter-gather element in guest-physical memory. */
export interface GuestPhysEntry {
  /** Guest-physical byte address. */
  readonly address: bigint;
  /** Bytes. */
  readonly length: bigint;
}

/** A SCSI command as the guest queues it on queue 0 (§4.2 queuecommand step 3). */
export interface ScsiCommand {
  /** Pending-table slot 0..127 in the final guest; the correlation key. */
  readonly handle: bigint;
  /** The CDB, at most MAX_CMND_SIZE bytes (decoded commands always have 16). */
  readonly cdb: Uint8Array;
  /** Total transfer length in bytes; equals the sum of the gpi lengths. */
  readonly bufflen: number;
  readonly dataDir: UisDmaDirection;
  readonly vdest: ScsiDest;
  /** At most MAX_PHYS_INFO entries. */
  readonly gpiList: readonly GuestPhysEntry[];
}

/** The command fields a response echoes (§4.4.4); a {@link ScsiCommand} is one. */
export type ScsiCommandEcho = Pick<ScsiCommand, 'handle' | 'vdest' | 'cdb'>;

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

/** A task-management request (§4.2 error handler). */
export interface TaskMgmtRequest {
  /** TASK_MGMT_* value; unknown values are possible in decoded requests. */
  readonly tasktype: number;
  readonly vdest: ScsiDest;
  /** Pending-table slot. */
  readonly handle: bigint;
  /** Guest IDR id of the waiter (0 = the guest's allocation failed). */
  readonly notifyHandle: bigint;
  /** Guest IDR id of the result int. */
  readonly notifyResultHandle: bigint;
}

/** A task-management response: the request echoed plus `result`. */
export interface TaskMgmtResponse extends TaskMgmtRequest {
  /** `scsitaskmgmt.result` byte; TASK_MGMT_FAILED 0. */
  readonly result: number;
}

/** Why slot bytes could not be decoded. */
export type ScsiCodecErrorCode =
  | 'short-slot'
  | 'wrong-cmdtype'
  | 'too-many-gpi-entries'
  | 'bad-data-dir'
  | 'bufflen-mismatch';

/** A typed decode error: field, expected and actual value, never thrown. */
export interface ScsiCodecError {
  readonly code: ScsiCodecErrorCode;
  /** Dotted `uiscmdrsp` field name. */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  /** One line: what, where, expected and actual. */
  readonly message: string;
  /** Present when the slot was a SCSI command whose key could be read: answer with it. */
  readonly echo?: ScsiCommandEcho;
}

const STRUCT_BYTES = uiscmdrsp.sizeBytes;
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

/** The `short-slot` error of a slot shorter than the struct, or null. */
function shortSlot(slot: Uint8Array): ScsiCodecError | null {
  if (slot.length >= STRUCT_BYTES) return null;
  return codecError('short-slot', 'uiscmdrsp', `>= ${STRUCT_BYTES} bytes`, `${slot.length} bytes`);
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

function codecError(
  code: ScsiCodecErrorCode,
  field: string,
  expected: string | number | bigint,
  actual: string | number | bigint,
  echo?: ScsiCommandEcho,
): ScsiCodecError {
  const message = `${code}: ${field} is ${String(actual)}, expected ${String(expected)}`;
  const base = { code, field, expected: String(expected), actual: String(actual), message };
  return echo === undefined ? base : { ...base, echo };
}

/** A fresh zeroed slot and a view of its struct part, with `cmdtype` set. */
function freshSlot(cmdtype: number): { slot: Uint8Array; view: StructView } {
  const slot = new Uint8Array(SIZEOF_CMDRSP);
  const view = new StructView(uiscmdrsp, slot.subarray(0, STRUCT_BYTES));
  view.set('cmdtype', cmdtype);
  return { slot, view };
}

/** A view of a hostile slot's struct part, after the length check. */
function openSlot(slot: Uint8Array): Result<StructView, ScsiCodecError> {
  const short = shortSlot(slot);
  if (short !== null) return err(short);
  return ok(new StructView(uiscmdrsp, slot.subarray(0, STRUCT_BYTES)));
}

/** Opens a slot and checks its `cmdtype`. */
function openTyped(slot: Uint8Array, cmdtype: number): Result<StructView, ScsiCodecError> {
  const opened = openSlot(slot);
  if (!opened.ok) return opened;
  const actual = opened.value.get('cmdtype');
  return actual === cmdtype ? opened : err(codecError('wrong-cmdtype', 'cmdtype', cmdtype, actual));
}

/** Reads `cmdtype` so a poller can dispatch a removed slot before decoding it. */
export function decodeCmdtype(slot: Uint8Array): Result<number, ScsiCodecError> {
  const short = shortSlot(slot);
  if (short !== null) return err(short);
  return ok(slot[AT.cmdtype] as number);
}

function readDest(view: StructView, prefix: string): ScsiDest {
  return {
    channel: view.get(`${prefix}.vdest.channel`),
    id: view.get(`${prefix}.vdest.id`),
    lun: view.get(`${prefix}.vdest.lun`),
  };
}

function writeDest(view: StructView, prefix: string, dest: ScsiDest): void {
  view.set(`${prefix}.vdest.channel`, dest.channel);
  view.set(`${prefix}.vdest.id`, dest.id);
  view.set(`${prefix}.vdest.lun`, dest.lun);
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

function writeTaskMgmt(view: StructView, request: TaskMgmtRequest): void {
  view.set('scsitaskmgmt.tasktype', request.tasktype);
  writeDest(view, 'scsitaskmgmt', request.vdest);
  view.set64('scsitaskmgmt.handle', request.handle);
  view.set64('scsitaskmgmt.notify_handle', request.notifyHandle);
  view.set64('scsitaskmgmt.notifyresult_handle', request.notifyResultHandle);
}

function readTaskMgmt(view: StructView): TaskMgmtRequest {
  return {
    tasktype: view.get('scsitaskmgmt.tasktype'),
    vdest: readDest(view, 'scsitaskmgmt'),
    handle: view.get64('scsitaskmgmt.handle'),
    notifyHandle: view.get64('scsitaskmgmt.notify_handle'),
    notifyResultHandle: view.get64('scsitaskmgmt.notifyresult_handle'),
  };
}

/** Builds the queue-0 slot of a task-management request (cmdtype CMD_SCSITASKMGMT_TYPE). */
export function encodeTaskMgmt(request: TaskMgmtRequest): Uint8Array {
  const { slot, view } = freshSlot(CMD_SCSITASKMGMT_TYPE);
  writeTaskMgmt(view, request);
  return slot;
}

/** Decodes a queue-0 task-management slot; `result` is not read (the guest leaves it 0). */
export function decodeTaskMgmt(slot: Uint8Array): Result<TaskMgmtRequest, ScsiCodecError> {
  const opened = openTyped(slot, CMD_SCSITASKMGMT_TYPE);
  return opened.ok ? ok(readTaskMgmt(opened.value)) : opened;
}

/** Builds the queue-1 slot answering `request`: all of it echoed plus the result byte (§4.4.4). */
export function encodeTaskMgmtResponse(request: TaskMgmtRequest, result: number): Uint8Array {
  const { slot, view } = freshSlot(CMD_SCSITASKMGMT_TYPE);
  writeTaskMgmt(view, request);
  view.set('scsitaskmgmt.result', result);
  return slot;
}

/** Decodes a queue-1 task-management response slot. */
export function decodeTaskMgmtResponse(slot: Uint8Array): Result<TaskMgmtResponse, ScsiCodecError> {
  const opened = openTyped(slot, CMD_SCSITASKMGMT_TYPE);
  if (!opened.ok) return opened;
  return ok({ ...readTaskMgmt(opened.value), result: opened.value.get('scsitaskmgmt.result') });
}
