// Types and pure helpers of virthba's IO path (spar-protocol.md §4.2 pending table, queuecommand,
// response processing, task management, pause; §4.6 Era A virthba; §4.4.4 correlation; §3.6
// remove; §7 the 45 s task-management wait). Era A names (`virthba`, serverdown/serverup), final
// behaviour (the visorhba rules), as the storage issue asks. virthba.machine.ts wires these into
// XState; the control plane (probe, suspend, resume, remove) stays in `virtpci-driver.logic.ts`.
//
// The pending table is `slots`: `maxPending` entries (MAX_PENDING_REQUESTS, 128), each null or the
// request that holds it. The slot index is the correlation handle the IOSP echoes (§4.4.4). Insert
// walks forward from `nextInsert` (mod the table size) to the first free entry and sets
// `nextInsert = slot + 1`; a walk back to the start means the table is full.
//
// Channel I/O is the host's, performed synchronously right after the transition that asks for it
// (the kernel's queuecommand inserts within the one call). `channel.insertScsi` /
// `channel.insertTaskMgmt` ask it to fill the slot's uiscmdrsp and insert it on queue 0; the
// request counts as in the ring from that moment, and the host answers only a failure
// (INSERT_FAILED {slot, tag}: ring full, or the request does not fit the DMA window), so a
// command that goes out costs one event. INSERT_FAILED names the tag as well as the slot, so a
// failure that arrives after the slot changed hands (a pause walk cleared it and a later request
// took it) cannot free the later request's slot.
// `channel.removeResponse` asks the host to remove ONE message from queue 1. It answers with one
// response event carrying `more` (queue 1 still held a message right after this removal), or with
// RESPONSES_EMPTY when the removal found nothing. The drain asks again only while `more` is true,
// so a drain of N responses costs N events and an empty ring is reported only for a drain's first
// removal (a spurious interrupt).

import { assert } from '../src/base/assert.js';
import type {
  VirtpciDriverContext,
  VirtpciDriverEmitted,
  VirtpciDriverEvent,
  VirtpciDriverInput,
  VirtpciDriverQuirks,
} from './virtpci-driver.logic.js';
import { NO_VIRTPCI_DRIVER_QUIRKS, initialVirtpciDriverContext } from './virtpci-driver.logic.js';
import type { BlockBuffer } from './scsi-midlayer.logic.js';

/** `MAX_PENDING_REQUESTS` = `MIN_NUMSIGNALS × 2` = 128 (§4.2). */
export const MAX_PENDING_REQUESTS = 128;
/** The task-management wait, 45 s (§4.2, §7). */
export const TASK_MGMT_TIMEOUT_MS = 45_000;

/** Linux host bytes (`scsi_cmnd.result >> 16`) virthba itself writes. */
export const DID_OK = 0x00;
/** Host byte DID_NO_CONNECT. */
export const DID_NO_CONNECT = 0x01;
/** Host byte DID_ABORT. */
export const DID_ABORT = 0x05;
/** Host byte DID_RESET. */
export const DID_RESET = 0x08;
/** `TASK_MGMT_FAILED` (0): the result pause wakes task-management waiters with (§4.2). */
export const TASK_MGMT_FAILED = 0;
/** `CMD_NOTIFYGUEST_TYPE` (4), an OTHER_RESPONSE virthba ignores (§4.2). */
export const CMD_NOTIFYGUEST_TYPE = 4;

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

/** All virthba quirks off. */
export const NO_VIRTHBA_QUIRKS: VirthbaQuirks = {
  ...NO_VIRTPCI_DRIVER_QUIRKS,
  losePendingOnPause: false,
  doubleCompleteOnResume: false,
};

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
  | { readonly kind: 'scsi'; readonly tag: number; readonly buffer: BlockBuffer }
  | { readonly kind: 'taskmgmt'; readonly tag: number };

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
}

