// Hostile channel memory (spar-protocol.md §1.7 and beyond): every bad header gives a typed
// error naming the field, expected and actual values; nothing ever touches bytes outside the
// channel, whatever the header says.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { guidToBytes } from '../base/guid.js';
import { Channel } from './channel.js';
import { createChannel } from './channel.js';
import { CH, SQ } from './layout.js';
import {
  attachedChannel,
  TEST_CHANNEL_GUID,
  uniformChannelSpec,
} from './testing/one-queue-channel.js';
import { VHBA_CHANNEL } from '../kinds/vhba/channel.js';
import { VNIC_CHANNEL } from '../kinds/vnic/channel.js';

const vhba = VHBA_CHANNEL;

function attachVhba(mutate: (data: DataView) => void) {
  const buffer = createChannel(VHBA_CHANNEL);
  mutate(new DataView(buffer));
  return Channel.attachAs(buffer, vhba);
}

function expectError(
  result: ReturnType<typeof attachVhba>,
  code: string,
  field: string,
  queue?: number,
) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.code).toBe(code);
  expect(result.error.field).toBe(field);
  expect(result.error.queue).toBe(queue);
  expect(result.error.message).toContain(field);
  expect(result.error.message).toContain(result.error.actual);
}

const Q1 = 128 + 128; // vhba rsp_q header

describe('channel validation', () => {
  test('smoke: a freshly created vhba channel is valid with two queues', () => {
    const attached = Channel.attachAs(createChannel(VHBA_CHANNEL), vhba);
    expect(attached.ok && attached.value.queueCount).toBe(2);
  });

  test.each([
    ['bad-signature', 'signature', (d: DataView) => d.setUint8(CH.signature, 0x46)],
    ['version-mismatch', 'version_id', (d: DataView) => d.setUint32(CH.versionId, 1, true)],
    ['size-too-small', 'size', (d: DataView) => d.setBigUint64(CH.size, 64n, true)],
    ['size-exceeds-memory', 'size', (d: DataView) => d.setBigUint64(CH.size, 1n << 40n, true)],
    [
      'bad-ch-space-offset',
      'ch_space_offset',
      (d: DataView) => d.setBigUint64(CH.chSpaceOffset, 64n, true),
    ],
    [
      'misaligned',
      'ch_space_offset',
      (d: DataView) => d.setBigUint64(CH.chSpaceOffset, 132n, true),
    ],
  ])('%s: the error names %s with expected and actual values', (code, field, mutate) => {
    expectError(attachVhba(mutate), code, field);
  });

  test('a wrong type GUID is refused naming chtype and both GUIDs', () => {
    const result = attachVhba((d) =>
      new Uint8Array(d.buffer).set(guidToBytes(VNIC_CHANNEL.guid), CH.chtype),
    );
    expectError(result, 'wrong-type', 'chtype');
    expect(!result.ok && result.error.expected).toBe(vhba.guid);
    expect(!result.ok && result.error.actual).toBe(VNIC_CHANNEL.guid);
  });

  test.each([
    ['bad-max-slots', 'max_slots', (d: DataView) => d.setUint32(Q1 + SQ.maxSlots, 1, true)],
    ['bad-signal-size', 'signal_size', (d: DataView) => d.setUint32(Q1 + SQ.signalSize, 0, true)],
    [
      'slots-outside-channel',
      'sig_base_offset',
      (d: DataView) => d.setUint32(Q1 + SQ.maxSlots, 4096, true),
    ],
    [
      'slots-outside-channel',
      'sig_base_offset',
      (d: DataView) => d.setUint32(Q1 + SQ.signalSize, 1 << 20, true),
    ],
    [
      'slots-outside-channel',
      'sig_base_offset',
      (d: DataView) => d.setBigUint64(Q1 + SQ.sigBaseOffset, 2n ** 63n, true),
    ],
    ['index-out-of-range', 'head', (d: DataView) => d.setUint32(Q1 + SQ.head, 65, true)],
    ['index-out-of-range', 'tail', (d: DataView) => d.setUint32(Q1 + SQ.tail, 0xffffffff, true)],
  ])('queue 1 %s: the error names queue 1 and %s', (code, field, mutate) => {
    expectError(attachVhba(mutate), code, field, 1);
  });

  test('a queue header placed past the end of the channel is refused', () => {
    const result = attachVhba((d) =>
      d.setBigUint64(CH.chSpaceOffset, BigInt(d.byteLength - 64), true),
    );
    expectError(result, 'queue-outside-channel', 'ch_space_offset + q*128', 0);
  });

  test('memory smaller than a channel header is refused, not read', () => {
    const result = Channel.attach(new SharedArrayBuffer(64), {});
    expect(!result.ok && result.error.code).toBe('channel-too-small');
  });

  test('a peer that corrupts head after attach gets a typed error from insert, and nothing is written', () => {
    const { channel, buffer } = attachedChannel(uniformChannelSpec(16, 8));
    new DataView(buffer).setUint32(128 + SQ.head, 8, true);
    const before = new Uint8Array(buffer).slice();
    const outcome = channel.queue(0).insert(new Uint8Array(16).fill(7));
    expect(typeof outcome === 'object' && outcome.code).toBe('index-out-of-range');
    expect(new Uint8Array(buffer)).toEqual(before);
  });

  test('a peer that enlarges max_slots after attach is revalidated, never obeyed', () => {
    const { channel, buffer } = attachedChannel(uniformChannelSpec(16, 8));
    new DataView(buffer).setUint32(128 + SQ.maxSlots, 1000, true);
    const outcome = channel.queue(0).insert(new Uint8Array(16));
    expect(typeof outcome === 'object' && outcome.code).toBe('slots-outside-channel');
  });

  test('a peer that shrinks signal_size below the message, or grows it past the receive buffer, gets a typed error', () => {
    const { channel, buffer } = attachedChannel({ ...uniformChannelSpec(16, 8), sizeBytes: 1024 }); // room to grow
    const data = new DataView(buffer);
    data.setUint32(128 + SQ.signalSize, 8, true);
    const shrunk = channel.queue(0).insert(new Uint8Array(16));
    expect(typeof shrunk === 'object' && shrunk.code).toBe('bad-signal-size');
    data.setUint32(128 + SQ.signalSize, 32, true);
    const grown = channel.queue(0).remove(new Uint8Array(16));
    expect(typeof grown === 'object' && grown.field).toBe('signal_size');
  });

  test('arbitrary header bytes give a typed error or a valid channel; queue operations never throw or write past size', () => {
    fc.assert(fc.property(hostileChannel, hostileOps, checkHostile), { numRuns: 400 });
  });
});

