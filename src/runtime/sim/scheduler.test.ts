import { describe, expect, test } from 'vitest';
import { AssertionError } from '../../base/assert.js';
import { Prng } from '../../base/prng.js';
import { SimScheduler } from './scheduler.js';

const fifo = () => new SimScheduler({ prng: Prng.root(0), shuffleTies: false });
const shuffled = (seed: number) => new SimScheduler({ prng: Prng.root(seed) });

// Ten events at the same instant; returns the order in which they ran.
function sameInstantOrder(scheduler: SimScheduler, count = 10): number[] {
  const order: number[] = [];
  for (let i = 0; i < count; i++) scheduler.at(100, `e${i}`, () => order.push(i));
  scheduler.runUntilQuiet(count);
  return order;
}

describe('scheduler', () => {
  test('smoke: a callback scheduled 10 ms ahead runs at virtual time 10', () => {
    const s = fifo();
    const seen: number[] = [];
    s.after(10, 'tick', () => seen.push(s.now()));
    expect(s.runUntilQuiet(10)).toEqual({ events: 1, virtualMs: 10, stoppedBy: 'quiet' });
    expect(seen).toEqual([10]);
  });

  test('time jumps to the next event: a callback at 35 000 ms runs after exactly one step', () => {
    const s = shuffled(1);
    let ran = false;
    s.at(35_000, 'iosp-reboot', () => (ran = true));
    expect(s.nextTimeMs()).toBe(35_000);
    expect(s.step()).toBe(true);
    expect(ran).toBe(true);
    expect(s.now()).toBe(35_000);
    expect(s.step()).toBe(false);
  });

  test('events run in time order whatever order they were scheduled in', () => {
    const s = shuffled(9);
    const order: number[] = [];
    for (const t of [30, 10, 20, 0.25, 10.5]) s.at(t, `t${t}`, () => order.push(s.now()));
    s.runUntilQuiet(100);
    expect(order).toEqual([0.25, 10, 10.5, 20, 30]);
  });

  test('with shuffling off, same-instant events run first in, first out', () => {
    expect(sameInstantOrder(fifo())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('with shuffling on, the same seed gives the same order of same-instant events and another seed another', () => {
    const a = sameInstantOrder(shuffled(1));
    expect(sameInstantOrder(shuffled(1))).toEqual(a);
    expect(sameInstantOrder(shuffled(2))).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('an event for the current instant scheduled inside a callback runs after that callback returns', () => {
    for (const s of [fifo(), shuffled(3), shuffled(4)]) {
      const log: string[] = [];
      s.at(5, 'outer', () => {
        s.at(5, 'inner', () => log.push(`inner@${s.now()}`));
        s.after(0, 'inner0', () => log.push(`inner0@${s.now()}`));
        log.push('outer-end');
      });
      s.runUntilQuiet(10);
      expect(log[0]).toBe('outer-end');
      expect([...log].sort()).toEqual(['inner0@5', 'inner@5', 'outer-end']);
    }
  });

  test('a callback that throws stops the run with `failed`, naming its label; nothing runs after', () => {
    const s = fifo();
    const ran: string[] = [];
    s.at(1, 'fine', () => ran.push('fine'));
    s.at(2, 'iosp0/poll', () => {
      throw new Error('broken poll');
    });
    s.at(3, 'after', () => ran.push('after'));
    expect(s.runUntil(10, 100)).toEqual({ events: 2, virtualMs: 2, stoppedBy: 'failed' });
    expect(s.failure).toMatchObject({ where: 'iosp0/poll', atMs: 2, message: 'broken poll' });
    expect(s.runUntilQuiet(100).stoppedBy).toBe('failed');
    expect(ran).toEqual(['fine']);
    // Only the first bug counts.
    s.fail(new Error('later'), 'elsewhere');
    expect(s.failure?.where).toBe('iosp0/poll');
  });

  test('stepping or running from inside a callback is refused (never re-entrant)', () => {
    const s = fifo();
    s.at(1, 'bad', () => s.step());
    expect(() => s.step()).toThrow(AssertionError);
    s.at(2, 'bad-run', () => s.runUntilQuiet(5));
    expect(() => s.step()).toThrow(AssertionError);
    // The scheduler stays usable after a callback threw.
    let ran = false;
    s.after(1, 'fine', () => (ran = true));
    expect(s.step()).toBe(true);
    expect(ran).toBe(true);
  });

  test('a cancelled callback never runs, and cancelling twice or after it ran is a no-op', () => {
    const s = shuffled(5);
    const log: string[] = [];
    const keep = s.after(10, 'keep', () => log.push('keep'));
    const drop = s.after(5, 'drop', () => log.push('drop'));
    s.cancel(drop);
    s.cancel(drop);
    expect(s.pendingCount()).toBe(1);
    expect(s.nextTimeMs()).toBe(10);
    expect(s.runUntilQuiet(10)).toEqual({ events: 1, virtualMs: 10, stoppedBy: 'quiet' });
    s.cancel(keep);
    expect(log).toEqual(['keep']);
  });

  test('mass cancellation compacts the queue and leaves only live events', () => {
    const s = shuffled(6);
    const handles = Array.from({ length: 1000 }, (_, i) => s.after(i, `poll${i}`, () => {}));
    const log: number[] = [];
    s.after(2000, 'survivor', () => log.push(s.now()));
    for (const h of handles) s.cancel(h);
    expect(s.pendingCount()).toBe(1);
    expect(s.runUntilQuiet(5)).toEqual({ events: 1, virtualMs: 2000, stoppedBy: 'quiet' });
    expect(log).toEqual([2000]);
  });

  test('runUntil runs what is due, stops at the bound and leaves later events pending', () => {
    const s = shuffled(7);
    const log: number[] = [];
    for (const t of [10, 20, 30]) s.at(t, `t${t}`, () => log.push(t));
    expect(s.runUntil(25, 100)).toEqual({ events: 2, virtualMs: 25, stoppedBy: 'time' });
    expect(s.now()).toBe(25);
    expect(log).toEqual([10, 20]);
    expect(s.pendingCount()).toBe(1);
    expect(s.runUntil(30, 100)).toEqual({ events: 1, virtualMs: 5, stoppedBy: 'time' });
    expect(s.runUntil(40, 100)).toEqual({ events: 0, virtualMs: 10, stoppedBy: 'time' });
  });

  test('the event budget stops a self-rescheduling callback and reports event-budget', () => {
    const s = shuffled(8);
    const again = () => void s.after(1, 'runaway', again);
    s.after(0, 'runaway', again);
    const quiet = s.runUntilQuiet(100);
    expect(quiet).toEqual({
      events: 100,
      virtualMs: 99,
      stoppedBy: 'event-budget',
      nextEvent: { timeMs: 100, label: 'runaway' },
    });
    // A zero-delay loop never advances time; the budget still ends it.
    const spin = () => void s.after(0, 'spin', spin);
    s.after(0, 'spin', spin);
    const bounded = s.runUntil(1_000_000, 50);
    expect(bounded.stoppedBy).toBe('event-budget');
    expect(bounded.events).toBe(50);
    expect(s.now()).toBeLessThan(1_000_000);
  });

  test('scheduling in the past, a negative delay or a bad budget is a programmer error', () => {
    const s = fifo();
    s.runUntil(10, 1);
    expect(() => s.at(9, 'late', () => {})).toThrow(AssertionError);
    expect(() => s.after(-1, 'neg', () => {})).toThrow(AssertionError);
    expect(() => s.after(Number.NaN, 'nan', () => {})).toThrow(AssertionError);
    expect(() => s.runUntil(5, 10)).toThrow(AssertionError);
    expect(() => s.runUntilQuiet(-1)).toThrow(AssertionError);
  });

  test('the clock schedules on virtual time and clearTimeout cancels', () => {
    const s = fifo();
    const log: string[] = [];
    s.clock.setTimeout(() => log.push('a'), 50);
    const id: unknown = s.clock.setTimeout(() => log.push('b'), 40);
    s.clock.clearTimeout(id);
    s.runUntilQuiet(10);
    expect(log).toEqual(['a']);
    expect(s.now()).toBe(50);
  });
});