/** All counters zero. */
export const ZERO_VIRTHBA_COUNTS: VirthbaCounts = {
  scsiQueued: 0,
  scsiBusy: 0,
  scsiCompleted: 0,
  scsiResetOnPause: 0,
  scsiLostOnPause: 0,
  scsiAbortedOnRemove: 0,
  taskMgmtQueued: 0,
  taskMgmtFailed: 0,
  taskMgmtSucceeded: 0,
  taskMgmtTimeouts: 0,
  insertFailures: 0,
  staleResponses: 0,
  otherResponses: 0,
  abandonedResponses: 0,
  staleInsertFailures: 0,
};

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
      /** The pending slot the command held: its DMA buffer holds a read's data. */
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
  /** The server went down (SUSPEND accepted) / came back (RESUME): the midlayer stops / restarts. */
  | ({ readonly type: 'scsi.blockRequests' } & At)
  | ({ readonly type: 'scsi.unblockRequests' } & At);

/** Everything virthba emits. */
export type VirthbaEmitted = VirtpciDriverEmitted | VirthbaIoEmitted;

/** The initial context; a bad table size or wait is a host bug. */
export function initialVirthbaContext(input: VirthbaInput): VirthbaContext {
  const maxPending = input.maxPending ?? MAX_PENDING_REQUESTS;
  const taskMgmtTimeoutMs = input.taskMgmtTimeoutMs ?? TASK_MGMT_TIMEOUT_MS;
  assert(Number.isSafeInteger(maxPending) && maxPending >= 1, `maxPending ${maxPending} < 1`);
  assert(
    Number.isSafeInteger(taskMgmtTimeoutMs) && taskMgmtTimeoutMs >= 0,
    `bad taskMgmtTimeoutMs`,
  );
  return {
    ...initialVirtpciDriverContext(input),
    quirks: { ...NO_VIRTHBA_QUIRKS, ...input.quirks },
    maxPending,
    taskMgmtTimeoutMs,
    slots: new Array<VirthbaSlot | null>(maxPending).fill(null),
    nextInsert: 0,
    draining: false,
    counts: ZERO_VIRTHBA_COUNTS,
  };
}

/** The id of a slot's task-management timer (STYLE §4: explicit ids for delayed sends). */
export function taskMgmtTimerId(slot: number): string {
  return `taskmgmt.${slot}`;
}

/** The first free slot walking from `nextInsert` (mod the size), or null when full (§4.2). */
export function findFreeSlot(
  slots: readonly (VirthbaSlot | null)[],
  nextInsert: number,
): number | null {
  for (let step = 0; step < slots.length; step++) {
    const index = (nextInsert + step) % slots.length;
    if (slots[index] === null) return index;
  }
  return null;
}

/** The context after `slot` was taken by `entry` (`nextinsert = slot + 1`, wrapping). */
export function takeSlot(
  context: VirthbaContext,
  slot: number,
  entry: VirthbaSlot,
): Partial<VirthbaContext> {
  const nextInsert = (slot + 1) % context.maxPending;
  return { slots: withSlot(context.slots, slot, entry), nextInsert };
}

/** `slots` with entry `index` replaced. */
export function withSlot(
  slots: readonly (VirthbaSlot | null)[],
  index: number,
  entry: VirthbaSlot | null,
): (VirthbaSlot | null)[] {
  assert(index >= 0 && index < slots.length, `slot ${index} outside the table`);
  const next = [...slots];
  next[index] = entry;
  return next;
}

/** The occupied slot `handle` if it holds a request of `kind`, else null (stale or unknown). */
export function pendingAt<K extends VirthbaSlot['kind']>(
  context: VirthbaContext,
  handle: number,
  kind: K,
): Extract<VirthbaSlot, { kind: K }> | null {
  if (!Number.isSafeInteger(handle) || handle < 0 || handle >= context.slots.length) return null;
  const entry = context.slots[handle] ?? null;
  return entry !== null && entry.kind === kind
    ? (entry as Extract<VirthbaSlot, { kind: K }>)
    : null;
}

/** The request an INSERT_FAILED names, if `slot` still holds `tag`; else null (stale). */
export function failedInsertAt(
  context: VirthbaContext,
  event: { readonly slot: number; readonly tag: number },
): VirthbaSlot | null {
  const { slot, tag } = event;
  if (!Number.isSafeInteger(slot) || slot < 0 || slot >= context.slots.length) return null;
  const entry = context.slots[slot] ?? null;
  return entry !== null && entry.tag === tag ? entry : null;
}

/** `counts` with the named counters raised by `by` (default 1). */
export function bump(counts: VirthbaCounts, ...names: (keyof VirthbaCounts)[]): VirthbaCounts {
  const next = { ...counts };
  for (const name of names) next[name] += 1;
  return next;
}

