import { describe, expect, test } from 'vitest';
import { Doorbell } from './doorbell.js';

describe('doorbell', () => {
  test('smoke: a ring wakes a waiter on that side', async () => {
    const bell = Doorbell.allocate();
    const waiting = bell.wait('client', bell.seen('client'), 60_000);
    expect(bell.ring('client')).toBe(1);
    await expect(waiting).resolves.toBe('rung');
  });

  test('a ring between reading `seen` and waiting is not lost', async () => {
    const bell = Doorbell.allocate();
    const seen = bell.seen('server');
    bell.ring('server');
    await expect(bell.wait('server', seen, 60_000)).resolves.toBe('rung');
  });

  test('a wait with no ring ends when the poll period passes, and rings on the other side do not wake it', async () => {
    const bell = Doorbell.allocate();
    const waiting = bell.wait('server', bell.seen('server'), 5);
    bell.ring('client');
    await expect(waiting).resolves.toBe('timed-out');
  });

  test('rings coalesce until the waiter acknowledges: only the first of a burst notifies, and no ring is lost', async () => {
    const bell = Doorbell.allocate();
    const seen = bell.seen('server');
    const waiting = bell.wait('server', seen, 60_000); // acknowledges `seen` before it sleeps
    expect([bell.ring('server'), bell.ring('server'), bell.ring('server')]).toEqual([1, 0, 0]);
    await expect(waiting).resolves.toBe('rung');
    const now = bell.seen('server');
    expect(now).toBe(seen + 3); // every ring counted: the waiter reads them all at once
    const again = bell.wait('server', now, 60_000);
    expect(bell.ring('server'), 'after the acknowledgement the next ring wakes again').toBe(1);
    await expect(again).resolves.toBe('rung');
  });

  test('a waiter that starts after unacknowledged rings acknowledges first and is woken by the next ring', async () => {
    const bell = Doorbell.allocate();
    bell.ring('client');
    bell.ring('client'); // nobody listens: the second is coalesced into the first
    const seen = bell.seen('client');
    const waiting = bell.wait('client', seen, 60_000);
    expect(bell.ring('client')).toBe(1);
    await expect(waiting).resolves.toBe('rung');
  });

  test('acknowledgements only move forward, so a slow waiter cannot hide a ring from a waiting one', async () => {
    const bell = Doorbell.allocate();
    for (let i = 0; i < 3; i++) bell.ring('server');
    const waiting = bell.wait('server', 3, 60_000); // a waiter that read 3
    expect(new Int32Array(bell.buffer)[2]).toBe(3);
    bell.acknowledge('server', 1); // a slower waiter's stale count must not win
    expect(bell.ring('server'), 'the waiting one is notified').toBe(1);
    await expect(waiting).resolves.toBe('rung');
    const other = Doorbell.allocate();
    other.acknowledge('server', 2 ** 31 - 1);
    other.acknowledge('server', -(2 ** 31)); // the counter wrapped: still forward
    expect(new Int32Array(other.buffer)[2]).toBe(-(2 ** 31));
  });
});
