// iosp machine: boot initialises the channels before serving; the poll cadence and doorbells.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { IDLE_POLL_JIFFIES, iospMachine, type IospEvent } from './iosp.machine.js';

function start() {
  const clock = new SimulatedClock();
  const actor = createActor(iospMachine, { input: { partition: 'iosp0', jiffyMs: 4 }, clock });
  const effects: string[] = [];
  actor.on('*', (e) => effects.push(e.type));
  actor.start();
  return { actor, clock, effects };
}

describe('iosp machine', () => {
  test('boot asks for the channels to be initialised and serves only once they are ready', () => {
    const h = start();
    expect(h.effects).toEqual(['iosp.initChannels']);
    h.clock.increment(40);
    expect(h.effects).toEqual(['iosp.initChannels']);
    h.actor.send({ type: 'CHANNELS_READY' });
    h.clock.increment(4);
    expect(h.effects).toEqual(['iosp.initChannels', 'iosp.poll']);
  });

  test('polls every jiffy; a doorbell polls at once; a ring during a poll polls again right after it', () => {
    const h = start();
    h.actor.send({ type: 'CHANNELS_READY' });
    h.clock.increment(4);
    h.actor.send({ type: 'POLL_DONE', commands: 2, backlog: 0 });
    h.actor.send({ type: 'DOORBELL' });
    expect(h.effects.filter((e) => e === 'iosp.poll')).toHaveLength(2);
    h.actor.send({ type: 'DOORBELL' }); // during the poll
    h.actor.send({ type: 'POLL_DONE', commands: 1, backlog: 0 });
    expect(h.effects.filter((e) => e === 'iosp.poll')).toHaveLength(3);
    expect(h.actor.getSnapshot().context).toMatchObject({
      polls: 2,
      commands: 3,
      doorbellPending: false,
    });
  });

  test('busy (commands taken or a backlog left) it polls after one jiffy; idle after IDLE_POLL_JIFFIES; a backlog polls at once', () => {
    const h = start();
    const polls = () => h.effects.filter((e) => e === 'iosp.poll').length;
    h.actor.send({ type: 'CHANNELS_READY' });
    h.clock.increment(4);
    h.actor.send({ type: 'POLL_DONE', commands: 0, backlog: 1 });
    h.clock.increment(4);
    expect(polls(), 'a backlog keeps the jiffy cadence').toBe(2);
    h.actor.send({ type: 'POLL_DONE', commands: 0, backlog: 0 });
    h.clock.increment(4 * (IDLE_POLL_JIFFIES - 1));
    expect(polls(), 'idle: no poll before 100 jiffies').toBe(2);
    h.clock.increment(4);
    expect(polls()).toBe(3);
    h.actor.send({ type: 'POLL_DONE', commands: 0, backlog: 0 });
    h.actor.send({ type: 'BACKLOG' });
    expect(polls(), 'a response in the outbox starts a poll at once').toBe(4);
  });

  test('graph: every state is reachable', () => {
    const events: IospEvent[] = [
      { type: 'CHANNELS_READY' },
      { type: 'POLL_DONE', commands: 0, backlog: 0 },
      { type: 'DOORBELL' },
      { type: 'STOP' },
    ];
    const paths = getShortestPaths(iospMachine, {
      events,
      input: { partition: 'iosp0', jiffyMs: 1 },
      serializeState: (s) => JSON.stringify(s.value),
    });
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    expect(reached).toEqual(
      new Set(['"booting"', '{"serving":"waiting"}', '{"serving":"polling"}', '"stopped"']),
    );
  });
});
