// The SCSI midlayer's context, events and effects: the protocol between the machine, its host,
// the block workloads above it and virthba below it (spar-protocol.md §4.2 "Guarantee to the
// guest"). The machine is scsi-midlayer.machine.ts; the Linux rules are in scsi-midlayer.logic.ts.

import type { DataDir, TaskType, Vdest } from './virthba.types.js';

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
  /** Milliseconds a command may stay at the HBA before the error handler runs (SD_TIMEOUT, 30 s). */
  readonly commandTimeoutMs?: number;
}

/** The error handler's steps, in escalation order (§4.2 "Error-handler"). */
export type EhStep = 'abort' | 'lunReset' | 'busReset' | 'hostReset';

/** Where a timed-out command's error handling stands. */
export interface EhProgress {
  /** The step under way, or the one that ended the escalation. */
  readonly step: EhStep;
  /** The tag of the task-management request awaited; null once a step succeeded. */
  readonly tmfTag: number | null;
  /** virthba gave the command back (a completion of its tag, which the handler absorbs). */
  readonly released: boolean;
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

/**
 * A block request from a workload: what to do, on which device, with which buffer. An `inquiry`
 * (the guest's target scan) reads the unit serial number VPD page into `blocks × blockSize` bytes.
 */
export interface BlockRequest {
  /** Unique among the midlayer's live requests (the host numbers them). */
  readonly id: number;
  readonly op: 'read' | 'write' | 'inquiry';
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
   * `parked`: waiting for the host to be unblocked (no timer); `eh`: timed out, in the error
   * handler (`eh` says where).
   */
  readonly phase: 'issued' | 'requeued' | 'parked' | 'eh';
  /** Retries after DID_RESET or after the error handler recovered the command. */
  readonly resetRetries: number;
  /** The error handling of its timed-out command, while phase is `eh`; else null. */
  readonly eh: EhProgress | null;
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
  /** Commands that stayed at the HBA past the command timeout (the error handler ran). */
  readonly commandTimeouts: number;
  /** Task-management requests sent, by type. */
  readonly aborts: number;
  readonly lunResets: number;
  readonly busResets: number;
  /** Host resets (nothing sent: visorhba's handler returns SUCCESS). */
  readonly hostResets: number;
  /** Task-management completions for a tag no error handler awaits (ignored). */
  readonly unknownTaskMgmt: number;
}

/** Machine context: plain data. */
export interface ScsiMidlayerContext {
  readonly partition: string;
  readonly busNo: number;
  readonly devNo: number;
  readonly retryBudget: number;
  readonly busyRetryDelayMs: number;
  readonly commandTimeoutMs: number;
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
  /** Internal, delayed (id `timeout.<tag>`): command `tag` is still at the HBA after the timeout. */
  | { readonly type: 'COMMAND_TIMEOUT'; readonly tag: number }
  /** virthba's answer to an `hba.taskMgmt` (`failed`: not sent, or its 45 s wait ran out). */
  | {
      readonly type: 'TASKMGMT_COMPLETE';
      readonly tag: number;
      readonly outcome: 'success' | 'failed';
    }
  /** `scsi_remove_host`: the vhba device was removed; everything live fails. */
  | { readonly type: 'HOST_REMOVED' }
  /** `scsi_block_requests`: virthba's server went down; dispatch stops. */
  | { readonly type: 'HOST_BLOCKED' }
  /** `scsi_unblock_requests`: virthba's server is back; parked commands are requeued. */
  | { readonly type: 'HOST_UNBLOCKED' };

/** The device an effect concerns. */
export interface At {
  readonly busNo: number;
  readonly devNo: number;
}

/** Effects. */
export type ScsiMidlayerEmitted =
  /** queuecommand: the host sends SCSI_QUEUE to virthba. */
  | ({
      readonly type: 'hba.queue';
      /** The request the command is for (what a ledger below the midlayer files it under). */
      readonly id: number;
      readonly tag: number;
      readonly cdb: number[];
      readonly dataDir: DataDir;
      readonly bufflen: number;
      readonly vdest: Vdest;
      readonly buffer: BlockBuffer;
    } & At)
  /** An error-handler request for the request `id`'s timed-out command: abort, LUN or bus reset. */
  | ({
      readonly type: 'hba.taskMgmt';
      readonly id: number;
      readonly tag: number;
      readonly tasktype: TaskType;
      readonly vdest: Vdest;
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
