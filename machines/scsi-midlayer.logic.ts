// The pure rules of the guest's Linux SCSI midlayer + sd for one SCSI host (= one vhba device):
// block requests become READ/WRITE CDBs for virthba's queuecommand, and Linux's disposition
// applies to what comes back (spar-protocol.md §4.2 "Guarantee to the guest", §8: the retry policy
// is Linux midlayer behaviour, "retry up to N times, then fail to the filesystem").
// scsi-midlayer.machine.ts wires these into XState.
//
// Choices (Linux, read from the kernel source outside the s-Par reference):
// - CDBs as sd builds them (`drivers/scsi/sd.c` `sd_setup_read_write_cmnd`): READ(10)/WRITE(10)
//   (0x28/0x2A) by default — the midlayer sets `use_10_for_rw` on every device — and
//   READ(16)/WRITE(16) (0x88/0x8A) when the LBA exceeds 0xFFFFFFFF or the length 0xFFFF blocks.
// - SCSI_MLQUEUE_DEVICE_BUSY: requeued after `busyRetryDelayMs`, default 3 ms =
//   `SCSI_QUEUE_DELAY` (`drivers/scsi/scsi_lib.c`: "When to reinvoke queueing after a resource
//   shortage. It's 3 msecs"), with the same tag, without limit (a busy is not a retry).
// - DID_RESET (host byte 0x08): retried as a new command (new tag) while fewer than `retryBudget`
//   resets were retried; default 5 = `SD_MAX_RETRIES` (`drivers/scsi/sd.h`), the `allowed` count
//   of every sd command. The budget counts DID_RESET retries only. (Real Linux also bounds the
//   retries by time, `(allowed + 1) × timeout` in `scsi_io_completion_action`; not modelled.)
// - Good status: `linuxstat === 0` (host DID_OK, SAM status GOOD, no driver/message byte). Any
//   other completion (e.g. DID_ABORT from a host removal, DID_NO_CONNECT, CHECK CONDITION) fails
//   the request; Linux's other retryable cases (DID_SOFT_ERROR, DID_IMM_RETRY, unit attention…)
//   are not modelled.
// - Exactly once per REQUEST: each request has at most one live tag; a completion for a tag that
//   is not outstanding at the HBA (never issued, retired by a retry or a finish, or waiting for its
//   requeue) is ignored and counted, never a second `request.done`.
// - Host blocked (`scsi_block_requests` / `scsi_unblock_requests`, `drivers/scsi/scsi_lib.c`,
//   the `blocked` state): while virthba reports its server down, the midlayer does not dispatch
//   (Linux's `scsi_host_queue_ready` refuses a blocked host without calling queuecommand).
//   Requests, busy bounces and DID_RESET retries are *parked*; when the host is unblocked every
//   parked command is requeued after the same `busyRetryDelayMs`, in tag order. Choice: upstream
//   virthba does not call these functions (the midlayer re-ran its queue every 3 ms against a
//   host that could only answer busy); here virthba reports the two transitions, so an outage of
//   any length costs no events while the outcome stays the same: the first resubmission lands
//   ≤ 3 ms from where the 3 ms retry grid would have put it, and nothing reaches the HBA meanwhile.

import { assert } from '../src/base/assert.js';
import type {
  ScsiCompleteEvent,
  ScsiMidlayerInput,
  BlockRequest,
  LiveRequest,
  ScsiMidlayerCounts,
  ScsiMidlayerContext,
  At,
  ScsiMidlayerEmitted,
} from './scsi-midlayer.types.js';

/** For src/ importers (the vhba storage stack, the guest host). */
export type { BlockBuffer, ScsiMidlayerContext } from './scsi-midlayer.types.js';

/** `SCSI_QUEUE_DELAY` (ms) of `drivers/scsi/scsi_lib.c`: the busy requeue delay. */
export const SCSI_QUEUE_DELAY_MS = 3;
/** `SD_MAX_RETRIES` of `drivers/scsi/sd.h`: the DID_RESET retry budget. */
export const SD_MAX_RETRIES = 5;
/** Linux host byte `DID_RESET`. */
export const HOST_BYTE_DID_RESET = 0x08;
/** `SD_TIMEOUT` of `drivers/scsi/sd.h` (30 × HZ), in ms: sd's command timeout. */
export const SD_TIMEOUT_MS = 30_000;

/** SCSI opcodes sd uses for block I/O. */
export const READ_10 = 0x28;
/** WRITE(10). */
export const WRITE_10 = 0x2a;
/** READ(16). */
export const READ_16 = 0x88;
/** WRITE(16). */
export const WRITE_16 = 0x8a;

