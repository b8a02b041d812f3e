// The pure walks of virthba's IO path (spar-protocol.md §4.2 pending table, queuecommand, pause;
// §3.6 remove; §7 the 45 s task-management wait). The pending table is `slots`: `maxPending`
// entries, each null or the request holding it; the slot index is the handle the IOSP echoes
// (§4.4.4). Inserts walk forward from `nextInsert`, wrapping; a full walk means the table is full.

import { assert } from '../src/base/assert.js';
import { initialVirtpciDriverContext, NO_VIRTPCI_DRIVER_QUIRKS } from './virtpci-driver.logic.js';
import type {
  At,
  ScsiCompletion,
  VirthbaContext,
  VirthbaCounts,
  VirthbaInput,
  VirthbaIoEmitted,
  VirthbaQuirks,
  VirthbaSlot,
  Vdest,
} from './virthba.types.js';

/** For src/kinds/vhba (storage-stack) and binding.test, which import it from here. */
export type { VirthbaIoEmitted } from './virthba.types.js';

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
/** `slot` of a completion whose command never took one (failed at queuecommand). */
export const NO_SLOT = -1;
/** `TASK_MGMT_FAILED` (0): the result pause wakes task-management waiters with (§4.2). */
export const TASK_MGMT_FAILED = 0;
/** `CMD_NOTIFYGUEST_TYPE` (4), an OTHER_RESPONSE virthba ignores (§4.2). */
export const CMD_NOTIFYGUEST_TYPE = 4;

/** All virthba quirks off. */
export const NO_VIRTHBA_QUIRKS: VirthbaQuirks = {
  ...NO_VIRTPCI_DRIVER_QUIRKS,
  losePendingOnPause: false,
  doubleCompleteOnResume: false,
};

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
  scsiResetByTaskMgmt: 0,
  insertFailures: 0,
  staleResponses: 0,
  otherResponses: 0,
  abandonedResponses: 0,
  staleInsertFailures: 0,
  scsiFailedCorrupt: 0,
};

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
    quarantine: null,
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
  return failWalk(context, DID_ABORT, 'scsiAbortedOnRemove');
}

/**
 * The quarantine walk (the channel was found corrupt): every pending SCSI command completes with
 * `DID_NO_CONNECT << 16`, which the midlayer fails without retry, and every task-management waiter
 * gets `failed`. Nothing pending can be answered by a ring that can no longer be trusted.
 */
export function quarantineWalk(context: VirthbaContext): TableWalk {
  return failWalk(context, DID_NO_CONNECT, 'scsiFailedCorrupt');
}

// Every pending command completes with `hostByte` (counted as `counter`), every waiter fails.
function failWalk(
  context: VirthbaContext,
  hostByte: number,
  counter: 'scsiAbortedOnRemove' | 'scsiFailedCorrupt',
): TableWalk {
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
      completions.push({ type: 'scsi.complete', ...at, ...didCompletion(index, entry, hostByte) });
      counts = bump(counts, counter);
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

/** `TASK_MGMT_BUS_RESET` (§4.2): the only task type whose scope is a whole SCSI channel. */
const TASK_MGMT_BUS_RESET = 2;

/**
 * The tags of the pending SCSI commands a task-management request of `tasktype` for `vdest`
 * covers. Choice: the IOSP drops every not-yet-executed command of the request's scope (abort and
 * LUN reset: the vdest, as `TASK_MGMT_ABORT_TASK` carries no command handle; bus reset: the SCSI
 * channel), so the scope is what virthba must complete when the request succeeds.
 */
export function taskMgmtCovers(
  slots: readonly (VirthbaSlot | null)[],
  tasktype: number,
  vdest: Vdest,
): number[] {
  const inScope = (v: Vdest) =>
    v.channel === vdest.channel &&
    (tasktype === TASK_MGMT_BUS_RESET || (v.id === vdest.id && v.lun === vdest.lun));
  return slots.flatMap((s) => (s?.kind === 'scsi' && inScope(s.vdest) ? [s.tag] : []));
}

/**
 * A task-management success: the covered commands still pending were dropped by the IOSP (its
 * responses come in order, so any it answered before this one were taken already) and complete
 * with `DID_RESET << 16`, before the success itself, so the error handler sees its command given
 * back first. The request's own slot is freed too.
 */
export function taskMgmtSuccessWalk(context: VirthbaContext, handle: number): TableWalk {
  const entry = pendingAt(context, handle, 'taskmgmt');
  assert(entry !== null, `slot ${handle} holds a task-management request`);
  const at = atOf(context);
  const slots = withSlot(context.slots, handle, null);
  const completions: TableWalk['completions'] = [];
  let counts = bump(context.counts, 'taskMgmtSucceeded');
  context.slots.forEach((s, index) => {
    if (s?.kind !== 'scsi' || !entry.covers.includes(s.tag)) return;
    completions.push({ type: 'scsi.complete', ...at, ...didCompletion(index, s, DID_RESET) });
    counts = bump(counts, 'scsiResetByTaskMgmt');
    slots[index] = null;
  });
  return { slots, completions, cancelTimers: [handle], counts };
}
