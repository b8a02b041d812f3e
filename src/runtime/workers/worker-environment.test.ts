import { describe, expect, test } from 'vitest';
import { Prng } from '../../base/prng.js';
import { Doorbell, LOSS_SCALE } from '../../channel/doorbell.js';
import type { TraceRecord } from '../../partition/environment.js';
import { WorkerEnvironment } from './worker-environment.js';

function environment(sink: TraceRecord[] = []) {
  return new WorkerEnvironment(
    'guest1',
    Prng.root(9),
    performance.timeOrigin + performance.now(),
    (r) => sink.push(r),
  );
}

describe('worker environment', () => {
  test('smoke: a scheduled callback runs, a cancelled one does not', async () => {
    const env = environment();
    const ran: string[] = [];
    env.schedule(1, 'a', () => ran.push('a'));
    env.cancel(env.schedule(1, 'b', () => ran.push('b')));
    await new Promise<void>((resolve) => env.schedule(5, 'end', resolve));
    expect(ran).toEqual(['a']);
  });

  test('a ring on the listened side calls the listener; after unsubscribing, rings do not', async () => {
    const env = environment();
    const bell = Doorbell.allocate();
    let calls = 0;
    const woken = new Promise<void>((resolve) => {
      const stop = env.onRing(bell, 'client', () => {
        calls++;
        stop();
        resolve();
      });
    });
    env.ring(bell, 'server'); // the other side: no call
    env.ring(bell, 'client');
    await woken;
    env.ring(bell, 'client');
    await new Promise<void>((resolve) => env.schedule(10, 'settle', resolve));
    expect(calls).toBe(1);
  });

  test('random streams are the root seed derived by partition and label, as in the sim runtime', () => {
    const env = environment();
    const expected = Prng.root(9).derive('guest1/disk');
    const stream = env.prng('disk'); // a component takes its stream once and keeps it
    expect(Array.from({ length: 5 }, () => stream.int(0, 1e9))).toEqual(
      Array.from({ length: 5 }, () => expected.int(0, 1e9)),
    );
  });

  test('time starts near zero at the epoch and trace records reach the sink', () => {
    const sink: TraceRecord[] = [];
    const env = environment(sink);
    expect(env.now()).toBeGreaterThanOrEqual(0);
    env.trace({
      atMs: env.now(),
      partition: 'guest1',
      actor: 'guest1/visorchipset',
      event: 'boot',
      state: 'running',
    });
    expect(sink).toHaveLength(1);
  });

  test('a timer callback that throws is a bug recorded once, with its label, not an uncaught error', async () => {
    const env = environment();
    expect(env.failure()).toBeNull();
    env.schedule(1, 'poll', () => {
      throw new Error('broken poll');
    });
    env.schedule(2, 'later', () => {
      throw new Error('second');
    });
    await new Promise<void>((resolve) => env.schedule(10, 'end', resolve));
    expect(env.failure()).toMatchObject({ where: 'guest1/poll', message: 'broken poll' });
  });

  test('a ring an armed doorbell-lost takes leaves the bell word alone and is traced as doorbell.lost', () => {
    const trace: TraceRecord[] = [];
    const env = environment(trace);
    const bell = Doorbell.allocate();
    bell.injectLoss('client', { count: 1, millionths: LOSS_SCALE, untilMs: 0x7fff_ffff });
    env.ring(bell, 'client');
    expect(bell.seen('client')).toBe(0);
    expect(trace.map((r) => [r.actor, r.event, r.state])).toEqual([
      ['guest1/doorbell', 'doorbell.lost', 'client'],
    ]);
    env.ring(bell, 'client');
    expect(bell.seen('client'), 'the count is spent: the next ring rings').toBe(1);
  });
});