/** INQUIRY. */
export const INQUIRY = 0x12;
/** The unit serial number VPD page. */
export const VPD_UNIT_SERIAL = 0x80;

/** Counters at zero. */
export const ZERO_MIDLAYER_COUNTS: ScsiMidlayerCounts = {
  requests: 0,
  succeeded: 0,
  failed: 0,
  commandsQueued: 0,
  busyRequeues: 0,
  parked: 0,
  resetRetries: 0,
  duplicateCompletions: 0,
  unknownCompletions: 0,
  duplicateRequests: 0,
  commandTimeouts: 0,
  aborts: 0,
  lunResets: 0,
  busResets: 0,
  hostResets: 0,
  unknownTaskMgmt: 0,
};

/** The actor's systemId: `<partition>/scsi-midlayer:<bus hex>:<dev hex>`. */
export function scsiMidlayerSystemId(input: {
  partition: string;
  busNo: number;
  devNo: number;
}): string {
  const { partition, busNo, devNo } = input;
  return `${partition}/scsi-midlayer:${busNo.toString(16)}:${devNo.toString(16)}`;
}

/** The id of a tag's requeue timer. */
export function requeueTimerId(tag: number): string {
  return `requeue.${tag}`;
}

/** The id of a command's timeout timer. */
export function commandTimerId(tag: number): string {
  return `timeout.${tag}`;
}

/** Initial context; bad numbers are a host bug. */
export function initialMidlayerContext(input: ScsiMidlayerInput): ScsiMidlayerContext {
  const retryBudget = input.retryBudget ?? SD_MAX_RETRIES;
  const busyRetryDelayMs = input.busyRetryDelayMs ?? SCSI_QUEUE_DELAY_MS;
  const commandTimeoutMs = input.commandTimeoutMs ?? SD_TIMEOUT_MS;
  const numbers = { retryBudget, busyRetryDelayMs, commandTimeoutMs };
  for (const [name, value] of Object.entries(numbers)) {
    assert(Number.isSafeInteger(value) && value >= 0, `${name} ${value} is not a count`);
  }
  const { partition, busNo, devNo } = input;
  const base = { partition, busNo, devNo, ...numbers };
  return { ...base, nextTag: 1, requests: [], counts: ZERO_MIDLAYER_COUNTS };
}

/** The device address of the context. */
export function atOf(context: ScsiMidlayerContext): At {
  return { busNo: context.busNo, devNo: context.devNo };
}

/** `counts` with the named counters raised by one. */
export function bump(
  counts: ScsiMidlayerCounts,
  ...names: (keyof ScsiMidlayerCounts)[]
): ScsiMidlayerCounts {
  const next = { ...counts };
  for (const name of names) next[name] += 1;
  return next;
}

/**
 * Whether a request can become a command: whole numbers, ≥ 1 block of ≥ 1 byte, LBA range within
 * 64 bits, and a write version exactly for a write.
 */
export function isValidRequest(r: BlockRequest): boolean {
  const whole = [r.id, r.lba, r.blocks, r.blockSize].every(
    (n) => Number.isSafeInteger(n) && n >= 0,
  );
  const sized = r.blocks >= 1 && r.blocks <= 0xffff_ffff && r.blockSize >= 1;
  const versioned = r.op === 'write' ? r.version !== null : r.version === null;
  return whole && sized && versioned;
}

/** The CDB sd sends for a read or write (see the header for the 10/16-byte rule). */
export function buildRwCdb(op: 'read' | 'write', lba: number, blocks: number): number[] {
  assert(Number.isSafeInteger(lba) && lba >= 0, `bad LBA ${lba}`);
  assert(
    Number.isSafeInteger(blocks) && blocks >= 1 && blocks <= 0xffff_ffff,
    `bad length ${blocks}`,
  );
  if (lba > 0xffff_ffff || blocks > 0xffff) {
    const opcode = op === 'read' ? READ_16 : WRITE_16;
    return [opcode, 0, ...bigEndian(lba, 8), ...bigEndian(blocks, 4), 0, 0];
  }
  const opcode = op === 'read' ? READ_10 : WRITE_10;
  return [opcode, 0, ...bigEndian(lba, 4), 0, ...bigEndian(blocks, 2), 0];
}

/** INQUIRY (SPC-4 §6.6) for the unit serial number VPD page (0x80), the scan's one question. */
export function inquiryCdb(allocation: number): number[] {
  assert(
    Number.isSafeInteger(allocation) && allocation >= 1 && allocation <= 0xffff,
    `bad allocation ${allocation}`,
  );
  return [INQUIRY, 0x01, VPD_UNIT_SERIAL, ...bigEndian(allocation, 2), 0];
}

