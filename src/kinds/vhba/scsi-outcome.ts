// What a SCSI command execution produces, in the terms the IOSP copies into a `uiscmdrsp`
// response (spar-protocol.md §4.2 response processing, §4.4.3): the Linux result word, the SAM
// status, `addlstat`, 64 bytes of sense and the data-in bytes. The constructors here are the only
// places such outcomes are built, so every CHECK CONDITION carries DRIVER_SENSE and sense data.

import { assert } from '../../base/assert.js';
import { ADDL_SEL_TIMEOUT, MAX_SENSE_SIZE } from '../../protocol/uiscmdrsp-constants.js';
import {
  DID_NO_CONNECT,
  DRIVER_SENSE,
  SAM_STAT_CHECK_CONDITION,
  SAM_STAT_GOOD,
  linuxResult,
} from '../../protocol/uiscmdrsp-linuxstat.js';
import {
  FIXED_SENSE_BYTES,
  SENSE_RESPONSE_CODE_FIXED,
  SENSE_VALID,
  type AdditionalSense,
} from './scsi-constants.js';

/** The result of one SCSI command at the target. */
export interface ScsiOutcome {
  /** Linux `scsi_cmnd.result`: driver << 24 | host << 16 | msg << 8 | status. */
  readonly linuxstat: number;
  /** SAM status byte (`scsi.scsistat`). */
  readonly scsistat: number;
  /** `scsi.addlstat`: ADDL_SEL_TIMEOUT for "no disk", else 0. */
  readonly addlstat: number;
  /** 64 bytes holding fixed-format sense data, for CHECK CONDITION only. */
  readonly sense: Uint8Array | null;
  /** Bytes for the guest's buffer (already cut to the allocation length), or null. */
  readonly dataIn: Uint8Array | null;
  /** INQUIRY to a LUN with no disk: the guest fabricates the answer (§4.2). */
  readonly noDiskResult: boolean;
}

/** GOOD status, optionally with data-in. */
export function good(dataIn: Uint8Array | null = null): ScsiOutcome {
  const linuxstat = linuxResult({ status: SAM_STAT_GOOD });
  const scsistat = SAM_STAT_GOOD;
  return { linuxstat, scsistat, addlstat: 0, sense: null, dataIn, noDiskResult: false };
}

/**
 * Fixed-format sense data (SPC-4 §4.5.3) in a MAX_SENSE_SIZE buffer: response code 0x70,
 * sense key in byte 2, INFORMATION in bytes 3..6 (VALID bit set when given), additional length
 * 10 in byte 7, ASC/ASCQ in bytes 12/13.
 */
export function fixedSense(
  senseKey: number,
  code: AdditionalSense,
  information?: number,
): Uint8Array {
  assert(senseKey >= 0 && senseKey <= 0x0f, `sense key ${senseKey} is not 4 bits`);
  const sense = new Uint8Array(MAX_SENSE_SIZE);
  const view = new DataView(sense.buffer);
  const valid = information !== undefined && information <= 0xffff_ffff;
  sense[0] = SENSE_RESPONSE_CODE_FIXED | (valid ? SENSE_VALID : 0);
  sense[2] = senseKey;
  if (valid) view.setUint32(3, information);
  sense[7] = FIXED_SENSE_BYTES - 8;
  sense[12] = code.asc;
  sense[13] = code.ascq;
  return sense;
}

/** CHECK CONDITION with autosense: driver byte DRIVER_SENSE, status 0x02, sense filled. */
export function checkCondition(
  senseKey: number,
  code: AdditionalSense,
  information?: number,
): ScsiOutcome {
  return {
    linuxstat: linuxResult({ driver: DRIVER_SENSE, status: SAM_STAT_CHECK_CONDITION }),
    scsistat: SAM_STAT_CHECK_CONDITION,
    addlstat: 0,
    sense: fixedSense(senseKey, code, information),
    dataIn: null,
    noDiskResult: false,
  };
}

/**
 * INQUIRY to a LUN with no disk: success with `no_disk_result` set, no data; the guest writes
 * the 36-byte "not present" answer itself (§4.2 response processing).
 */
export function noDiskInquiry(): ScsiOutcome {
  return { ...good(null), noDiskResult: true };
}

/**
 * Any other command to a LUN with no disk. Choice: host byte DID_NO_CONNECT with addlstat
 * ADDL_SEL_TIMEOUT — the pair the guest recognises as "disk not present" and leaves out of its
 * error bookkeeping (§4.2) — no sense, SAM status GOOD (the command never reached a device).
 */
export function noConnect(): ScsiOutcome {
  return {
    linuxstat: linuxResult({ host: DID_NO_CONNECT }),
    scsistat: SAM_STAT_GOOD,
    addlstat: ADDL_SEL_TIMEOUT,
    sense: null,
    dataIn: null,
    noDiskResult: false,
  };
}
