// The "no lost write" check of spar-protocol.md §4.2 "Guarantee to the guest" and §4.8 end to end:
// the whole guest storage stack — workload → scsi-midlayer → virthba — against a small in-memory
// IOSP, through an IOSP outage, and the two seeded recovery bugs it must expose.

import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { blockWorkloadMachine } from './block-workload.machine.js';
import { expectedBlock } from './block-workload.logic.js';
import type { BlockWorkloadEmitted } from './block-workload.types.js';
import { scsiMidlayerMachine } from './scsi-midlayer.machine.js';
import type { BlockBuffer, ScsiMidlayerEmitted } from './scsi-midlayer.types.js';
import { virthbaMachine } from './virthba.machine.js';
import type { VirthbaEmitted, VirthbaQuirks, VirthbaResponseEvent } from './virthba.types.js';

/**
 * The guest storage stack on one clock: workload → midlayer → virthba, and a fake IOSP that
 * executes up to two commands per tick from queue 0 onto an in-memory disk and answers on
 * queue 1. An outage pauses virthba and re-initialises both queues (§4.8 steps 1–4). Each request
 * carries its buffer down and its data back, as storage-stack.ts moves them: nothing here joins
 * a completion to its request by id.
 */
function storageStack(o: { quirks?: Partial<VirthbaQuirks>; ops: number }) {
  const BS = 64;
  const at = { partition: 'guest1', busNo: 1, devNo: 0 };
  const clock = new SimulatedClock();
  const seedWords = Array.from({ length: 3 * o.ops }, (_, i) => (i * 2654435761) % 4093);
  const device = { partition: 'guest1', name: 'sda', blocks: 32, blockSize: BS };
  const half = { numerator: 1, denominator: 2 };
  const wl = createActor(blockWorkloadMachine, {
    clock,
    input: { ...device, queueDepth: 8, ops: o.ops, writeFraction: half, seedWords },
  });
  const ml = createActor(scsiMidlayerMachine, { clock, input: at });
  const hba = createActor(virthbaMachine, {
    clock,
    input: { ...at, ...(o.quirks === undefined ? {} : { quirks: o.quirks }) },
  });
  const disk = new Map<number, Uint8Array>();
  /** The DMA buffer of each pending slot, as the IOSP left it. */
  const dma = new Map<number, Uint8Array>();
  let nextId = 1;
  let queue0: { slot: number; buffer: BlockBuffer }[] = [];
  const queue1: VirthbaResponseEvent[] = [];
  const wlEffects: BlockWorkloadEmitted[] = [];
  wl.on('*', (e) => {
    wlEffects.push(e);
    if (e.type !== 'workload.submit') return;
    const { op, lba, blocks, blockSize, version } = e;
    const origin = { workload: e.name, id: e.id };
    const target = { channel: 0, id: 0, lun: 0 };
    ml.send({ type: 'REQUEST', id: nextId++, op, lba, blocks, blockSize, version, target, origin });
  });
  ml.on('*', (e: ScsiMidlayerEmitted) => {
    if (e.type === 'hba.queue') {
      const { tag, cdb, dataDir, bufflen, vdest, buffer } = e;
      hba.send({ type: 'SCSI_QUEUE', tag, cdb, dataDir, bufflen, vdest, buffer });
      return;
    }
    if (e.type === 'hba.taskMgmt') return; // no command times out here
    const data = e.ok ? e.data : undefined;
    const done = { type: 'REQUEST_DONE', id: e.origin.id, ok: e.ok } as const;
    wl.send(data === undefined ? done : { ...done, data });
  });
  hba.on('*', (e: VirthbaEmitted) => {
    // Inserts always succeed, so they are not answered (storage-stack.ts answers only failures).
    if (e.type === 'channel.insertScsi') queue0.push({ slot: e.slot, buffer: e.buffer });
    if (e.type === 'channel.removeResponse') {
      const next = queue1.shift();
      hba.send(
        next === undefined ? { type: 'RESPONSES_EMPTY' } : { ...next, more: queue1.length > 0 },
      );
    }
    if (e.type !== 'scsi.complete') return;
    if (e.outcome === 'busy') {
      ml.send({ type: 'SCSI_COMPLETE', tag: e.tag, outcome: 'busy' });
      return;
    }
    const { tag, linuxstat, sense, noDiskResult, slot, buffer } = e;
    const data = linuxstat === 0 && buffer.version === null ? dma.get(slot) : undefined;
    const read = data === undefined ? {} : { data };
    ml.send({
      type: 'SCSI_COMPLETE',
      tag,
      outcome: 'done',
      linuxstat,
      sense,
      noDiskResult,
      ...read,
    });
  });
  const execute = ({ slot, buffer }: { slot: number; buffer: BlockBuffer }) => {
    const lbas = Array.from({ length: buffer.blocks }, (_, i) => buffer.lba + i);
    const { version } = buffer;
    if (version !== null) for (const l of lbas) disk.set(l, expectedBlock(l, version, BS));
    else
      dma.set(slot, new Uint8Array(lbas.flatMap((l) => [...(disk.get(l) ?? new Uint8Array(BS))])));
    queue1.push({
      type: 'SCSI_RESPONSE',
      handle: slot,
      linuxstat: 0,
      sense: null,
      noDiskResult: false,
      more: false,
    });
  };
  for (const actor of [hba, ml, wl]) actor.start();
  hba.send({ type: 'PROBE' });
  wl.send({ type: 'START' });
  return {
    wl,
    ml,
    hba,
    wlEffects,
    queue1,
    tick: (n = 1) => {
      for (let i = 0; i < n; i++) {
        clock.increment(1);
        queue0.splice(0, 2).forEach(execute);
        hba.send({ type: 'CHANNEL_INTERRUPT' });
      }
    },
    /** The IOSP goes away (after executing what it had) and comes back with empty queues. */
    outage: () => {
      queue0.splice(0).forEach(execute);
      hba.send({ type: 'SUSPEND' });
      queue0 = [];
      queue1.splice(0);
      hba.send({ type: 'RESUME' });
    },
  };
}