/** `value` as `bytes` big-endian bytes (value is a safe integer, so ≤ 2^53). */
export function bigEndian(value: number, bytes: number): number[] {
  const out = new Array<number>(bytes).fill(0);
  let rest = value;
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  assert(rest === 0, `${value} does not fit in ${bytes} bytes`);
  return out;
}

/** The Linux host byte of a result word. */
export function hostByte(linuxstat: number): number {
  return (linuxstat >>> 16) & 0xff;
}

/** The live request a tag belongs to, if the tag is live. */
export function requestOfTag(context: ScsiMidlayerContext, tag: number): LiveRequest | undefined {
  return context.requests.find((r) => r.tag === tag);
}

/** The live request a SCSI_COMPLETE or REQUEUE names (a guard made sure it exists). */
export function liveOf(context: ScsiMidlayerContext, tag: number): LiveRequest {
  const live = requestOfTag(context, tag);
  assert(live !== undefined, `tag ${tag} is live`);
  return live;
}

/** A DID_RESET completion of a live request that has retries left. */
export function isResetWithBudget(
  context: ScsiMidlayerContext,
  completion: ScsiCompleteEvent,
): boolean {
  if (completion.outcome !== 'done') return false;
  if (hostByte(completion.linuxstat) !== HOST_BYTE_DID_RESET) return false;
  return hasRetryLeft(context, completion.tag);
}

/** Whether the request of live `tag` may be retried once more (after DID_RESET or the eh). */
export function hasRetryLeft(context: ScsiMidlayerContext, tag: number): boolean {
  return liveOf(context, tag).resetRetries < context.retryBudget;
}

/** Whether a completion for `tag` is expected now (its request is at the HBA under that tag). */
export function isOutstanding(context: ScsiMidlayerContext, tag: number): boolean {
  return requestOfTag(context, tag)?.phase === 'issued';
}

/** The `hba.queue` effect for a live request. */
export function hbaQueueEffect(context: ScsiMidlayerContext, r: LiveRequest): ScsiMidlayerEmitted {
  return {
    type: 'hba.queue',
    ...atOf(context),
    id: r.id,
    tag: r.tag,
    cdb:
      r.op === 'inquiry' ? inquiryCdb(r.blocks * r.blockSize) : buildRwCdb(r.op, r.lba, r.blocks),
    dataDir: r.op === 'write' ? 1 : 2,
    bufflen: r.blocks * r.blockSize,
    vdest: r.target,
    buffer: { lba: r.lba, blocks: r.blocks, blockSize: r.blockSize, version: r.version },
  };
}

/** The parked requests, in tag order (the order they are requeued in). */
export function parkedRequests(context: ScsiMidlayerContext): LiveRequest[] {
  return context.requests.filter((r) => r.phase === 'parked').sort((a, b) => a.tag - b.tag);
}

/** The live request with id `id`, if any. */
export function requestOfId(context: ScsiMidlayerContext, id: number): LiveRequest | undefined {
  return context.requests.find((r) => r.id === id);
}

/** The context with `r` stored, replacing whatever it had under `r.id`. */
export function storeRequest(
  context: ScsiMidlayerContext,
  r: LiveRequest,
): Partial<ScsiMidlayerContext> {
  const at = context.requests.findIndex((live) => live.id === r.id);
  if (at < 0) return { requests: [...context.requests, r] };
  const requests = [...context.requests];
  requests[at] = r;
  return { requests };
}

/**
 * `request` under the next tag in `phase` (after dropping request `replacing`, a retry's old
 * command), and the context update that stores it: what issuing, parking and retrying share.
 */
export function withNextTag(
  context: ScsiMidlayerContext,
  request: Omit<LiveRequest, 'tag' | 'phase'>,
  phase: LiveRequest['phase'],
  replacing?: number,
): { readonly live: LiveRequest; readonly update: Partial<ScsiMidlayerContext> } {
  const base =
    replacing === undefined ? context : { ...context, ...dropRequest(context, replacing) };
  const live: LiveRequest = { ...request, tag: context.nextTag, phase };
  return { live, update: { ...storeRequest(base, live), nextTag: context.nextTag + 1 } };
}

/** The context without request `id`. */
export function dropRequest(
  context: ScsiMidlayerContext,
  id: number,
): Partial<ScsiMidlayerContext> {
  assert(requestOfId(context, id) !== undefined, `request ${id} is live`);
  return { requests: context.requests.filter((r) => r.id !== id) };
}
