// SCSI wire constants the simulated target speaks: operation codes (SPC-4 / SBC-3 command
// tables), sense keys (SPC-4 §4.5.6, table 27) and additional sense codes (SPC-4 Annex D,
// table D.1). Names follow the standards (and Linux `include/scsi/scsi_proto.h`) verbatim.

/** Operation codes, first CDB byte. */
export const TEST_UNIT_READY = 0x00; // SPC-4 §6.47
export const REQUEST_SENSE = 0x03; // SPC-4 §6.39
export const INQUIRY = 0x12; // SPC-4 §6.6
export const MODE_SENSE_6 = 0x1a; // SPC-4 §6.13
export const READ_CAPACITY_10 = 0x25; // SBC-3 §5.15
export const READ_10 = 0x28; // SBC-3 §5.8
export const WRITE_10 = 0x2a; // SBC-3 §5.32
export const SYNCHRONIZE_CACHE_10 = 0x35; // SBC-3 §5.22
export const MODE_SENSE_10 = 0x5a; // SPC-4 §6.14
export const READ_16 = 0x88; // SBC-3 §5.10
export const WRITE_16 = 0x8a; // SBC-3 §5.34
export const SYNCHRONIZE_CACHE_16 = 0x91; // SBC-3 §5.23
/** SERVICE ACTION IN(16); service action 0x10 is READ CAPACITY(16) (SBC-3 §5.16). */
export const SERVICE_ACTION_IN_16 = 0x9e;
export const SAI_READ_CAPACITY_16 = 0x10;
export const REPORT_LUNS = 0xa0; // SPC-4 §6.33

/** Sense keys (SPC-4 table 27). */
export const NO_SENSE = 0x00;
export const MEDIUM_ERROR = 0x03;
export const ILLEGAL_REQUEST = 0x05;

/** An additional sense code and its qualifier. */
export interface AdditionalSense {
  readonly asc: number;
  readonly ascq: number;
}

/** Additional sense codes used here (SPC-4 Annex D). */
export const ASC = {
  NO_ADDITIONAL_SENSE_INFORMATION: { asc: 0x00, ascq: 0x00 },
  WRITE_ERROR: { asc: 0x0c, ascq: 0x00 },
  /** Choice: a buffer that does not match the CDB's transfer length (see scsi-target.ts). */
  INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT: { asc: 0x0e, ascq: 0x03 },
  UNRECOVERED_READ_ERROR: { asc: 0x11, ascq: 0x00 },
  INVALID_COMMAND_OPERATION_CODE: { asc: 0x20, ascq: 0x00 },
  LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE: { asc: 0x21, ascq: 0x00 },
  INVALID_FIELD_IN_CDB: { asc: 0x24, ascq: 0x00 },
  SAVING_PARAMETERS_NOT_SUPPORTED: { asc: 0x39, ascq: 0x00 },
} as const satisfies Record<string, AdditionalSense>;

/** Fixed-format sense data (SPC-4 §4.5.3): response code 0x70 (current error), 18 bytes. */
export const SENSE_RESPONSE_CODE_FIXED = 0x70;
/** The VALID bit of byte 0: the INFORMATION field holds the failing LBA. */
export const SENSE_VALID = 0x80;
export const FIXED_SENSE_BYTES = 18;
