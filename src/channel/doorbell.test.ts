import { describe, expect, test } from 'vitest';
import { Doorbell, LOSS_SCALE } from './doorbell.js';

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

  test('an armed loss takes exactly `count` rings of its side until its end, and no other side', () => {
    const bell = Doorbell.allocate();
    const never = () => {
      throw new Error('a certain loss draws nothing');
    };
    bell.injectLoss('client', { count: 2, millionths: LOSS_SCALE, untilMs: 100 });
    expect(bell.takeLoss('server', 0, never)).toBe(false);
    expect([0, 1, 2].map((t) => bell.takeLoss('client', t, never))).toEqual([true, true, false]);
    bell.injectLoss('client', { count: -1, millionths: LOSS_SCALE, untilMs: 100 });
    expect(bell.takeLoss('client', 99, never)).toBe(true);
    expect(bell.takeLoss('client', 100, never), 'the loss has healed').toBe(false);
  });

  test('a loss below certainty asks the draw with its chance, and only a drawn ring is taken from the count', () => {
    const bell = Doorbell.allocate();
    bell.injectLoss('server', { count: 1, millionths: 250_000, untilMs: 100 });
    const asked: number[] = [];
    const refuse = (m: number) => {
      asked.push(m);
      return false;
    };
    expect(bell.takeLoss('server', 0, refuse)).toBe(false);
    expect(bell.takeLoss('server', 0, () => true)).toBe(true);
    expect(bell.takeLoss('server', 0, () => true)).toBe(false);
    expect(asked).toEqual([250_000]);
  });

  test('a drain hold lasts until its end, on its side only', () => {
    const bell = Doorbell.allocate();
    bell.holdDrain('server', 50);
    expect([bell.drainHeld('server', 49), bell.drainHeld('server', 50)]).toEqual([true, false]);
    expect(bell.drainHeld('client', 0)).toBe(false);
  });
});
