// The command partition's restart rules (command-partition.reconcile.ts; spar-protocol.md §2.3,
// §2.6): a CP that booted again numbers its handles by incarnation, ignores replies to older
// incarnations, and takes ALREADY_DONE / EEXIST to its repeated bring-up as "already there". The
// test plays the guest that the first incarnation already brought up.

import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { allocateChannels, ioGuestConfig } from '../src/hypervisor/index.js';
import {
  CONTROLVM_ID as ID,
  CONTROLVM_RESP_ALREADY_DONE,
  LINUX_ERRNO,
} from '../src/protocol/controlvm.js';
import type { ControlvmRequest } from '../src/protocol/controlvm-request.js';
import { guestPlansFrom } from '../src/partition/guest-plans.js';
import { commandPartitionMachine } from './command-partition.machine.js';
import { firstHandle, incarnationOf } from './command-partition.reconcile.js';
import type { CommandPartitionEmitted } from './command-partition.types.js';

/** A CP of boot `incarnation` bringing up ioGuestConfig's guest1. */
function start(incarnation: number) {
  const config = ioGuestConfig();
  const guests = guestPlansFrom(config, allocateChannels(config));
  const input = { partition: 'cp', guests, ackTimeoutMs: 1000, responseTimeoutMs: 5000 };
  const actor = createActor(commandPartitionMachine, {
    input: { ...input, incarnation },
    clock: new SimulatedClock(),
    systemId: 'cp/command-partition',
  });
  const effects: CommandPartitionEmitted[] = [];
  actor.on('*', (e) => void effects.push(e));
  actor.start();
  const sent = () =>
    effects.flatMap((e) =>
      e.type === 'controlvm.send' ? [e.request] : ([] as ControlvmRequest[]),
    );
  const reply = (messageHandle: string, id: number, status: number) => {
    actor.send({ type: 'CONTROLVM_ACK', guest: 'guest1', messageHandle });
    const failed = status !== 0;
    actor.send({ type: 'CONTROLVM_RESPONSE', guest: 'guest1', messageHandle, id, status, failed });
  };
  /** Answers every command as a guest that already has all of it (the §2.6 answers). */
  const answerAsBroughtUp = () => {
    for (let played = 0; played < sent().length; played++) {
      const { id, messageHandle } = sent()[played] as ControlvmRequest;
      const status =
        id === ID.CONTROLVM_CHIPSET_INIT
          ? CONTROLVM_RESP_ALREADY_DONE
          : id === ID.CONTROLVM_BUS_CONFIGURE || id === ID.CONTROLVM_DEVICE_CHANGESTATE
            ? 0
            : LINUX_ERRNO.EEXIST;
      reply(messageHandle, id, status);
    }
  };
  return {
    actor,
    effects,
    sent,
    reply,
    answerAsBroughtUp,
    context: () => actor.getSnapshot().context,
  };
}

describe('command-partition restart rules', () => {
  test('smoke: the first boot numbers handles from 1, the second from 2^32 + 1', () => {
    expect(firstHandle(1)).toBe(1);
    expect(start(1).sent()[0]?.messageHandle).toBe('1');
    expect(start(2).sent()[0]?.messageHandle).toBe('4294967297');
    expect(incarnationOf('4294967297')).toBe(2);
    expect(incarnationOf('4294967296')).toBe(1);
    expect(incarnationOf('-1')).toBeNull();
  });

  test('a rebooted CP brings up a guest that answers ALREADY_DONE and EEXIST: ready, no failure', () => {
    const h = start(2);
    h.answerAsBroughtUp();
    expect(h.context().guests['guest1']?.status).toBe('ready');
    expect(h.context().failures).toEqual([]);
    expect(h.actor.getSnapshot().value).toBe('ready');
    // Every command was sent: CHIPSET_INIT, BUS_CREATE, BUS_CONFIGURE, two DEVICE_CREATEs.
    expect(h.sent()).toHaveLength(5);
  });

  test('the same answers fail the guest of a first boot (they mean a guest out of step)', () => {
    const h = start(1);
    h.answerAsBroughtUp();
    expect(h.context().guests['guest1']?.status).toBe('failed');
    expect(h.context().failures[0]).toMatchObject({ status: CONTROLVM_RESP_ALREADY_DONE });
  });

  test('replies to an older incarnation are ignored and counted, never violations', () => {
    const h = start(3);
    h.reply('7', ID.CONTROLVM_DEVICE_CHANGESTATE, 0); // the first boot's handle 7
    h.reply(String(firstHandle(2) + 3), ID.CONTROLVM_DEVICE_CHANGESTATE, 0); // the second's
    expect(h.context()).toMatchObject({ staleReplies: 4, violationCount: 0 });
    const stale = h.effects.filter((e) => e.type === 'cp.staleReply');
    expect(stale.map((e) => e.type === 'cp.staleReply' && e.reply)).toEqual([
      'ack',
      'response',
      'ack',
      'response',
    ]);
    // Its own CHIPSET_INIT is still outstanding and is taken when answered.
    h.answerAsBroughtUp();
    expect(h.context().guests['guest1']?.status).toBe('ready');
  });

  test('a first boot counts a reply to a handle it never sent as a violation', () => {
    const h = start(1);
    h.reply('7', ID.CONTROLVM_DEVICE_CHANGESTATE, 0);
    expect(h.context()).toMatchObject({ staleReplies: 0, violationCount: 2 });
  });

  test('a reply numbered for a later incarnation is a violation, not stale', () => {
    const h = start(2);
    h.reply(String(firstHandle(3)), ID.CONTROLVM_DEVICE_CHANGESTATE, 0);
    expect(h.context()).toMatchObject({ staleReplies: 0, violationCount: 2 });
  });
});
