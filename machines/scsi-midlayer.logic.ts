// Types and pure helpers of the guest's Linux SCSI midlayer + sd for one SCSI host (= one vhba
// device): it turns block requests into READ/WRITE CDBs, hands them to virthba's queuecommand and
// applies Linux's disposition to what comes back (spar-protocol.md §4.2 "Guarantee to the guest"
// and §8: the retry policy is Linux midlayer behaviour, modelled as "retry up to N times, then fail
// to the filesystem"). scsi-midlayer.machine.ts wires these into XState.
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
// - Host blocked (`scsi_block_requests` / `scsi_unblock_requests`, `drivers/scsi/scsi_lib.c`): while
//   virthba reports its server down, the midlayer does not dispatch (Linux's `scsi_host_queue_ready`
//   refuses a blocked host without calling queuecommand). Requests, busy bounces and DID_RESET
//   retries are *parked*; when the host is unblocked every parked command is requeued after the
//   same `busyRetryDelayMs`, in tag order. Choice: upstream virthba does not call these functions
//   (the midlayer re-ran its queue every 3 ms against a host that could only answer busy); the
//   simulation lets virthba report the two transitions instead, so an outage of any length costs
//   no events while the outcome stays the same: the first resubmission lands ≤ 3 ms from where
//   the 3 ms retry grid would have put it, and no command reaches the HBA while it is down.

import { assert } from '../src/base/assert.js';
import type { DataDir, Vdest } from './virthba.types.js';

/** `SCSI_QUEUE_DELAY` (ms) of `drivers/scsi/scsi_lib.c`: the busy requeue delay. */
export const SCSI_QUEUE_DELAY_MS = 3;
/** `SD_MAX_RETRIES` of `drivers/scsi/sd.h`: the DID_RESET retry budget. */
export const SD_MAX_RETRIES = 5;
/** Linux host byte `DID_RESET`. */
export const HOST_BYTE_DID_RESET = 0x08;

/** SCSI opcodes sd uses for block I/O. */
export const READ_10 = 0x28;
/** WRITE(10). */
export const WRITE_10 = 0x2a;
/** READ(16). */
export const READ_16 = 0x88;
/** WRITE(16). */
export const WRITE_16 = 0x8a;

/** Machine input. */
export interface ScsiMidlayerInput {
  /** Partition name, as in the systemId. */
  readonly partition: string;
  /** The vhba device this SCSI host sits on. */
  readonly busNo: number;
  readonly devNo: number;
  /** DID_RESET retries per request (default SD_MAX_RETRIES, 5). */
  readonly retryBudget?: number;
  /** Milliseconds before a busy command is requeued (default SCSI_QUEUE_DELAY, 3). */
  readonly busyRetryDelayMs?: number;
}

/**
 * The pages a request reads into or writes from (the bio's buffer), as a description the guest
 * can fill and check: a write's blocks hold the workload's pattern of `version`
 * (block-workload.logic.ts); a read's (`version` null) are filled by the device. It travels with
 * the command down to virthba and back, as the kernel passes the `scsi_cmnd` and its data buffer.
 */
export interface BlockBuffer {
  readonly lba: number;
  readonly blocks: number;
  /** The disk's logical block size in bytes (sd's `sector_size`, per device). */
  readonly blockSize: number;
  /** The version a write writes; null for a read. */
  readonly version: number | null;
}

/** Who asked: the answer goes back to workload `workload` as its request `id`. */
export interface RequestOrigin {
  readonly workload: string;
  readonly id: number;
}

/** A block request from a workload: what to do, on which device, with which buffer. */
export interface BlockRequest {
  /** Unique among the midlayer's live requests (the host numbers them). */
  readonly id: number;
  readonly op: 'read' | 'write';
  readonly lba: number;
  /** Length in logical blocks, ≥ 1. */
  readonly blocks: number;
  /** The target disk's logical block size in bytes. */
  readonly blockSize: number;
  /** The version a write writes; null for a read. */
  readonly version: number | null;
  readonly target: Vdest;
  readonly origin: RequestOrigin;
}

/** A request the midlayer owns until its `request.done`. */
export interface LiveRequest extends BlockRequest {
  /** Its current command tag. */
  readonly tag: number;
  /**
   * `issued`: at the HBA (a completion is expected); `requeued`: waiting for the busy delay;
   * `parked`: waiting for the host to be unblocked (no timer).
   */
  readonly phase: 'issued' | 'requeued' | 'parked';
  /** DID_RESET retries taken. */
  readonly resetRetries: number;
}

/** Why a request failed. */
export type FailReason = 'retriesExhausted' | 'ioError' | 'hostRemoved' | 'invalidRequest';

