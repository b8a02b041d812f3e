// The channel-corrupt forms against the ring: each is met with a typed error (or, for a torn slot,
// with bytes the decoder must refuse), and no operation reads or writes outside the channel — the
// channel here is smaller than its memory, and the bytes past it are a canary.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CHANNEL_CORRUPTIONS, corruptChannel, TORN_BYTE } from './corrupt.js';
import { CH, SQ } from './layout.js';
import { attachedChannel, uniformChannelSpec } from './testing/one-queue-channel.js';

const SIGNAL_BYTES = 64;
const SLOTS = 8;
const CANARY = 0x5c;
const CANARY_BYTES = 4096;

// A two-queue channel whose memory runs CANARY_BYTES past `size`, those bytes set to CANARY.
function fencedChannel() {
  const spec = uniformChannelSpec(SIGNAL_BYTES, SLOTS, 2);
  const made = attachedChannel(spec, spec.sizeBytes + CANARY_BYTES);
  new Uint8Array(made.buffer, spec.sizeBytes).fill(CANARY);
  return { ...made, sizeBytes: spec.sizeBytes };
}

function canaryIntact(buffer: SharedArrayBuffer, sizeBytes: number): boolean {
  return new Uint8Array(buffer, sizeBytes).every((b) => b === CANARY);
}

// Every operation a side performs on a queue, with what it returned.
function exercise(channel: ReturnType<typeof fencedChannel>['channel'], q: number) {
  const into = new Uint8Array(SIGNAL_BYTES);
  const queue = channel.queue(q);
  return {
    insert: queue.insert(new Uint8Array(SIGNAL_BYTES).fill(1)),
    remove: queue.remove(into),
    empty: queue.isEmpty(),
    occupancy: queue.occupancy(),
    into,
  };
}

describe('channel corruption', () => {
  test('smoke: every form writes into an initialised channel', () => {
    for (const form of CHANNEL_CORRUPTIONS) {
      const { buffer } = fencedChannel();
      expect(corruptChannel(buffer, { form, queue: 1 })).toBeNull();
    }
  });

  test('a bad signature is seen by the header check of the next poll, with field and values', () => {
    const { buffer, channel } = fencedChannel();
    expect(channel.check()).toBeNull();
    corruptChannel(buffer, { form: 'signature', queue: 0 });
    const error = channel.check();
    expect(error?.code).toBe('bad-signature');
    expect(error?.field).toBe('signature');
    expect(error?.actual).toBe('0xDEADBEEFDEADBEEF');
  });

  test.each([
    ['head', 'index-out-of-range'],
    ['tail', 'index-out-of-range'],
    ['queue-header', 'slots-outside-channel'],
    ['slot-oversized', 'slots-outside-channel'],
  ] as const)(
    '%s: every queue operation returns %s and touches nothing outside the channel',
    (form, code) => {
      const { buffer, channel, sizeBytes } = fencedChannel();
      corruptChannel(buffer, { form, queue: 1 });
      const seen = exercise(channel, 1);
      for (const outcome of [seen.insert, seen.remove, seen.empty, seen.occupancy]) {
        expect(outcome).toMatchObject({ code, queue: 1 });
      }
      expect(seen.into.every((b) => b === 0)).toBe(true); // nothing was read into it
      expect(canaryIntact(buffer, sizeBytes)).toBe(true);
      expect(exercise(channel, 0).insert).toBe('inserted'); // the other queue is unharmed
    },
  );

  test('a torn slot is published whole-queue-sound: the consumer gets its torn bytes to refuse', () => {
    const { buffer, channel, sizeBytes } = fencedChannel();
    corruptChannel(buffer, { form: 'slot-torn', queue: 1 });
    const into = new Uint8Array(SIGNAL_BYTES);
    expect(channel.queue(1).remove(into)).toBe('removed');
    expect(into[0]).toBe(TORN_BYTE);
    expect(into[SIGNAL_BYTES / 2 - 1]).toBe(TORN_BYTE);
    expect(canaryIntact(buffer, sizeBytes)).toBe(true);
  });

  test('a queue outside the channel is refused, and nothing is written', () => {
    const { buffer } = fencedChannel();
    const before = new Uint8Array(buffer).slice();
    expect(corruptChannel(buffer, { form: 'head', queue: 1_000_000 })).toMatch(
      /not in the channel/,
    );
    expect(new Uint8Array(buffer)).toEqual(before);
  });

  test('any head, tail, signal_size, max_slots or sig_base_offset: typed outcomes, canary intact', () => {
    const u32 = fc.nat({ max: 0xffff_ffff });
    fc.assert(
      fc.property(u32, u32, u32, u32, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (...v) => {
        const [head, tail, signalSize, maxSlots, base] = v;
        const { buffer, channel, sizeBytes } = fencedChannel();
        const view = new DataView(buffer);
        const at = Number(view.getBigUint64(CH.chSpaceOffset, true)) + 128; // queue 1's header
        view.setUint32(at + SQ.head, head, true);
        view.setUint32(at + SQ.tail, tail, true);
        view.setUint32(at + SQ.signalSize, signalSize, true);
        view.setUint32(at + SQ.maxSlots, maxSlots, true);
        view.setBigUint64(at + SQ.sigBaseOffset, base, true);
        const seen = exercise(channel, 1);
        for (const outcome of [seen.insert, seen.remove, seen.empty, seen.occupancy]) {
          const typed = typeof outcome !== 'object' || 'code' in outcome;
          expect(typed).toBe(true);
        }
        expect(seen.into.includes(CANARY)).toBe(false);
        expect(canaryIntact(buffer, sizeBytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
