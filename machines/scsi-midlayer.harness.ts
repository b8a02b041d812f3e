// The scsi-midlayer tests' host (spar-protocol.md §4.2): requests, the completions virthba would
// produce, and a midlayer actor on a simulated clock (for the busy requeue and the command timeout)
// whose effects are recorded. Used by scsi-midlayer.machine.test.ts and scsi-midlayer.eh.test.ts.

import { createActor, SimulatedClock } from 'xstate';
import { scsiMidlayerMachine } from './scsi-midlayer.machine.js';
import { scsiMidlayerSystemId } from './scsi-midlayer.logic.js';
import type {
  ScsiMidlayerEmitted,
  ScsiMidlayerEvent,
  ScsiMidlayerInput,
} from './scsi-midlayer.types.js';

export const AT = { busNo: 1, devNo: 10 };
export const INPUT: ScsiMidlayerInput = { partition: 'guest1', ...AT };
export const TARGET = { channel: 0, id: 1, lun: 0 };
export const DID_RESET = 0x08 << 16;
export const DID_ABORT = 0x05 << 16;

export type RequestEvent = Extract<ScsiMidlayerEvent, { type: 'REQUEST' }>;
export type DoneEvent = Extract<ScsiMidlayerEvent, { outcome: 'done' }>;
export const origin = (id: number) => ({ workload: 'disk0', id: id + 1000 });
export const read = (id: number, lba = 8, blocks = 1, blockSize = 512): RequestEvent => ({
  type: 'REQUEST',
  id,
  op: 'read',
  lba,
  blocks,
  blockSize,
  version: null,
  target: TARGET,
  origin: origin(id),
});
export const write = (id: number, lba = 8, blocks = 1, blockSize = 512): RequestEvent => ({
  type: 'REQUEST',
  id,
  op: 'write',
  lba,
  blocks,
  blockSize,
  version: 7,
  target: TARGET,
  origin: origin(id),
});
export const doneWith = (tag: number, linuxstat: number): DoneEvent => ({
  type: 'SCSI_COMPLETE',
  tag,
  outcome: 'done',
  linuxstat,
  sense: null,
  noDiskResult: false,
});
export const busyFor = (tag: number): ScsiMidlayerEvent => ({
  type: 'SCSI_COMPLETE',
  tag,
  outcome: 'busy',
});

/** A midlayer actor on a simulated clock; effects recorded. */
export function midlayer(input: Partial<ScsiMidlayerInput> = {}) {
  const clock = new SimulatedClock();
  const systemId = scsiMidlayerSystemId(INPUT);
  const actor = createActor(scsiMidlayerMachine, {
    input: { ...INPUT, ...input },
    clock,
    systemId,
  });
  const effects: ScsiMidlayerEmitted[] = [];
  actor.on('*', (e) => effects.push(e));
  actor.start();
  return {
    actor,
    clock,
    effects,
    send: (...events: ScsiMidlayerEvent[]) => {
      for (const e of events) actor.send(e);
    },
    take: () => effects.splice(0),
    /** Tags of the hba.queue effects so far. */
    queuedTags: () => effects.flatMap((e) => (e.type === 'hba.queue' ? [e.tag] : [])),
    dones: () => effects.filter((e) => e.type === 'request.done'),
    ctx: () => actor.getSnapshot().context,
  };
}
