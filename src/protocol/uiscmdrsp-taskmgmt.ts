// Codec for the task-management member of a vhba `uiscmdrsp` slot (`scsitaskmgmt`, cmdtype
// CMD_SCSITASKMGMT_TYPE; spar-protocol.md §4.2 error handler, §4.4.3, §4.4.4): the guest's abort
// and reset requests and the IOSP's answers. Encoders assert our own values; decoders never throw
// on hostile bytes and return the typed errors of uiscmdrsp-scsi-slot.ts.
//
// Choice (the reference leaves it open): `tasktype` is returned as a number, unknown values
// included: an unknown type is a request the IOSP answers with TASK_MGMT_FAILED, not undecodable
// bytes.
//
// Fields go through a StructView by name: only the error handler sends these, so the fixed-offset
// DataView of the SCSI command path would buy nothing.

import { err, ok, type Result } from '../base/result.js';
import { StructView } from '../base/struct.js';
import { uiscmdrsp } from './iochannel-layout.js';
import { CMD_SCSITASKMGMT_TYPE, SIZEOF_CMDRSP } from './uiscmdrsp-constants.js';
import {
  STRUCT_BYTES,
  codecError,
  shortSlot,
  type ScsiCodecError,
  type ScsiDest,
} from './uiscmdrsp-scsi-slot.js';

/** A task-management request (§4.2 error handler). */
export interface TaskMgmtRequest {
  /** TASK_MGMT_* value; unknown values are possible in decoded requests. */
  readonly tasktype: number;
  readonly vdest: ScsiDest;
  /** Pending-table slot. */
  readonly handle: bigint;
  /** Guest IDR id of the waiter (0 = the guest's allocation failed). */
  readonly notifyHandle: bigint;
  /** Guest IDR id of the result int. */
  readonly notifyResultHandle: bigint;
}

/** A task-management response: the request echoed plus `result`. */
export interface TaskMgmtResponse extends TaskMgmtRequest {
  /** `scsitaskmgmt.result` byte; TASK_MGMT_FAILED 0. */
  readonly result: number;
}

/** A fresh zeroed slot and a view of its struct part, with `cmdtype` set. */
function freshSlot(cmdtype: number): { slot: Uint8Array; view: StructView } {
  const slot = new Uint8Array(SIZEOF_CMDRSP);
  const view = new StructView(uiscmdrsp, slot.subarray(0, STRUCT_BYTES));
  view.set('cmdtype', cmdtype);
  return { slot, view };
}

/** A view of a hostile slot's struct part, after the length check. */
function openSlot(slot: Uint8Array): Result<StructView, ScsiCodecError> {
  const short = shortSlot(slot);
  if (short !== null) return err(short);
  return ok(new StructView(uiscmdrsp, slot.subarray(0, STRUCT_BYTES)));
}

/** Opens a slot and checks its `cmdtype`. */
function openTyped(slot: Uint8Array, cmdtype: number): Result<StructView, ScsiCodecError> {
  const opened = openSlot(slot);
  if (!opened.ok) return opened;
  const actual = opened.value.get('cmdtype');
  return actual === cmdtype ? opened : err(codecError('wrong-cmdtype', 'cmdtype', cmdtype, actual));
}

function readDest(view: StructView, prefix: string): ScsiDest {
  return {
    channel: view.get(`${prefix}.vdest.channel`),
    id: view.get(`${prefix}.vdest.id`),
    lun: view.get(`${prefix}.vdest.lun`),
  };
}

function writeDest(view: StructView, prefix: string, dest: ScsiDest): void {
  view.set(`${prefix}.vdest.channel`, dest.channel);
  view.set(`${prefix}.vdest.id`, dest.id);
  view.set(`${prefix}.vdest.lun`, dest.lun);
}

function writeTaskMgmt(view: StructView, request: TaskMgmtRequest): void {
  view.set('scsitaskmgmt.tasktype', request.tasktype);
  writeDest(view, 'scsitaskmgmt', request.vdest);
  view.set64('scsitaskmgmt.handle', request.handle);
  view.set64('scsitaskmgmt.notify_handle', request.notifyHandle);
  view.set64('scsitaskmgmt.notifyresult_handle', request.notifyResultHandle);
}

function readTaskMgmt(view: StructView): TaskMgmtRequest {
  return {
    tasktype: view.get('scsitaskmgmt.tasktype'),
    vdest: readDest(view, 'scsitaskmgmt'),
    handle: view.get64('scsitaskmgmt.handle'),
    notifyHandle: view.get64('scsitaskmgmt.notify_handle'),
    notifyResultHandle: view.get64('scsitaskmgmt.notifyresult_handle'),
  };
}

/** Builds the queue-0 slot of a task-management request (cmdtype CMD_SCSITASKMGMT_TYPE). */
export function encodeTaskMgmt(request: TaskMgmtRequest): Uint8Array {
  const { slot, view } = freshSlot(CMD_SCSITASKMGMT_TYPE);
  writeTaskMgmt(view, request);
  return slot;
}

/** Decodes a queue-0 task-management slot; `result` is not read (the guest leaves it 0). */
export function decodeTaskMgmt(slot: Uint8Array): Result<TaskMgmtRequest, ScsiCodecError> {
  const opened = openTyped(slot, CMD_SCSITASKMGMT_TYPE);
  return opened.ok ? ok(readTaskMgmt(opened.value)) : opened;
}

/** Builds the queue-1 slot answering `request`: all of it echoed plus the result byte (§4.4.4). */
export function encodeTaskMgmtResponse(request: TaskMgmtRequest, result: number): Uint8Array {
  const { slot, view } = freshSlot(CMD_SCSITASKMGMT_TYPE);
  writeTaskMgmt(view, request);
  view.set('scsitaskmgmt.result', result);
  return slot;
}

/** Decodes a queue-1 task-management response slot. */
export function decodeTaskMgmtResponse(slot: Uint8Array): Result<TaskMgmtResponse, ScsiCodecError> {
  const opened = openTyped(slot, CMD_SCSITASKMGMT_TYPE);
  if (!opened.ok) return opened;
  return ok({ ...readTaskMgmt(opened.value), result: opened.value.get('scsitaskmgmt.result') });
}
