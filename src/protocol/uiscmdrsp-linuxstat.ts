// The Linux `scsi_cmnd.result` word the IOSP puts into `scsi.linuxstat` (spar-protocol.md §4.2
// response processing, §4.4.3): `driver << 24 | host << 16 | msg << 8 | status`. visorhba copies
// it into the command unchanged, so the IOSP speaks the guest kernel's own encoding. Values are
// from the Linux headers of the visorhba era (`include/scsi/scsi.h`: DID_*, DRIVER_*) and SAM
// (`include/scsi/scsi_proto.h`: SAM_STAT_*).

import { assert } from '../base/assert.js';

/** Host byte (bits 16..23): what the HBA path did. */
export const DID_OK = 0x00;
/** The target is not there; with `addlstat == ADDL_SEL_TIMEOUT` it means "no disk" (§4.2). */
export const DID_NO_CONNECT = 0x01;
export const DID_BUS_BUSY = 0x02;
export const DID_TIME_OUT = 0x03;
export const DID_BAD_TARGET = 0x04;
/** visorhba completes an aborted command with this after a successful abort (§4.2). */
export const DID_ABORT = 0x05;
/** Internal error of the HBA path; the IOSP answers a malformed command with it. */
export const DID_ERROR = 0x07;
/** visorhba completes every pending command with this when the IOSP goes away (§4.2 pause). */
export const DID_RESET = 0x08;

/** Driver byte (bits 24..31): DRIVER_SENSE says the sense buffer holds valid sense data. */
export const DRIVER_OK = 0x00;
export const DRIVER_SENSE = 0x08;

/** Status byte (bits 0..7): SAM status codes (SAM-5 §5.3.1), also carried in `scsi.scsistat`. */
export const SAM_STAT_GOOD = 0x00;
export const SAM_STAT_CHECK_CONDITION = 0x02;
export const SAM_STAT_BUSY = 0x08;
export const SAM_STAT_TASK_SET_FULL = 0x28;

/** The four bytes of a result word. */
export interface LinuxResultParts {
  /** DRIVER_* (0..255). */
  readonly driver?: number;
  /** DID_* (0..255). */
  readonly host?: number;
  /** SCSI message byte (0..255); always 0 here. */
  readonly msg?: number;
  /** SAM_STAT_* (0..255). */
  readonly status?: number;
}

const isByte = (value: number): boolean => Number.isInteger(value) && value >= 0 && value <= 0xff;

/**
 * Packs a result word. The shift makes it a signed 32-bit value, which is exactly what the
 * `int linuxstat` field holds (a driver byte ≥ 0x80 would be negative, as in the kernel).
 */
export function linuxResult(parts: LinuxResultParts): number {
  const { driver = 0, host = 0, msg = 0, status = 0 } = parts;
  assert(isByte(driver) && isByte(host), `driver ${driver} / host ${host} is not a byte`);
  assert(isByte(msg) && isByte(status), `msg ${msg} / status ${status} is not a byte`);
  return (driver << 24) | (host << 16) | (msg << 8) | status;
}

/** The host byte (`host_byte()` in the kernel). */
export function hostByte(result: number): number {
  return (result >>> 16) & 0xff;
}

/** The driver byte (`driver_byte()` in the kernel of that era). */
export function driverByte(result: number): number {
  return (result >>> 24) & 0xff;
}

/**
 * The SAM status in the low byte. Named apart from the kernel's old `status_byte()`, which shifted
 * the byte right by one (CHECK_CONDITION 0x01 in that style).
 */
export function samStatus(result: number): number {
  return result & 0xff;
}