/** What a walk over the pending table decided: new slots, completions to emit, timers to cancel. */
export interface TableWalk {
  readonly slots: (VirthbaSlot | null)[];
  /** `scsi.complete` / `taskmgmt.complete` effects, in slot order. */
  readonly completions: VirthbaIoEmitted[];
  /** Slots whose task-management timer must be cancelled. */
  readonly cancelTimers: number[];
  readonly counts: VirthbaCounts;
}

/**
 * The pause walk of `serverdown_complete` (§4.2, §4.6): every pending SCSI command is completed
 * with `DID_RESET << 16`, every task-management waiter is woken with TASK_MGMT_FAILED (which it
 * reports as success), and the table is cleared. Quirks: `losePendingOnPause` clears the lowest
 * SCSI slot without completing it; `doubleCompleteOnResume` completes SCSI slots but keeps them.
 */
export function pauseWalk(context: VirthbaContext): TableWalk {
  const { quirks } = context;
  const at = atOf(context);
  const lowestScsi = context.slots.findIndex((s) => s?.kind === 'scsi');
  const slots = [...context.slots];
  const completions: TableWalk['completions'] = [];
  const cancelTimers: number[] = [];
  let counts = context.counts;
  context.slots.forEach((entry, index) => {
    if (entry === null) return;
    if (entry.kind === 'taskmgmt') {
      const { tag } = entry;
      const result = TASK_MGMT_FAILED;
      completions.push({ type: 'taskmgmt.complete', ...at, tag, outcome: 'success', result });
      cancelTimers.push(index);
      counts = bump(counts, 'taskMgmtSucceeded');
      slots[index] = null;
    } else if (quirks.losePendingOnPause && index === lowestScsi) {
      counts = bump(counts, 'scsiLostOnPause');
      slots[index] = null;
    } else {
      completions.push({ type: 'scsi.complete', ...at, ...didCompletion(index, entry, DID_RESET) });
      counts = bump(counts, 'scsiResetOnPause');
      if (!quirks.doubleCompleteOnResume) slots[index] = null;
    }
  });
  return { slots, completions, cancelTimers, counts };
}

/**
 * The remove walk. Choice (§3.6 [UNCONFIRMED] "model as aborted by host removal"): visorhba's
 * remove does not complete its pending slots; `scsi_remove_host` leaves them to the midlayer,
 * which reports them to the upper layer without retry. Modelled here, on the driver's side so the
 * midlayer needs no list of its own: every pending SCSI command completes with `DID_ABORT << 16`
 * (Linux `scsi_decide_disposition`: DID_ABORT outside an EH abort → SUCCESS, i.e. not retried)
 * and every task-management waiter gets `failed` (the host it would reset is gone).
 */
export function removeWalk(context: VirthbaContext): TableWalk {
  const at = atOf(context);
  const completions: TableWalk['completions'] = [];
  const cancelTimers: number[] = [];
  let counts = context.counts;
  context.slots.forEach((entry, index) => {
    if (entry === null) return;
    if (entry.kind === 'taskmgmt') {
      completions.push({ type: 'taskmgmt.complete', ...at, tag: entry.tag, outcome: 'failed' });
      cancelTimers.push(index);
      counts = bump(counts, 'taskMgmtFailed');
    } else {
      completions.push({ type: 'scsi.complete', ...at, ...didCompletion(index, entry, DID_ABORT) });
      counts = bump(counts, 'scsiAbortedOnRemove');
    }
  });
  return { slots: context.slots.map(() => null), completions, cancelTimers, counts };
}

/** The `done` completion of slot `slot`'s command with only a host byte set and no sense. */
export function didCompletion(
  slot: number,
  entry: Extract<VirthbaSlot, { kind: 'scsi' }>,
  hostByte: number,
): ScsiCompletion {
  const { tag, buffer } = entry;
  const status = { linuxstat: hostByte << 16, sense: null, noDiskResult: false };
  return { tag, outcome: 'done', ...status, slot, buffer };
}

/** The device address of the context, for effects. */
export function atOf(context: VirthbaContext): At {
  return { busNo: context.busNo, devNo: context.devNo };
}
