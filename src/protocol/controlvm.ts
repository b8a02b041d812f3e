// Controlvm message ids, flags, statuses and a codec for the 128-byte message
// (spar-protocol.md §2.1–2.4, §2.7). Decoding never throws on hostile bytes.

import { err, ok, type Result } from '../base/result.js';
import { StructView } from '../base/struct.js';
import { controlvmMessage } from './controlvm-layout.js';

/** Queue numbers of the controlvm channel and what the guest does with each (§2.1). */
export const CONTROLVM_QUEUE_REQUEST = 0; // guest inserts its responses
export const CONTROLVM_QUEUE_RESPONSE = 1; // guest drains and discards
export const CONTROLVM_QUEUE_EVENT = 2; // guest reads commands
export const CONTROLVM_QUEUE_ACK = 3; // guest acks every command

/** `enum controlvm_id` (§2.2). */
export const CONTROLVM_ID = {
  CONTROLVM_INVALID: 0x000,
  CONTROLVM_BUS_CREATE: 0x101,
  CONTROLVM_BUS_DESTROY: 0x102,
  CONTROLVM_BUS_CONFIGURE: 0x104,
  CONTROLVM_BUS_CHANGESTATE: 0x105,
  CONTROLVM_BUS_CHANGESTATE_EVENT: 0x106,
  CONTROLVM_DEVICE_CREATE: 0x201,
  CONTROLVM_DEVICE_DESTROY: 0x202,
  CONTROLVM_DEVICE_CONFIGURE: 0x203,
  CONTROLVM_DEVICE_CHANGESTATE: 0x204,
  CONTROLVM_DEVICE_CHANGESTATE_EVENT: 0x205,
  CONTROLVM_DEVICE_RECONFIGURE: 0x206,
  CONTROLVM_CHIPSET_INIT: 0x301,
  CONTROLVM_CHIPSET_STOP: 0x302,
  CONTROLVM_CHIPSET_READY: 0x304,
  CONTROLVM_CHIPSET_SELFTEST: 0x305,
  // Era A header only; the final guest answers them "unknown id".
  CONTROLVM_DISK_CREATE: 0x221,
  CONTROLVM_DISK_DESTROY: 0x222,
  CONTROLVM_DISK_CONFIGURE: 0x223,
  CONTROLVM_DISK_CHANGESTATE: 0x224,
  CONTROLVM_CHIPSET_SHUTDOWN: 0x303,
} as const;

/** The name of a controlvm id, or its hex value when unknown. */
export function controlvmIdName(id: number): string {
  const found = Object.entries(CONTROLVM_ID).find(([, v]) => v === id);
  return found === undefined ? `0x${id.toString(16)}` : found[0];
}

/** `controlvm_message_header.flags` bits (§2.3). */
export const CONTROLVM_FLAG = {
  failed: 0x1,
  responseExpected: 0x2,
  server: 0x4,
  testMessage: 0x8,
  partialCompletion: 0x10,
  preserve: 0x20,
  writerInDiag: 0x40,
} as const;

/** `CONTROLVM_RESP_*` completion statuses used so far (§2.7). */
export const CONTROLVM_RESP_SUCCESS = 0;
export const CONTROLVM_RESP_ALREADY_DONE = 1;
export const CONTROLVM_RESP_ID_UNKNOWN = 4;

/** `VISOR_CHIPSET_FEATURE_*` (§2.4). */
export const VISOR_CHIPSET_FEATURE_REPLY = 0x1;
export const VISOR_CHIPSET_FEATURE_PARA_HOTPLUG = 0x2;

/** The header fields spar-sim reads from a message. */
export interface ControlvmHeader {
  readonly id: number;
  readonly messageHandle: bigint;
  readonly completionStatus: number;
  readonly flags: number;
  readonly payloadBytes: number;
}

/** A message that could not be decoded. */
export interface DecodeError {
  readonly code: 'short-message';
  readonly message: string;
}

/** Builds a 128-byte message; `fill` sets packet fields through a typed view. */
export function encodeControlvmMessage(
  header: Pick<ControlvmHeader, 'id' | 'messageHandle' | 'flags'> & { completionStatus?: number },
  fill?: (view: StructView) => void,
): Uint8Array {
  const bytes = new Uint8Array(controlvmMessage.sizeBytes);
  const view = new StructView(controlvmMessage, bytes);
  view.set('hdr.id', header.id);
  view.set('hdr.message_size', controlvmMessage.sizeBytes);
  view.set('hdr.flags', header.flags);
  view.set('hdr.completion_status', header.completionStatus ?? 0);
  view.set64('hdr.message_handle', header.messageHandle);
  fill?.(view);
  return bytes;
}

/** Reads the header of a message removed from a controlvm queue. */
export function decodeControlvmHeader(bytes: Uint8Array): Result<ControlvmHeader, DecodeError> {
  if (bytes.length < controlvmMessage.sizeBytes) {
    return err({
      code: 'short-message',
      message: `controlvm message is ${bytes.length} bytes, expected 128`,
    });
  }
  const view = new StructView(controlvmMessage, bytes.subarray(0, controlvmMessage.sizeBytes));
  return ok({
    id: view.get('hdr.id'),
    messageHandle: view.get64('hdr.message_handle'),
    completionStatus: view.get('hdr.completion_status'),
    flags: view.get('hdr.flags'),
    payloadBytes: view.get('hdr.payload_bytes'),
  });
}

/**
 * The ack the guest inserts on queue 3 for every command (§2.5 step 3b): a copy of the header
 * with the payload fields zeroed and completion success.
 */
