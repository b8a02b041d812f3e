// virthba's protocol with its host and the midlayer: context, events and effects
// (spar-protocol.md §4.2 pending table and responses, §4.4 uiscmdrsp, §4.6 Era A virthba). The
// machine is virthba.machine.ts; its pure table walks are in virthba.logic.ts.
//
// Host protocol: the host performs each channel effect synchronously right after the transition
// that asks for it (queuecommand inserts within the one kernel call) and answers an insert only
// when it fails (INSERT_FAILED names slot and tag, so a late failure cannot free a slot that
// changed hands). `channel.removeResponse` removes ONE message from queue 1; the answer carries
// `more`, so a drain of N responses costs N events, and RESPONSES_EMPTY ends a drain whose first
// removal found nothing.

import type {
  VirtpciDriverContext,
  VirtpciDriverEmitted,
  VirtpciDriverEvent,
  VirtpciDriverInput,
  VirtpciDriverQuirks,
} from './virtpci-driver.logic.js';
import type { BlockBuffer } from './scsi-midlayer.types.js';

/** `uisscsi_dest` (§4.4.2): SCSI bus, target, LUN. */
export interface Vdest {
  readonly channel: number;
  readonly id: number;
  readonly lun: number;
}

/** `UIS_DMA_BIDIRECTIONAL 0 / TO_DEVICE 1 / FROM_DEVICE 2 / NONE 3` (§4.2 step 3). */
export type DataDir = 0 | 1 | 2 | 3;
/** `TASK_MGMT_ABORT_TASK 1`, `TASK_MGMT_BUS_RESET 2`, `TASK_MGMT_LUN_RESET 3` (§4.2). */
export type TaskType = 1 | 2 | 3;

/**
 * virthba's quirks: the shared virtpci-driver ones plus two seeded recovery bugs (off by default;
 * canaries the fuzzer must find; they model recovery failures seen in other drivers, not virthba).
 */
export interface VirthbaQuirks extends VirtpciDriverQuirks {
  /**
   * Quirk: on pause the lowest occupied SCSI slot is cleared without any `scsi.complete`, so
   * that command is silently lost (the midlayer waits for it forever).
   */
  readonly losePendingOnPause: boolean;
  /**
   * Quirk: on pause the SCSI slots are completed with DID_RESET but NOT cleared, so a stale
   * response arriving after resume completes the same command a second time.
   */
  readonly doubleCompleteOnResume: boolean;
}

/** virthba's input: the driver input plus the pending-table size and the task-management wait. */
export interface VirthbaInput extends VirtpciDriverInput {
  readonly quirks?: Partial<VirthbaQuirks>;
  /** Pending-table entries (default MAX_PENDING_REQUESTS, 128). */
  readonly maxPending?: number;
  /** Milliseconds a task-management request waits for its response (default 45000). */
  readonly taskMgmtTimeoutMs?: number;
}

/**
 * One occupied pending-table entry: the request kind, the midlayer's command tag (task management:
 * the error handler's tag) and, for SCSI, the command's data buffer (the `scsi_cmnd` the kernel
 * keeps in `pending[i].sent`). The request is in the ring from the moment the slot is taken (the
 * insert is the same kernel call).
 */
export type VirthbaSlot =
  | {
      readonly kind: 'scsi';
      readonly tag: number;
      readonly buffer: BlockBuffer;
      /** Where the command went: a task-management request names what it covers by address. */
      readonly vdest: Vdest;
    }
  | {
      readonly kind: 'taskmgmt';
      readonly tag: number;
      /**
       * The tags of the SCSI commands in its scope (abort and LUN reset: its vdest; bus reset: its
       * SCSI channel) pending when it was inserted: the IOSP drops those it has not answered by
       * the time the request reaches it (scsi-server.ts), so a success completes them here.
       */
      readonly covers: readonly number[];
    };