describe('guest storage stack through an IOSP outage (workload → scsi-midlayer → virthba)', () => {
  test('every request completes exactly once and every read verifies, although the outage reset commands in flight', () => {
    const s = storageStack({ ops: 60 });
    s.tick(3);
    s.outage();
    s.tick(100);
    expect(s.hba.getSnapshot().context.counts.scsiResetOnPause).toBeGreaterThan(0);
    expect(s.ml.getSnapshot().context.counts).toMatchObject({
      resetRetries: s.hba.getSnapshot().context.counts.scsiResetOnPause,
      duplicateCompletions: 0,
    });
    expect(s.wlEffects.filter((e) => e.type === 'workload.done')).toHaveLength(60);
    expect(s.wlEffects.at(-1)).toEqual({
      type: 'workload.finished',
      name: 'sda',
      ops: 60,
      failed: 0,
      verifyFailures: 0,
    });
  });

  test('canary losePendingOnPause: one request never completes and the workload never finishes', () => {
    const s = storageStack({ ops: 60, quirks: { losePendingOnPause: true } });
    s.tick(3);
    s.outage();
    s.tick(1000);
    expect(s.wl.getSnapshot().value).not.toBe('finished');
    expect(s.ml.getSnapshot().context.requests).toHaveLength(1);
  });

  test('canary doubleCompleteOnResume: a replayed response completes a command twice; the midlayer counts it, the workload sees one answer', () => {
    const s = storageStack({ ops: 60, quirks: { doubleCompleteOnResume: true } });
    s.tick(3);
    const pendingSlot = s.hba.getSnapshot().context.slots.findIndex((x) => x !== null);
    s.outage();
    s.queue1.push({
      type: 'SCSI_RESPONSE',
      handle: pendingSlot,
      linuxstat: 0,
      sense: null,
      noDiskResult: false,
      more: false,
    });
    s.tick(100);
    expect(s.ml.getSnapshot().context.counts.duplicateCompletions).toBe(1);
    expect(s.wlEffects.filter((e) => e.type === 'workload.done')).toHaveLength(60);
    expect(s.wlEffects.at(-1)).toMatchObject({
      type: 'workload.finished',
      failed: 0,
      verifyFailures: 0,
    });
  });
});