export function ackFor(command: Uint8Array): Uint8Array {
  const ack = new Uint8Array(controlvmMessage.sizeBytes);
  ack.set(command.subarray(0, 48));
  const view = new StructView(controlvmMessage, ack);
  view.set('hdr.completion_status', CONTROLVM_RESP_SUCCESS);
  view.set64('hdr.payload_vm_offset', 0n);
  view.set('hdr.payload_max_bytes', 0);
  view.set('hdr.payload_bytes', 0);
  return ack;
}

/** `CONTROLVM_MESSAGE_MAX`: messages per controlvm queue, and the queue-1 drain bound (§2.1, §2.5). */
export const CONTROLVM_MESSAGE_MAX = 64;

// The rest of the `CONTROLVM_RESP_*` list (§2.7). The final guest mixes these with positive Linux
// errno values (§2.6), so a CP must accept both kinds in `completion_status`.
/** §2.7: an ioremap of a channel failed. */
export const CONTROLVM_RESP_IOREMAP_FAILED = 2;
/** §2.7: a kmalloc failed. */
export const CONTROLVM_RESP_KMALLOC_FAILED = 3;
/** §2.7: the message id is not valid for a client partition. */
export const CONTROLVM_RESP_ID_INVALID_FOR_CLIENT = 5;
/** §2.7: CHIPSET_INIT with a non-zero switch count on a client. */
export const CONTROLVM_RESP_CLIENT_SWITCHCOUNT_NONZERO = 100;
/** §2.7: a command arrived before CHIPSET_INIT. */
export const CONTROLVM_RESP_EXPECTED_CHIPSET_INIT = 101;
/** §2.7: too many buses. */
export const CONTROLVM_RESP_ERROR_MAX_BUSES = 201;
/** §2.7: too many devices. */
export const CONTROLVM_RESP_ERROR_MAX_DEVICES = 202;
/** §2.7: the parameter payload is malformed. */
export const CONTROLVM_RESP_PAYLOAD_INVALID = 400;
/** §2.7: bad initiator parameter. */
export const CONTROLVM_RESP_INITIATOR_PARAMETER_INVALID = 401;
/** §2.7: bad target parameter. */
export const CONTROLVM_RESP_TARGET_PARAMETER_INVALID = 402;
/** §2.7: bad client parameter. */
export const CONTROLVM_RESP_CLIENT_PARAMETER_INVALID = 403;
/** §2.7: bus number invalid (Era A). */
export const CONTROLVM_RESP_BUS_INVALID = 500;
/** §2.7: device number invalid (Era A). */
export const CONTROLVM_RESP_DEVICE_INVALID = 501;
/** §2.7: channel invalid (Era A). */
export const CONTROLVM_RESP_CHANNEL_INVALID = 502;
/** §2.7: virtpci driver failure (Era A). */
export const CONTROLVM_RESP_VIRTPCI_DRIVER_FAILURE = 604;
/** §2.7: virtpci driver callback error (Era A). */
export const CONTROLVM_RESP_VIRTPCI_DRIVER_CALLBACK_ERROR = 605;
/** §2.7: generic driver callback error (Era A). */
export const CONTROLVM_RESP_GENERIC_DRIVER_CALLBACK_ERROR = 606;
/** §2.7, §3.6: BUS_DESTROY while a device slot is populated (Era A). */
export const CONTROLVM_RESP_ERROR_BUS_DEVICE_ATTACHED = 700;
/** §2.7: unknown channel type. */
export const CONTROLVM_RESP_CHANNEL_TYPE_UNKNOWN = 800;
/** §2.7: channel smaller than the type requires. */
export const CONTROLVM_RESP_CHANNEL_SIZE_TOO_SMALL = 801;
/** §2.7: chipset shutdown failed. */
export const CONTROLVM_RESP_CHIPSET_SHUTDOWN_FAILED = 1000;
/** §2.7: chipset shutdown already in progress. */
export const CONTROLVM_RESP_CHIPSET_SHUTDOWN_ALREADY_ACTIVE = 1001;
/** §2.7: chipset stop failed on a bus. */
export const CONTROLVM_RESP_CHIPSET_STOP_FAILED_BUS = 1100;
/** §2.7: chipset stop failed on a switch. */
export const CONTROLVM_RESP_CHIPSET_STOP_FAILED_SWITCH = 1101;
/** §2.7, §2.10: a parahotplug disable was not acknowledged by user space within 2000 ms. */
export const CONTROLVM_RESP_DEVICE_UDEV_TIMEOUT = 1400;

/**
 * The positive Linux errno values the final guest puts in `completion_status` (§2.6: the handler
 * returns −errno and the response carries its negation).
 */
export const LINUX_ERRNO = {
  ENOENT: 2,
  EIO: 5,
  ENOMEM: 12,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
} as const;

/** `struct visor_segment_state` bits (§3.1); DEVICE_CHANGESTATE looks only at alive and operating. */
export const SEGMENT_STATE_BIT = {
  enabled: 0x01,
  active: 0x02,
  alive: 0x04,
  revoked: 0x08,
  allocated: 0x10,
  known: 0x20,
  ready: 0x40,
  operating: 0x80,
} as const;

/** `segment_state_running` (§3.1): alive and operating, a CHANGESTATE to it means resume. */
export const SEGMENT_STATE_RUNNING = 0xf7;
/** `segment_state_paused` (§3.1): alive but not operating, the final guest ignores it. */
export const SEGMENT_STATE_PAUSED = 0x77;
/** `segment_state_standby` (§3.1): neither alive nor operating, a CHANGESTATE to it means pause. */
export const SEGMENT_STATE_STANDBY = 0x73;
