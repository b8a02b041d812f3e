// iosp machine: boot initialises the channels before serving; the poll cadence and doorbells.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { iospMachine, type IospEvent } from './iosp.machine.js';

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
    h.actor.send({ type: 'POLL_DONE', commands: 2 });
    h.actor.send({ type: 'DOORBELL' });
    expect(h.effects.filter((e) => e === 'iosp.poll')).toHaveLength(2);
    h.actor.send({ type: 'DOORBELL' }); // during the poll
    h.actor.send({ type: 'POLL_DONE', commands: 1 });
    expect(h.effects.filter((e) => e === 'iosp.poll')).toHaveLength(3);
    expect(h.actor.getSnapshot().context).toMatchObject({ polls: 2, commands: 3, doorbellPending: false });
  });

  test('graph: every state is reachable', () => {
    const events: IospEvent[] = [{ type: 'CHANNELS_READY' }, { type: 'POLL_DONE', commands: 0 }, { type: 'DOORBELL' }, { type: 'STOP' }];
    const paths = getShortestPaths(iospMachine, { events, input: { partition: 'iosp0', jiffyMs: 1 }, serializeState: (s) => JSON.stringify(s.value) });
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    expect(reached).toEqual(new Set(['"booting"', '{"serving":"waiting"}', '{"serving":"polling"}', '"stopped"']));
  });
});
