// The ring of spar-protocol.md §1.6 against a model FIFO of capacity max_slots − 1.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { SignalQueue } from './signal-queue.js';
import { serverInitialize } from './channel.js';
import { SQ } from './layout.js';
import { attachedChannel, uniformChannelSpec } from './testing/one-queue-channel.js';

function payload(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed * 31 + i * 7 + 1) & 0xff;
  return bytes;
}

// Plain comparisons in the hot loop; `expect` only to report a mismatch (it is slow per call).
function same(actual: unknown, expected: unknown): void {
  if (actual !== expected) expect(actual).toBe(expected);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Model {
  readonly fifo: Uint8Array[];
  overflows: bigint;
  readonly capacity: number;
  readonly signalSizeBytes: number;
}

function checkCounters(model: Model, queue: SignalQueue): void {
  const c = queue.counters();
  expect(c.numOverflows).toBe(model.overflows);
  expect(c.numSent - c.numReceived).toBe(BigInt(model.fifo.length));
  expect(queue.occupancy()).toBe(model.fifo.length);
  expect(queue.isEmpty()).toBe(model.fifo.length === 0);
}

class InsertBurst implements fc.Command<Model, SignalQueue> {
  constructor(
    readonly count: number,
    readonly seed: number,
    readonly length: number,
  ) {}
  check = () => true;
  run(model: Model, queue: SignalQueue): void {
    for (let i = 0; i < this.count; i++) {
      const bytes = payload(this.seed + i, Math.min(this.length, model.signalSizeBytes));
      const outcome = queue.insert(bytes);
      if (model.fifo.length === model.capacity) {
        same(outcome, 'overflow');
        model.overflows += 1n;
      } else {
        same(outcome, 'inserted');
        const full = new Uint8Array(model.signalSizeBytes); // short payloads are zero-filled
        full.set(bytes);
        model.fifo.push(full);
      }
    }
    checkCounters(model, queue);
  }
  toString = () => `insert×${this.count}(seed ${this.seed}, ${this.length} B)`;
}

class RemoveBurst implements fc.Command<Model, SignalQueue> {
  constructor(readonly count: number) {}
  check = () => true;
  run(model: Model, queue: SignalQueue): void {
    const into = new Uint8Array(model.signalSizeBytes);
    for (let i = 0; i < this.count; i++) {
      const outcome = queue.remove(into);
      const expected = model.fifo.shift();
      if (expected === undefined) {
        same(outcome, 'empty');
      } else {
        same(outcome, 'removed');
        if (!sameBytes(into, expected)) expect(into).toEqual(expected);
      }
    }
    checkCounters(model, queue);
  }
  toString = () => `remove×${this.count}`;
}

const geometry = fc.record({
  slotCount: fc.oneof(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 2, max: 4096 })),
  signalSizeBytes: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 2048 })),
});

const commands = fc.commands(
  [
    fc
      .tuple(fc.integer({ min: 1, max: 5000 }), fc.nat(255), fc.integer({ min: 0, max: 2048 }))
      .map(([n, seed, length]) => new InsertBurst(n, seed, length)),
    fc.integer({ min: 1, max: 5000 }).map((n) => new RemoveBurst(n)),
  ],
  { maxCommands: 60 },
);

describe('signal queue', () => {
  test('smoke: the first signal lands in slot 1 and head/tail move to 1', () => {
    const { channel, buffer } = attachedChannel(uniformChannelSpec(8, 4));
    expect(channel.queue(0).insert(payload(9, 8))).toBe('inserted');
    const slot1 = 128 + 128 + 8; // slots start after the one queue header; slot 1 is 8 bytes in
    expect(Array.from(new Uint8Array(buffer, slot1, 8))).toEqual(Array.from(payload(9, 8)));
    expect(new Uint8Array(buffer, 256, 8).every((b) => b === 0)).toBe(true); // slot 0 untouched
    const header = new DataView(buffer, 128, 128);
    expect(header.getUint32(SQ.head, true)).toBe(1);
    expect(channel.queue(0).remove(new Uint8Array(8))).toBe('removed');
    expect(header.getUint32(SQ.tail, true)).toBe(1);
  });

  test('a queue of max_slots slots holds max_slots - 1 signals; the next insert overflows and is counted', () => {
    const { channel } = attachedChannel(uniformChannelSpec(4, 64));
    const queue = channel.queue(0);
    for (let i = 0; i < 63; i++) expect(queue.insert(payload(i, 4))).toBe('inserted');
    expect(queue.insert(payload(99, 4))).toBe('overflow');
    expect(queue.counters()).toEqual({ numSent: 63n, numReceived: 0n, numOverflows: 1n });
  });

  test('after the server re-initialises the queue (an IOSP reboot) both sides see it empty, with no phantom or lost slot', () => {
    const spec = uniformChannelSpec(4, 8);
    const { channel, buffer } = attachedChannel(spec);
    const queue = channel.queue(0);
    for (let i = 0; i < 7; i++) queue.insert(payload(i, 4)); // full: the producer has cached tail
    queue.remove(new Uint8Array(4));
    serverInitialize(buffer, spec); // head = tail = 0, counters zeroed
    expect(queue.remove(new Uint8Array(4))).toBe('empty');
    for (let i = 0; i < 7; i++) expect(queue.insert(payload(100 + i, 4))).toBe('inserted');
    expect(queue.insert(payload(200, 4))).toBe('overflow');
    const into = new Uint8Array(4);
    for (let i = 0; i < 7; i++) {
      expect(queue.remove(into)).toBe('removed');
      expect(into).toEqual(payload(100 + i, 4));
    }
    expect(queue.remove(into)).toBe('empty');
  });

  test('isEmpty read right after each remove says whether a signal is left, across the ring wrap (a drain asks again only then)', () => {
    const { channel } = attachedChannel(uniformChannelSpec(4, 4));
    const queue = channel.queue(0);
    const into = new Uint8Array(4);
    expect(queue.isEmpty()).toBe(true);
    // Three rounds of three signals on a 4-slot ring move head and tail past the wrap twice.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) expect(queue.insert(payload(round * 3 + i, 4))).toBe('inserted');
      const left: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        expect(queue.remove(into)).toBe('removed');
        left.push(queue.isEmpty());
      }
      expect(left).toEqual([false, false, true]);
    }
  });

  test('isEmpty reports a head outside the ring (hostile memory) as a typed error, not as empty or not', () => {
    const { channel, buffer } = attachedChannel(uniformChannelSpec(4, 4));
    const queue = channel.queue(0);
    queue.insert(payload(1, 4));
    new DataView(buffer, 128, 128).setUint32(SQ.head, 99, true);
    expect(queue.isEmpty()).toMatchObject({ code: 'index-out-of-range', field: 'head', queue: 0 });
  });

  test('any sequence of inserts and removes on any geometry behaves like a FIFO of capacity max_slots - 1', () => {
    fc.assert(
      fc.property(geometry, commands, ({ slotCount, signalSizeBytes }, cmds) => {
        const { channel } = attachedChannel(uniformChannelSpec(signalSizeBytes, slotCount));
        const model: Model = { fifo: [], overflows: 0n, capacity: slotCount - 1, signalSizeBytes };
        fc.modelRun(() => ({ model, real: channel.queue(0) }), cmds);
      }),
      { numRuns: 60 },
    );
  });
});