/** Counters (plain numbers). */
export interface ScsiMidlayerCounts {
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Commands handed to the HBA (`hba.queue`), first tries, requeues and retries. */
  readonly commandsQueued: number;
  readonly busyRequeues: number;
  /** Commands held back while the host was blocked (requests, busy bounces, reset retries). */
  readonly parked: number;
  readonly resetRetries: number;
  /** Completions for a tag issued earlier but not outstanding now (double completions). */
  readonly duplicateCompletions: number;
  /** Completions for a tag never issued. */
  readonly unknownCompletions: number;
  /** REQUESTs reusing the id of a live request (ignored). */
  readonly duplicateRequests: number;
}

/** Machine context: plain data. */
export interface ScsiMidlayerContext {
  readonly partition: string;
  readonly busNo: number;
  readonly devNo: number;
  readonly retryBudget: number;
  readonly busyRetryDelayMs: number;
  /** The next tag to assign; tags are 1, 2, 3 … and never reused. */
  readonly nextTag: number;
  /**
   * Live requests, oldest first (at most the workloads' queue depth). Choice: a short array
   * searched by id or tag, not records keyed by ever-growing ids and tags, which V8 copies in
   * time proportional to the largest key once thousands of requests have passed.
   */
  readonly requests: readonly LiveRequest[];
  /** Live tag → request id, by `String(tag)`. */
  readonly counts: ScsiMidlayerCounts;
}

/** What virthba (through the host) reports for a command. */
export type ScsiCompleteEvent =
  | { readonly type: 'SCSI_COMPLETE'; readonly tag: number; readonly outcome: 'busy' }
  | {
      readonly type: 'SCSI_COMPLETE';
      readonly tag: number;
      readonly outcome: 'done';
      readonly linuxstat: number;
      readonly sense: readonly number[] | null;
      readonly noDiskResult: boolean;
      /** A good read's data: the buffer's bytes as the device filled them. */
      readonly data?: Uint8Array;
    };

/** Events. */
export type ScsiMidlayerEvent =
  | ({ readonly type: 'REQUEST' } & BlockRequest)
  | ScsiCompleteEvent
  /** Internal, delayed (id `requeue.<tag>`): the busy delay of `tag` ran out. */
  | { readonly type: 'REQUEUE'; readonly tag: number }
  /** `scsi_remove_host`: the vhba device was removed; everything live fails. */
  | { readonly type: 'HOST_REMOVED' }
  /** `scsi_block_requests`: virthba's server went down; dispatch stops. */
  | { readonly type: 'HOST_BLOCKED' }
  /** `scsi_unblock_requests`: virthba's server is back; parked commands are requeued. */
  | { readonly type: 'HOST_UNBLOCKED' };

/** The device an effect concerns. */
interface At {
  readonly busNo: number;
  readonly devNo: number;
}

/** Effects. */
export type ScsiMidlayerEmitted =
  /** queuecommand: the host sends SCSI_QUEUE to virthba. */
  | ({
      readonly type: 'hba.queue';
      readonly tag: number;
      readonly cdb: number[];
      readonly dataDir: DataDir;
      readonly bufflen: number;
      readonly vdest: Vdest;
      readonly buffer: BlockBuffer;
    } & At)
  /** The request's one answer; a good read brings its data. */
  | ({
      readonly type: 'request.done';
      readonly id: number;
      readonly origin: RequestOrigin;
      readonly ok: true;
      readonly data?: Uint8Array;
    } & At)
  | ({
      readonly type: 'request.done';
      readonly id: number;
      readonly origin: RequestOrigin;
      readonly ok: false;
      readonly reason: FailReason;
      /** The last completion's result word, when one caused the failure. */
      readonly linuxstat?: number;
    } & At);

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

/** Initial context; bad numbers are a host bug. */
export function initialMidlayerContext(input: ScsiMidlayerInput): ScsiMidlayerContext {
  const retryBudget = input.retryBudget ?? SD_MAX_RETRIES;
  const busyRetryDelayMs = input.busyRetryDelayMs ?? SCSI_QUEUE_DELAY_MS;
  for (const [name, value] of Object.entries({ retryBudget, busyRetryDelayMs })) {
    assert(Number.isSafeInteger(value) && value >= 0, `${name} ${value} is not a count`);
  }
  const { partition, busNo, devNo } = input;
  const base = { partition, busNo, devNo, retryBudget, busyRetryDelayMs };
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
  const versioned = r.op === 'write' ? r.version !== null : r.op === 'read' && r.version === null;
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

/** Whether a completion for `tag` is expected now (its request is at the HBA under that tag). */
export function isOutstanding(context: ScsiMidlayerContext, tag: number): boolean {
  return requestOfTag(context, tag)?.phase === 'issued';
}

/** The `hba.queue` effect for a live request. */
export function hbaQueueEffect(context: ScsiMidlayerContext, r: LiveRequest): ScsiMidlayerEmitted {
  return {
    type: 'hba.queue',
    ...atOf(context),
    tag: r.tag,
    cdb: buildRwCdb(r.op, r.lba, r.blocks),
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
