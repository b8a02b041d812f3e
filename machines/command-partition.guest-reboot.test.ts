// The command partition's side of a guest's reboot (command-partition.guest-reboot.ts): told that
// guest1 booted again, the CP abandons the command its crashed incarnation never answered, takes
// that command's late answers as stale, and brings the guest up again from CHIPSET_INIT.

import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { allocateChannels, ioGuestConfig } from '../src/hypervisor/index.js';
import { CONTROLVM_ID as ID, LINUX_ERRNO } from '../src/protocol/controlvm.js';
import type { ControlvmRequest } from '../src/protocol/controlvm-request.js';
import { guestPlansFrom } from '../src/partition/guest-plans.js';
import { commandPartitionMachine } from './command-partition.machine.js';
import type { CommandPartitionEmitted } from './command-partition.types.js';

function start() {
  const config = ioGuestConfig();
  const guests = guestPlansFrom(config, allocateChannels(config));
  const input = { partition: 'cp', guests, ackTimeoutMs: 1000, responseTimeoutMs: 5000 };
  const clock = new SimulatedClock();
  const actor = createActor(commandPartitionMachine, { input, clock, systemId: 'cp/cp' });
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
  const plan = guests.find((g) => g.name === 'guest1');
  if (plan === undefined) throw new Error('ioGuestConfig has guest1');
  return { actor, effects, sent, reply, clock, plan };
}

describe('command-partition: a guest that booted again', () => {
  test('is brought up again: the unanswered command ends guest-rebooted, its late answers are stale, and the fresh bring-up reaches ready', () => {
    const { actor, effects, sent, reply, clock, plan } = start();
    const chipsetInit = sent()[0] as ControlvmRequest;
    reply(chipsetInit.messageHandle, ID.CONTROLVM_CHIPSET_INIT, 0);
    const busCreate = sent()[1] as ControlvmRequest;
    expect(busCreate.id).toBe(ID.CONTROLVM_BUS_CREATE);
    // The guest crashes with BUS_CREATE unanswered, and boots again.
    actor.send({ type: 'GUEST_REBOOTED', plan });
    const abandoned = effects.find(
      (e) => e.type === 'cp.outcome' && e.messageHandle === busCreate.messageHandle,
    );
    expect(abandoned).toMatchObject({ cause: 'guest-rebooted', status: null, failed: true });
    expect(effects).toContainEqual({ type: 'cp.guestRebooted', guest: 'guest1', boot: 2 });
    // The fresh guest found the old BUS_CREATE in queue 2 and answers it: stale, not a violation.
    reply(busCreate.messageHandle, ID.CONTROLVM_BUS_CREATE, 0);
    expect(effects.filter((e) => e.type === 'cp.staleReply')).toHaveLength(2);
    // The bring-up starts over; the bus that old BUS_CREATE made answers EEXIST: already there.
    for (let i = 2; i < sent().length || actor.getSnapshot().value === 'bringingUp'; i++) {
      const request = sent()[i];
      if (request === undefined) break;
      const exists = i === 3 && request.id === ID.CONTROLVM_BUS_CREATE;
      reply(request.messageHandle, request.id, exists ? LINUX_ERRNO.EEXIST : 0);
    }
    expect(sent()[2]?.id).toBe(ID.CONTROLVM_CHIPSET_INIT);
    expect(actor.getSnapshot().value).toBe('ready');
    // No timer of the abandoned command fails the guest later.
    clock.increment(10_000);
    expect(effects.some((e) => e.type === 'cp.guestFailed')).toBe(false);
    const context = actor.getSnapshot().context;
    expect(context.violationCount).toBe(0);
    expect(context.failures).toEqual([]);
    expect(context.guests['guest1']).toMatchObject({ status: 'ready', boot: 2 });
  });

  test('a device recovery last paused is paused again right after the rebooted guest is re-created; one last resumed is not', () => {
    const { actor, sent, reply, plan } = start();
    const answerAll = () => {
      for (let i = 0; i < 40; i++) {
        const pending = actor.getSnapshot().context.guests['guest1']?.outstanding ?? null;
        const request = sent().find((r) => r.messageHandle === pending);
        if (request === undefined) return;
        reply(request.messageHandle, request.id, 0);
      }
    };
    answerAll();
    const [paused, resumed] = plan.devices;
    if (paused === undefined) throw new Error('ioGuestConfig has a device');
    const device = (d: typeof paused, state: number) =>
      actor.send({ type: 'CHANGE_DEVICE_STATE', guest: 'guest1', ...d, state });
    device(paused, 0x73);
    if (resumed !== undefined) {
      device(resumed, 0x73);
      device(resumed, 0xf7);
    }
    answerAll();
    const before = sent().length;
    actor.send({ type: 'GUEST_REBOOTED', plan });
    answerAll();
    const after = sent().slice(before);
    const changes = after.filter((r) => r.id === ID.CONTROLVM_DEVICE_CHANGESTATE);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.packet).toMatchObject({ busNo: paused.busNo, devNo: paused.devNo });
    expect(after.at(-1)?.id).toBe(ID.CONTROLVM_DEVICE_CHANGESTATE);
    expect(actor.getSnapshot().value).toBe('ready');
  });

  test('a guest the CP had given up is brought up again after its reboot', () => {
    const { actor, effects, sent, reply, plan } = start();
    const first = sent()[0] as ControlvmRequest;
    reply(first.messageHandle, ID.CONTROLVM_CHIPSET_INIT, 22);
    expect(effects.some((e) => e.type === 'cp.guestFailed')).toBe(true);
    actor.send({ type: 'GUEST_REBOOTED', plan });
    expect(actor.getSnapshot().context.guests['guest1']?.status).toBe('initializing');
    expect(sent()[1]?.id).toBe(ID.CONTROLVM_CHIPSET_INIT);
  });

  test('a reboot notice for a guest outside the plan changes nothing', () => {
    const { actor, plan } = start();
    const before = actor.getSnapshot().context;
    actor.send({ type: 'GUEST_REBOOTED', plan: { ...plan, name: 'stranger' } });
    expect(actor.getSnapshot().context).toBe(before);
  });
});
