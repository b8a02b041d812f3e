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
});