/** Counters of the IO path (plain numbers, for traces and checkers). */
export interface VirthbaCounts {
  /** SCSI commands handed to the host for insertion. */
  readonly scsiQueued: number;
  /** SCSI_QUEUE answered busy (down, changing, not running, table full, insert failed). */
  readonly scsiBusy: number;
  /** SCSI commands completed from an IOSP response. */
  readonly scsiCompleted: number;
  /** SCSI commands completed with DID_RESET by a pause. */
  readonly scsiResetOnPause: number;
  /** SCSI commands dropped by a pause (quirk losePendingOnPause only). */
  readonly scsiLostOnPause: number;
  /** SCSI commands completed with DID_ABORT by remove. */
  readonly scsiAbortedOnRemove: number;
  /** Task-management requests handed to the host for insertion. */
  readonly taskMgmtQueued: number;
  /** Task-management requests answered `failed` (down, full, insert failed, timeout, remove). */
  readonly taskMgmtFailed: number;
  /** Task-management requests answered `success` (response or pause). */
  readonly taskMgmtSucceeded: number;
  /** Task-management waits that ran out. */
  readonly taskMgmtTimeouts: number;
  /** Failed ring inserts (INSERT_FAILED for the request its slot holds). */
  readonly insertFailures: number;
  /** Responses naming no pending slot of their kind: each stopped a drain. */
  readonly staleResponses: number;
  /** OTHER_RESPONSE messages ignored (e.g. CMD_NOTIFYGUEST_TYPE). */
  readonly otherResponses: number;
  /** Response events that arrived while not running (the ring is abandoned at pause). */
  readonly abandonedResponses: number;
  /** INSERT_FAILED naming a slot that does not hold that tag (ignored). */
  readonly staleInsertFailures: number;
  /** SCSI commands failed with DID_NO_CONNECT because the channel was quarantined. */
  readonly scsiFailedCorrupt: number;
  /** SCSI commands completed with DID_RESET by a task-management success that covered them. */
  readonly scsiResetByTaskMgmt: number;
}

/** virthba's context: the shared driver context plus the pending table and counters. */
export interface VirthbaContext extends VirtpciDriverContext {
  readonly quirks: VirthbaQuirks;
  readonly maxPending: number;
  readonly taskMgmtTimeoutMs: number;
  /** The pending table, `maxPending` entries. */
  readonly slots: readonly (VirthbaSlot | null)[];
  /** Where the next insert walk starts. */
  readonly nextInsert: number;
  /** A drain is in progress: a `channel.removeResponse` is out and its answer not yet taken. */
  readonly draining: boolean;
  readonly counts: VirthbaCounts;
  /** Why the channel was quarantined (the host's typed channel error, one line), or null. */
  readonly quarantine: string | null;
}

/** `SCSI_QUEUE`: the midlayer's `queuecommand`. */
export interface ScsiQueueEvent {
  readonly type: 'SCSI_QUEUE';
  readonly tag: number;
  /** The CDB, at most 16 bytes. */
  readonly cdb: readonly number[];
  readonly dataDir: DataDir;
  readonly bufflen: number;
  readonly vdest: Vdest;
  /** The command's data buffer (it travels with the command, STYLE §12). */
  readonly buffer: BlockBuffer;
}

/** What every response event says about the ring besides the message it carries. */
export interface RemovedResponse {
  /** Queue 1 still held a message right after this removal: the drain asks for the next one. */
  readonly more: boolean;
}

/** One message removed from queue 1 by `channel.removeResponse`. */
export type VirthbaResponseEvent =
  /** A CMD_SCSI_TYPE response. */
  | (RemovedResponse & {
      readonly type: 'SCSI_RESPONSE';
      readonly handle: number;
      readonly linuxstat: number;
      /** The 64-byte `sensebuf`, or null. */
      readonly sense: readonly number[] | null;
      readonly noDiskResult: boolean;
    })
  /** A CMD_SCSITASKMGMT_TYPE response. */
  | (RemovedResponse & {
      readonly type: 'TASKMGMT_RESPONSE';
      readonly handle: number;
      readonly result: number;
    })
  /** Any other response type (ignored). */
  | (RemovedResponse & { readonly type: 'OTHER_RESPONSE'; readonly cmdtype: number });