const MEMORY_BYTES = 4096;

// Two kinds of hostile channel: arbitrary bytes (with a correct signature half the time), and a
// valid channel of random geometry with a few 32-bit words of its headers overwritten, so the
// fuzzer reaches queue validation and queue operations, not only the first check.
const arbitraryBytes = fc.record({
  kind: fc.constant('arbitrary' as const),
  bytes: fc.uint8Array({ minLength: MEMORY_BYTES, maxLength: MEMORY_BYTES }),
  signature: fc.boolean(),
});
const corruptedValid = fc.record({
  kind: fc.constant('corrupted' as const),
  signalSizeBytes: fc.integer({ min: 1, max: 64 }),
  slotCount: fc.integer({ min: 2, max: 16 }),
  writes: fc.array(
    fc.record({ word: fc.nat((128 + 2 * 128) / 4 - 1), value: fc.oneof(fc.nat(64), fc.nat()) }),
    {
      maxLength: 3,
    },
  ),
});
const hostileChannel = fc.oneof(arbitraryBytes, corruptedValid);

// Operations, interleaved with a peer scribbling on a queue header field.
const hostileOps = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('insert' as const), queue: fc.nat(1), length: fc.nat(300) }),
    fc.record({ op: fc.constant('remove' as const), queue: fc.nat(1) }),
    fc.record({ op: fc.constant('scribble' as const), at: fc.nat(2 * 128 - 4), value: fc.nat() }),
  ),
  { maxLength: 40 },
);

type Hostile = typeof hostileChannel extends fc.Arbitrary<infer T> ? T : never;
type Ops = typeof hostileOps extends fc.Arbitrary<infer T> ? T : never;

function buildHostile(h: Hostile): SharedArrayBuffer {
  if (h.kind === 'arbitrary') {
    const buffer = new SharedArrayBuffer(MEMORY_BYTES);
    new Uint8Array(buffer).set(h.bytes);
    new Uint8Array(buffer).set(guidToBytes(TEST_CHANNEL_GUID), CH.chtype);
    if (h.signature) new DataView(buffer).setBigUint64(CH.signature, 0x4c4e4345n, true);
    return buffer;
  }
  // The channel is smaller than the memory, so the bytes after `size` are a canary.
  const { buffer } = attachedChannel(
    uniformChannelSpec(h.signalSizeBytes, h.slotCount, 2),
    MEMORY_BYTES,
  );
  new Uint8Array(buffer).fill(
    0x5a,
    uniformChannelSpec(h.signalSizeBytes, h.slotCount, 2).sizeBytes,
  );
  for (const w of h.writes) new DataView(buffer).setUint32(w.word * 4, w.value, true);
  return buffer;
}

function checkHostile(h: Hostile, ops: Ops): void {
  const buffer = buildHostile(h);
  const result = Channel.attach(buffer, { guid: TEST_CHANNEL_GUID, queueCount: 2 });
  if (!result.ok) {
    expect(result.error.message.length).toBeGreaterThan(0);
    expect(result.error.field.length).toBeGreaterThan(0);
    return;
  }
  const channel = result.value;
  const size = channel.sizeBytes;
  const outside = new Uint8Array(buffer).slice(size);
  const d = new DataView(buffer);
  const cso = Number(d.getBigUint64(CH.chSpaceOffset, true));
  for (const op of ops) {
    if (op.op === 'scribble') {
      const at = cso + op.at;
      if (at + 4 <= size) d.setUint32(at, op.value, true); // the peer writes only inside the channel
      continue;
    }
    const queue = channel.queue(op.queue);
    const outcome =
      op.op === 'insert'
        ? queue.insert(new Uint8Array(Math.min(op.length, queue.signalSizeBytes)).fill(0xab))
        : queue.remove(new Uint8Array(Math.max(queue.signalSizeBytes, 1)));
    expect(
      ['inserted', 'overflow', 'removed', 'empty'].includes(outcome as string) ||
        typeof outcome === 'object',
    ).toBe(true);
  }
  expect(new Uint8Array(buffer).slice(size)).toEqual(outside);
}
