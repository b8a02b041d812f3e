// What the vhba `uiscmdrsp` codecs share (spar-protocol.md §4.4.3, §4.4.4): the SCSI command
// (uiscmdrsp-scsi.ts) and task-management (uiscmdrsp-taskmgmt.ts) members name a disk the same
// way, report hostile bytes with one typed error, and check a slot's length the same way.
//
// Choice (the reference leaves it open): a slot shorter than the 1185-byte struct is
// `short-slot`; the 31 padding bytes up to 1216 are never read, so a caller may pass the struct
// alone.

import { err, ok, type Result } from '../base/result.js';
import { uiscmdrsp } from './iochannel-layout.js';

/** `struct uisscsi_dest`. */
export interface ScsiDest {
  /** SCSI bus. */
  readonly channel: number;
  /** Target id. */
  readonly id: number;
  readonly lun: number;
}

/** The command fields a response echoes (§4.4.4); a `ScsiCommand` is one. */
export interface ScsiCommandEcho {
  /** Pending-table slot 0..127 in the final guest; the correlation key. */
  readonly handle: bigint;
  /** The CDB, at most MAX_CMND_SIZE bytes (decoded commands always have 16). */
  readonly cdb: Uint8Array;
  readonly vdest: ScsiDest;
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

/** Bytes of the `uiscmdrsp` struct (1185): all a decoder reads of a slot. */
export const STRUCT_BYTES = uiscmdrsp.sizeBytes;
const CMDTYPE_AT = uiscmdrsp.field('cmdtype').offset;

/** Builds a {@link ScsiCodecError}; `echo` when the command's key was readable. */
export function codecError(
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

/** The `short-slot` error of a slot shorter than the struct, or null. */
export function shortSlot(slot: Uint8Array): ScsiCodecError | null {
  if (slot.length >= STRUCT_BYTES) return null;
  return codecError('short-slot', 'uiscmdrsp', `>= ${STRUCT_BYTES} bytes`, `${slot.length} bytes`);
}

/** Reads `cmdtype` so a poller can dispatch a removed slot before decoding it. */
export function decodeCmdtype(slot: Uint8Array): Result<number, ScsiCodecError> {
  const short = shortSlot(slot);
  if (short !== null) return err(short);
  return ok(slot[CMDTYPE_AT] as number);
}
