// visorchipset's poll cadence (spar-protocol.md §2.5): one jiffy after commands, slow when idle,
// and the doorbell that ends a slow wait.

import { describe, expect, test } from 'vitest';
import type { ControlvmCommand } from '../src/protocol/controlvm-command.js';
import { CONTROLVM_ID as ID } from '../src/protocol/controlvm.js';
import { cmd, JIFFY_MS, start } from './visorchipset.harness.js';

describe('visorchipset machine', () => {
  test('polls come 1 jiffy after commands; an empty poll waits until idle passes 10 s (the elided jiffy polls), then every 100 jiffies, and 1 again after a command', () => {
    const h = start();
    const polls: number[] = [];
    let batch: ControlvmCommand[] = [];
    h.actor.on('controlvm.poll', () => {
      polls.push(h.clock.now());
      const commands = batch.splice(0);
      for (const command of commands) h.actor.send({ type: 'CONTROLVM_COMMAND', command });
      h.actor.send({ type: 'POLL_DONE', commands: commands.length });
    });
    const gaps = () => polls.slice(1).map((t, i) => t - (polls[i] ?? 0));
    const run = (ms: number) => {
      for (let i = 0; i < ms / JIFFY_MS; i++) h.clock.increment(JIFFY_MS);
    };
    run(10_004); // first poll one jiffy after start; the next when idle first exceeds 10 000 ms
    expect(polls).toEqual([JIFFY_MS, 10_004]);
    expect(
      h.actor.getSnapshot().context.idleMs,
      'idle time accrues as if every jiffy was polled',
    ).toBe(10_004);
    run(400);
    expect(polls.at(-1)).toBe(10_404);
    expect(h.actor.getSnapshot().context.pollIntervalJiffies).toBe(100);
    batch = [cmd(ID.CONTROLVM_CHIPSET_READY)];
    run(400 + 2 * JIFFY_MS); // the command arrives in the poll at 10 804; idle restarts from 0
    expect(gaps().slice(-3)).toEqual([400, 400, JIFFY_MS]);
    expect(h.responses()).toHaveLength(1);
    run(10_000); // the empty poll at 10 808 waits until idle passes 10 s again
    expect(polls.slice(-2)).toEqual([10_808, 10_808 + 10_000]);
    expect(h.actor.getSnapshot().context.pollIntervalJiffies).toBe(100);
  });

  test('a doorbell ends a slow wait at once, and a ring during a poll starts the next poll right after it', () => {
    const h = start();
    const polls: number[] = [];
    let ringDuringPoll = false;
    h.actor.on('controlvm.poll', () => {
      polls.push(h.clock.now());
      if (ringDuringPoll) {
        ringDuringPoll = false;
        h.actor.send({ type: 'DOORBELL' });
      }
      h.actor.send({ type: 'POLL_DONE', commands: 0 });
    });
    for (let i = 0; i < 10_404 / JIFFY_MS; i++) h.clock.increment(JIFFY_MS);
    expect(h.actor.getSnapshot().context.pollIntervalJiffies).toBe(100); // slow now
    const before = polls.length;
    h.clock.increment(JIFFY_MS);
    h.actor.send({ type: 'DOORBELL' });
    expect(polls.length, 'woken without waiting 100 jiffies').toBe(before + 1);
    expect(polls.at(-1)).toBe(10_408);
    ringDuringPoll = true;
    h.actor.send({ type: 'DOORBELL' });
    expect(
      polls.slice(-2),
      'the ring inside the poll gave one more poll at the same instant',
    ).toEqual([10_408, 10_408]);
    expect(h.actor.getSnapshot().context.doorbellPending).toBe(false);
    expect(h.actor.getSnapshot().context.idleMs, 'early polls do not count as idle time').toBe(
      10_404,
    );
  });
});