/** virthba's events: the driver entry points plus the IO path. */
export type VirthbaEvent =
  | VirtpciDriverEvent
  | ScsiQueueEvent
  /** An error-handler request (abort, bus reset, LUN reset). */
  | {
      readonly type: 'TASK_MGMT';
      readonly tag: number;
      readonly tasktype: TaskType;
      readonly vdest: Vdest;
    }
  /**
   * The host's only answer to `channel.insert*`: the insert failed (ring full, or the request
   * does not fit the DMA window). Honoured only while `slot` still holds `tag`.
   */
  | { readonly type: 'INSERT_FAILED'; readonly slot: number; readonly tag: number }
  | VirthbaResponseEvent
  /**
   * The removal found queue 1 empty: a drain's first removal after a spurious interrupt (or a
   * later one, if the IOSP re-initialised the ring meanwhile). The drain ends.
   */
  | { readonly type: 'RESPONSES_EMPTY' }
  /**
   * The host found the channel corrupt (a typed channel error: bad signature, head/tail out of
   * range, a broken queue header, a torn response): the device is quarantined for good.
   */
  | { readonly type: 'CHANNEL_CORRUPT'; readonly code: string; readonly message: string }
  /** Internal, delayed (id `taskmgmt.<slot>`): the 45 s wait of that slot ran out. */
  | { readonly type: 'TASKMGMT_TIMEOUT'; readonly slot: number; readonly tag: number };

/** The device an effect concerns. */
export interface At {
  readonly busNo: number;
  readonly devNo: number;
}

/** A finished SCSI command as the midlayer sees it (`scsi_done` or a queuecommand return). */
export type ScsiCompletion =
  | { readonly tag: number; readonly outcome: 'busy' }
  | {
      readonly tag: number;
      readonly outcome: 'done';
      readonly linuxstat: number;
      readonly sense: readonly number[] | null;
      readonly noDiskResult: boolean;
      /** The pending slot the command held (its DMA buffer holds a read's data), or NO_SLOT. */
      readonly slot: number;
      readonly buffer: BlockBuffer;
    };

/** A finished task-management request as the error handler sees it. */
export type TaskMgmtCompletion =
  | { readonly tag: number; readonly outcome: 'success'; readonly result: number }
  | { readonly tag: number; readonly outcome: 'failed' };

/** Effects of virthba's IO path (besides the control-plane ones). */
export type VirthbaIoEmitted =
  | ({ readonly type: 'scsi.complete' } & ScsiCompletion & At)
  | ({ readonly type: 'taskmgmt.complete' } & TaskMgmtCompletion & At)
  | ({
      readonly type: 'channel.insertScsi';
      readonly slot: number;
      readonly tag: number;
      readonly cdb: readonly number[];
      readonly dataDir: DataDir;
      readonly bufflen: number;
      readonly vdest: Vdest;
      /** The data: a write's blocks go into the slot's DMA buffer before the insert. */
      readonly buffer: BlockBuffer;
    } & At)
  | ({
      readonly type: 'channel.insertTaskMgmt';
      readonly slot: number;
      readonly tag: number;
      readonly tasktype: TaskType;
      readonly vdest: Vdest;
    } & At)
  | ({ readonly type: 'channel.removeResponse' } & At)
  /**
   * The server went down (SUSPEND accepted) / came back (RESUME): the midlayer stops / restarts.
   */
  | ({ readonly type: 'scsi.blockRequests' } & At)
  | ({ readonly type: 'scsi.unblockRequests' } & At);

/** Everything virthba emits. */
export type VirthbaEmitted = VirtpciDriverEmitted | VirthbaIoEmitted;
