import { describe, expect, test } from 'vitest';
import { cancel, createActor, raise, sendTo, setup } from 'xstate';
import { Prng } from '../../base/prng.js';
import { SimScheduler } from './scheduler.js';

const POLL_INTERVAL_MS = 35_000;

// A poller as the house style writes machines: named delay, names only in the config.
const pollerMachine = setup({
  types: { events: {} as { type: 'STOP' } },
  delays: { pollInterval: POLL_INTERVAL_MS },
}).createMachine({
  id: 'poller',
  initial: 'waiting',
  states: {
    waiting: { after: { pollInterval: 'polling' }, on: { STOP: 'stopped' } },
    polling: { type: 'final' },
    stopped: { type: 'final' },
  },
});

// A watchdog arms a delayed raise and a delayed sendTo, both with explicit ids, and can
// disarm them: a child sink records the PING it receives.
const sinkMachine = setup({
  types: { events: {} as { type: 'PING' } },
}).createMachine({
  id: 'sink',
  initial: 'idle',
  states: { idle: { on: { PING: 'pinged' } }, pinged: {} },
});

const watchdogMachine = setup({
  types: { events: {} as { type: 'EXPIRE' } | { type: 'DISARM' } },
  actors: { sink: sinkMachine },
  delays: { pollInterval: POLL_INTERVAL_MS },
  actions: {
    armExpiry: raise({ type: 'EXPIRE' }, { delay: 'pollInterval', id: 'expiryTimer' }),
    armPing: sendTo('sink', { type: 'PING' }, { delay: 'pollInterval', id: 'pingTimer' }),
    disarmExpiry: cancel('expiryTimer'),
    disarmPing: cancel('pingTimer'),
  },
}).createMachine({
  id: 'watchdog',
  invoke: { id: 'sink', src: 'sink', systemId: 'guest1/sink' },
  initial: 'armed',
  states: {
    armed: {
      entry: ['armExpiry', 'armPing'],
      on: {
        EXPIRE: 'expired',
        DISARM: { target: 'disarmed', actions: ['disarmExpiry', 'disarmPing'] },
      },
    },
    expired: {},
    disarmed: {},
  },
});

function scheduler(): SimScheduler {
  return new SimScheduler({ prng: Prng.root(11) });
}

function startWatchdog(s: SimScheduler) {
  return createActor(watchdogMachine, { clock: s.clock, systemId: 'guest1/watchdog' }).start();
}

describe('xstate on the sim clock', () => {
  test('smoke: an actor on scheduler.clock starts and schedules its after timer on virtual time', () => {
    const s = scheduler();
    const actor = createActor(pollerMachine, { clock: s.clock, systemId: 'guest1/poller' }).start();
    expect(actor.getSnapshot().value).toBe('waiting');
    expect(s.pendingCount()).toBe(1);
    expect(s.nextTimeMs()).toBe(POLL_INTERVAL_MS);
  });

  test('a named-delay after transition fires only once virtual time passes the delay', () => {
    const s = scheduler();
    const systemId = 'guest1/poller';
    const actor = createActor(pollerMachine, { clock: s.clock, systemId });
    // Traced with our own id and virtual time, never sessionId.
    const log: string[] = [];
    actor.subscribe((snap) => log.push(`${s.now()} ${systemId} ${JSON.stringify(snap.value)}`));
    actor.start();
    expect(s.runUntil(POLL_INTERVAL_MS - 1, 100).events).toBe(0);
    expect(actor.getSnapshot().value).toBe('waiting');
    expect(s.runUntil(POLL_INTERVAL_MS, 100).events).toBe(1);
    expect(actor.getSnapshot().value).toBe('polling');
    expect(log).toEqual([
      '0 guest1/poller "waiting"',
      `${POLL_INTERVAL_MS} guest1/poller "polling"`,
    ]);
  });

  test('leaving the state cancels its after timer on the sim clock', () => {
    const s = scheduler();
    const actor = createActor(pollerMachine, { clock: s.clock, systemId: 'guest1/poller' }).start();
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(s.pendingCount()).toBe(0);
    expect(s.runUntilQuiet(10)).toEqual({ events: 0, virtualMs: 0, stoppedBy: 'quiet' });
  });

  test('a delayed raise and a delayed sendTo with explicit ids deliver when their delay passes', () => {
    const s = scheduler();
    const actor = startWatchdog(s);
    const sink = actor.system.get('guest1/sink');
    expect(s.runUntil(POLL_INTERVAL_MS, 100).events).toBe(2);
    expect(actor.getSnapshot().value).toBe('expired');
    expect(sink?.getSnapshot().value).toBe('pinged');
  });

  test('a delayed raise and a delayed sendTo with explicit ids are cancelled by cancel(id)', () => {
    const s = scheduler();
    const actor = startWatchdog(s);
    const sink = actor.system.get('guest1/sink');
    expect(s.pendingCount()).toBe(2);
    s.runUntil(POLL_INTERVAL_MS / 2, 100);
    actor.send({ type: 'DISARM' });
    expect(s.pendingCount()).toBe(0);
    expect(s.runUntil(POLL_INTERVAL_MS * 2, 100)).toEqual({
      events: 0,
      virtualMs: POLL_INTERVAL_MS * 1.5,
      stoppedBy: 'time',
    });
    expect(actor.getSnapshot().value).toBe('disarmed');
    expect(sink?.getSnapshot().value).toBe('idle');
  });
});
