// The IOSP's response outbox: answers go to the ring while it has room, then wait in order; a
// guest that stops draining cannot grow the IOSP's memory past OUTBOX_LIMIT.

import { describe, expect, test } from 'vitest';
import { Channel, corruptChannel, createChannel } from '../channel/index.js';
import { OUTBOX_LIMIT, ResponseOutbox } from './response-outbox.js';
import { VNIC_CHANNEL } from '../kinds/vnic/channel.js';

function ring(buffer = createChannel(VNIC_CHANNEL)) {
  const attached = Channel.attachAs(buffer, VNIC_CHANNEL);
  if (!attached.ok) throw new Error(attached.error.message);
  return attached.value.queue(1);
}

describe('response outbox', () => {
  test('responses that do not fit wait in order and reach the ring, in order, as it drains; the backlog hook fires once per backlog', () => {
    const queue = ring();
    const counts = { responses: 0, outboxed: 0, outboxDropped: 0 };
    let backlogs = 0;
    const outbox = new ResponseOutbox(queue, counts, () => void backlogs++);
    const capacity = queue.slotCount - 1;
    for (let i = 0; i < capacity + 3; i++) outbox.answer(new Uint8Array([i & 0xff, i >> 8]));
    expect([counts.responses, counts.outboxed, outbox.length, backlogs]).toEqual([
      capacity,
      3,
      3,
      1,
    ]);
    const slot = new Uint8Array(1216);
    const take = (n: number): number[] => {
      const out: number[] = [];
      while (out.length < n && queue.remove(slot) === 'removed')
        out.push((slot[0] ?? 0) | ((slot[1] ?? 0) << 8));
      return out;
    };
    const first = take(5); // room for the waiting three
    expect(outbox.flush()).toBe(true);
    const all = [...first, ...take(Infinity)];
    expect(all).toEqual(Array.from({ length: capacity + 3 }, (_, k) => k));
    expect(outbox.length).toBe(0);
  });

  test('a guest that never drains: past OUTBOX_LIMIT waiting responses, further ones are dropped and counted, not kept', () => {
    const queue = ring();
    const counts = { responses: 0, outboxed: 0, outboxDropped: 0 };
    const outbox = new ResponseOutbox(queue, counts, () => undefined);
    const total = queue.slotCount - 1 + OUTBOX_LIMIT + 10;
    for (let i = 0; i < total; i++) outbox.answer(new Uint8Array([1]));
    expect(outbox.length).toBe(OUTBOX_LIMIT);
    expect(counts.outboxDropped).toBe(10);
  });

  test('a ring found corrupt: the outbox lets go of what waits (counted dropped), tells onCorrupt with the typed error, and nothing more is inserted', () => {
    const buffer = createChannel(VNIC_CHANNEL);
    const queue = ring(buffer);
    const counts = { responses: 0, outboxed: 0, outboxDropped: 0 };
    const errors: string[] = [];
    const outbox = new ResponseOutbox(
      queue,
      counts,
      () => undefined,
      (e) => errors.push(e.code),
    );
    for (let i = 0; i < queue.slotCount + 1; i++) outbox.answer(new Uint8Array([1])); // 2 wait
    expect(outbox.length).toBe(2);
    expect(corruptChannel(buffer, { form: 'tail', queue: 1 })).toBeNull();
    expect(outbox.flush()).toBe(false);
    expect(outbox.length).toBe(0);
    expect(counts.outboxDropped).toBe(2);
    expect(outbox.answer(new Uint8Array([2]))).toBe(false);
    expect(errors).toEqual(['index-out-of-range', 'index-out-of-range']);
    expect(outbox.length).toBe(0);
  });
});
