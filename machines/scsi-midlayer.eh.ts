// The guest's SCSI error handler for one host (spar-protocol.md §4.2 "Error-handler"; Linux
// `drivers/scsi/scsi_error.c`, read outside the reference): the pure rules the midlayer machine
// applies when a command stays at virthba past sd's timeout (SD_TIMEOUT, 30 s).
//
// Linux: the timed-out command is aborted (`eh_abort_handler` → TASK_MGMT_ABORT_TASK); if that
// fails, the LUN is reset (`eh_device_reset_handler` → TASK_MGMT_LUN_RESET), then the bus
// (`eh_bus_reset_handler` → TASK_MGMT_BUS_RESET), then the host (`eh_host_reset_handler`: visorhba
// sends nothing and returns SUCCESS). virthba answers each request `success` (a response came, or a
// pause woke it) or `failed` (not sent, or its 45 s wait ran out). Once a step succeeded the command
// is retried if its budget allows (`scsi_eh_flush_done_q`: `++retries <= allowed`), else failed.
// Choices:
// - Each timed-out command runs its own escalation (Linux runs one eh thread per host over the
//   list of failed commands; the steps per command are the same). Dispatch of other commands
//   continues meanwhile.
// - The command is retried (or failed) only once virthba has also given it back: a success frees
//   the commands it covered with DID_RESET (virthba.logic.ts `taskMgmtSuccessWalk`), a pause with
//   DID_RESET, a late response with its status; the error handler absorbs that completion. So the
//   midlayer never reissues a command virthba still holds. After a host reset (nothing was sent,
//   the IOSP may still run the command) this means waiting for the IOSP's own answer or a pause,
//   rather than retrying beside a copy that could still land (a lost-write hazard).
// - An error-handler retry spends the same budget as a DID_RESET retry (Linux's `allowed`).

import { assert } from '../src/base/assert.js';
import {
  atOf,
  bump,
  dropRequest,
  hasRetryLeft,
  hbaQueueEffect,
  storeRequest,
  withNextTag,
} from './scsi-midlayer.logic.js';
import type {
  EhProgress,
  EhStep,
  LiveRequest,
  ScsiMidlayerContext,
  ScsiMidlayerCounts,
  ScsiMidlayerEmitted,
} from './scsi-midlayer.types.js';
import type { TaskType } from './virthba.types.js';

/** Linux host byte `DID_TIME_OUT`: the result a request failed by the error handler reports. */
export const HOST_BYTE_DID_TIME_OUT = 0x03;

/** The step after a failed one. */
const NEXT_STEP: Readonly<Record<Exclude<EhStep, 'hostReset'>, EhStep>> = {
  abort: 'lunReset',
  lunReset: 'busReset',
  busReset: 'hostReset',
};

/** What each step sends to virthba (null: the host reset sends nothing). */
const TASK_TYPE: Readonly<Record<EhStep, TaskType | null>> = {
  abort: 1,
  lunReset: 3,
  busReset: 2,
  hostReset: null,
};

/** The counter each step raises. */
const STEP_COUNTER: Readonly<Record<EhStep, keyof ScsiMidlayerCounts>> = {
  abort: 'aborts',
  lunReset: 'lunResets',
  busReset: 'busResets',
  hostReset: 'hostResets',
};

/** What entering `step` needs: the task type to send (null: none) and the counter to raise. */
export function ehStepEffect(step: EhStep): {
  readonly tasktype: TaskType | null;
  readonly counter: keyof ScsiMidlayerCounts;
} {
  return { tasktype: TASK_TYPE[step], counter: STEP_COUNTER[step] };
}

/**
 * The progress after the awaited request of `eh` ended with `outcome`: a success ends the
 * escalation at this step; a failure moves to the next step (the host reset needs no answer).
 */
export function ehAfterTaskMgmt(eh: EhProgress, outcome: 'success' | 'failed'): EhProgress {
  if (outcome === 'success' || eh.step === 'hostReset') return { ...eh, tmfTag: null };
  return { ...eh, step: NEXT_STEP[eh.step], tmfTag: null };
}

/** Whether the error handling of `r` is over: a step succeeded and virthba gave the command back. */
export function isEhOver(r: LiveRequest): boolean {
  return r.eh !== null && r.eh.tmfTag === null && r.eh.released;
}

/** The live request whose error handler awaits task-management tag `tag`, if any. */
export function requestOfTaskMgmt(
  requests: readonly LiveRequest[],
  tag: number,
): LiveRequest | undefined {
  return requests.find((r) => r.eh !== null && r.eh.tmfTag === tag);
}

/** What one move of a request's error handling does to the midlayer. */
export interface EhMove {
  readonly next: ScsiMidlayerContext;
  readonly effects: readonly ScsiMidlayerEmitted[];
  /** The tag of a command reissued to the HBA, whose timeout must be armed; else null. */
  readonly armTag: number | null;
}

/**
 * Stores `r` (its error handling moved on): when it `entered` a step, that step's request goes to
 * virthba under a new tag; when the handling is over, the command is retried under a new tag
 * (parked if the host is blocked) or, its budget spent, the request fails with DID_TIME_OUT.
 */
export function ehMove(
  context: ScsiMidlayerContext,
  r: LiveRequest,
  entered: boolean,
  park: boolean,
): EhMove {
  assert(r.eh !== null, `request ${r.id} is in the error handler`);
  let next = context;
  let moved = r;
  const effects: ScsiMidlayerEmitted[] = [];
  if (entered) {
    const { tasktype, counter } = ehStepEffect(r.eh.step);
    next = { ...next, counts: bump(next.counts, counter) };
    if (tasktype !== null) {
      const tmfTag = next.nextTag;
      moved = { ...r, eh: { ...r.eh, tmfTag } };
      next = { ...next, nextTag: tmfTag + 1 };
      const { id, target: vdest } = r;
      effects.push({ type: 'hba.taskMgmt', ...atOf(next), id, tag: tmfTag, tasktype, vdest });
    }
  }
  next = { ...next, ...storeRequest(next, moved) };
  if (!isEhOver(moved)) return { next, effects, armTag: null };
  return endEh(next, moved, park, effects);
}

// The error handling of `r` is over: retry its command once more, or fail it (budget spent).
function endEh(
  context: ScsiMidlayerContext,
  r: LiveRequest,
  park: boolean,
  effects: ScsiMidlayerEmitted[],
): EhMove {
  if (!hasRetryLeft(context, r.tag)) {
    const next = {
      ...context,
      ...dropRequest(context, r.id),
      counts: bump(context.counts, 'failed'),
    };
    const linuxstat = HOST_BYTE_DID_TIME_OUT << 16;
    const { id, origin } = r;
    const reason = 'retriesExhausted';
    effects.push({
      type: 'request.done',
      ...atOf(context),
      id,
      origin,
      ok: false,
      reason,
      linuxstat,
    });
    return { next, effects, armTag: null };
  }
  const retry = { ...r, resetRetries: r.resetRetries + 1, eh: null };
  const { live, update } = withNextTag(context, retry, park ? 'parked' : 'issued', r.id);
  const counts = bump(context.counts, 'resetRetries', park ? 'parked' : 'commandsQueued');
  const next = { ...context, ...update, counts };
  if (park) return { next, effects, armTag: null };
  effects.push(hbaQueueEffect(context, live));
  return { next, effects, armTag: live.tag };
}
