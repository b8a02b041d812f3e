import { describe, expect, test } from 'vitest';
import { AssertionError } from '../../base/assert.js';
import { Prng } from '../../base/prng.js';
import { Doorbell } from '../../channel/index.js';
import type { TraceRecord } from '../../partition/environment.js';
import { HYPERVISOR_ENVIRONMENT } from './sim-environment.js';
import { SimWorld } from './sim-world.js';

const record = (partition: string, atMs: number, event: string): TraceRecord => ({
  atMs,
  partition,
  actor: `${partition}/host`,
  event,
  state: 'running',
});

describe('sim-world', () => {
  test('smoke: a partition environment schedules on the shared virtual clock and traces', () => {
    const world = new SimWorld({ seed: 1 });
    const env = world.environment('guest1');
    env.schedule(10, 'boot', () => env.trace(record('guest1', env.now(), 'boot')));
    expect(world.scheduler.runUntilQuiet(10).stoppedBy).toBe('quiet');
    expect(env.now()).toBe(10);
    expect(world.trace).toEqual([record('guest1', 10, 'boot')]);
  });

  test('asking twice for a partition gives the same environment; partitions share one clock', () => {
    const world = new SimWorld({ seed: 1 });
    expect(world.environment('cp')).toBe(world.environment('cp'));
    world.scheduler.runUntil(7, 1);
    expect(world.environment('iosp0').now()).toBe(7);
  });

  test('the hypervisor environment has a label no partition can take, and shares the clock', () => {
    const world = new SimWorld({ seed: 1 });
    const hv = world.hypervisorEnvironment();
    expect(hv.partition).toBe(HYPERVISOR_ENVIRONMENT);
    expect(world.hypervisorEnvironment()).toBe(hv);
    expect(() => world.environment(HYPERVISOR_ENVIRONMENT)).toThrow(AssertionError);
    let firedAt = -1;
    hv.clock.setTimeout(() => (firedAt = world.environment('guest1').now()), 5);
    world.scheduler.runUntilQuiet(10);
    expect(firedAt).toBe(5);
  });

  test('a partition stream is the root stream derived by partition and label, and independent of others', () => {
    const world = new SimWorld({ seed: 42 });
    const draw = (p: Prng) => Array.from({ length: 8 }, () => p.int(0, 1_000_000));
    const expected = draw(Prng.root(42).derive('iosp0/disk'));
    draw(world.environment('guest1').prng('disk'));
    expect(draw(world.environment('iosp0').prng('disk'))).toEqual(expected);
  });

  test('a partition can only trace in its own name, and a bad partition name is refused', () => {
    const world = new SimWorld({ seed: 1 });
    const guest = world.environment('guest1');
    expect(() => guest.trace(record('cp', 0, 'boot'))).toThrow(AssertionError);
    expect(() => world.environment('a/b')).toThrow(AssertionError);
    expect(() => world.environment('#scheduler')).toThrow(AssertionError);
  });

  test('the trace limit bounds the trace', () => {
    const world = new SimWorld({ seed: 1, traceLimit: 2 });
    const env = world.environment('cp');
    env.trace(record('cp', 0, 'a'));
    env.trace(record('cp', 0, 'b'));
    expect(() => env.trace(record('cp', 0, 'c'))).toThrow(AssertionError);
  });

  test('a ring bumps the bell word and wakes listeners of that bell and side at the same instant, after the ringer returns', () => {
    const world = new SimWorld({ seed: 5 });
    const cp = world.environment('cp');
    const guest = world.environment('guest1');
    const bell = Doorbell.allocate();
    const other = Doorbell.allocate();
    const log: string[] = [];
    guest.onRing(bell, 'client', () => log.push(`client@${guest.now()}`));
    guest.onRing(new Doorbell(bell.buffer), 'client', () => log.push(`view@${guest.now()}`));
    guest.onRing(bell, 'server', () => log.push('server'));
    guest.onRing(other, 'client', () => log.push('other'));
    cp.schedule(20, 'send', () => {
      cp.ring(bell, 'client');
      log.push('ringer-done');
    });
    world.scheduler.runUntilQuiet(10);
    expect(bell.seen('client')).toBe(1);
    expect(bell.seen('server')).toBe(0);
    expect(log[0]).toBe('ringer-done');
    expect([...log].sort()).toEqual(['client@20', 'ringer-done', 'view@20']);
  });

  test('rings while a delivery is pending coalesce into it; a ring after the delivery wakes again', () => {
    const world = new SimWorld({ seed: 5 });
    const env = world.environment('guest1');
    const bell = Doorbell.allocate();
    const wakes: number[] = [];
    env.onRing(bell, 'server', () => wakes.push(bell.seen('server')));
    env.ring(bell, 'server');
    env.ring(bell, 'server');
    env.ring(bell, 'server');
    world.scheduler.runUntilQuiet(10);
    expect(wakes, 'one delivery, which sees all three rings in memory').toEqual([3]);
    env.ring(bell, 'server');
    world.scheduler.runUntilQuiet(10);
    expect(wakes).toEqual([3, 4]);
  });

  test('an unregistered listener is not woken, even by a ring already on its way', () => {
    const world = new SimWorld({ seed: 5 });
    const env = world.environment('guest1');
    const bell = Doorbell.allocate();
    let wakes = 0;
    const stop = env.onRing(bell, 'server', () => wakes++);
    env.ring(bell, 'server');
    world.scheduler.runUntilQuiet(10);
    expect(wakes).toBe(1);
    env.ring(bell, 'server');
    stop();
    stop();
    world.scheduler.runUntilQuiet(10);
    env.ring(bell, 'server');
    world.scheduler.runUntilQuiet(10);
    expect(wakes).toBe(1);
    expect(bell.seen('server')).toBe(3);
    expect(world.ringListeners.count()).toBe(0);
  });

  test('the environment clock runs timers on virtual time', () => {
    const world = new SimWorld({ seed: 2 });
    const env = world.environment('guest1');
    let firedAt = -1;
    env.clock.setTimeout(() => (firedAt = env.now()), 250);
    world.scheduler.runUntilQuiet(10);
    expect(firedAt).toBe(250);
  });
});
