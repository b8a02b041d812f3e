// command-partition machine (spar-protocol.md §2.1–2.4, §2.6, §2.7, §3.1). The test plays the
// partition host and the guests: it answers `controlvm.send` effects with CONTROLVM_ACK and
// CONTROLVM_RESPONSE events, on xstate's SimulatedClock.

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { allocateChannels, ioGuestConfig, type Config } from '../src/hypervisor/index.js';
import { CONTROLVM_ID as ID } from '../src/protocol/controlvm.js';
import type { ControlvmRequest } from '../src/protocol/controlvm-request.js';
import { guestPlansFrom, nameGuid } from '../src/partition/guest-plans.js';
import type { GuestPlan } from './command-partition.logic.js';
import { commandPartitionMachine } from './command-partition.machine.js';
import type {
  CommandOutcome,
  CommandPartitionEmitted,
  CommandPartitionEvent,
} from './command-partition.types.js';

const ACK_MS = 1000;
const RESPONSE_MS = 5000;
const { CONTROLVM_CHIPSET_INIT: INIT, CONTROLVM_BUS_CREATE: BUS_CREATE } = ID;
const { CONTROLVM_BUS_CONFIGURE: BUS_CONFIGURE, CONTROLVM_DEVICE_CREATE: DEV_CREATE } = ID;
const { CONTROLVM_DEVICE_CHANGESTATE: CHANGESTATE, CONTROLVM_DEVICE_DESTROY: DESTROY } = ID;

/** ioGuestConfig plus `guest2` (index 3) with the console devices on bus 1, served by cp. */
function twoGuestConfig(): Config {
  const base = ioGuestConfig();
  const types = ['video', 'keyboard', 'mouse'] as const;
  const devices = types.map((channelType, devNo) => ({
    busNo: 1,
    devNo,
    channelType,
    server: 'cp',
  }));
  const buses = [{ busNo: 1, deviceCount: 3 }];
  const guest2 = { name: 'guest2', kind: 'guest' as const, index: 3, buses, devices };
  return { ...base, partitions: [...base.partitions, guest2] };
}

const plansOf = (config: Config) => guestPlansFrom(config, allocateChannels(config));

interface Sent {
  readonly guest: string;
  readonly request: ControlvmRequest;
  /** Responses the test had delivered to this guest when the command was sent. */
  readonly answeredBefore: number;
}

/** An actor with the guests' side played by the test. */
function start(guests: readonly GuestPlan[]) {
  const clock = new SimulatedClock();
  const input = { partition: 'cp', guests, ackTimeoutMs: ACK_MS, responseTimeoutMs: RESPONSE_MS };
  const systemId = 'cp/command-partition';
  const actor = createActor(commandPartitionMachine, { input, clock, systemId });
  const effects: CommandPartitionEmitted[] = [];
  const sent: Sent[] = [];
  const answered = new Map<string, number>();
  actor.on('*', (e) => {
    effects.push(e);
    if (e.type === 'controlvm.send')
      sent.push({ ...e, answeredBefore: answered.get(e.guest) ?? 0 });
  });
  actor.start();
  let played = 0;
  const h = {
    clock,
    effects,
    sent,
    send: (event: CommandPartitionEvent) => actor.send(event),
    ack: ({ guest, request }: Sent) =>
      actor.send({ type: 'CONTROLVM_ACK', guest, messageHandle: request.messageHandle }),
    respond({ guest, request: { id, messageHandle } }: Sent, status = 0) {
      answered.set(guest, (answered.get(guest) ?? 0) + 1);
      const failed = status !== 0;
      actor.send({ type: 'CONTROLVM_RESPONSE', guest, messageHandle, id, status, failed });
    },
    /** Answers sends not yet played (up to the `upTo`th), oldest first, with ack + response. */
    playGuests(statusOf: (s: Sent) => number = () => 0, upTo = 1000) {
      for (; played < sent.length && played < upTo; played++) {
        const s = sent[played] as Sent;
        h.ack(s);
        h.respond(s, statusOf(s));
      }
    },
    context: () => actor.getSnapshot().context,
    status: (guest: string) => actor.getSnapshot().context.guests[guest]?.status,
    value: () => actor.getSnapshot().value,
    outcomes: () => effects.filter((e): e is CommandOutcome => e.type === 'cp.outcome'),
    /** Ids of the delayed events still scheduled (the machine's live timers). */
    timers: () => {
      const scheduled = Object.values(actor.system.getSnapshot()._scheduledEvents);
      return scheduled.map((e) => e.id).sort();
    },
  };
  return h;
}

const sentTo = (sent: readonly Sent[], guest: string) => sent.filter((s) => s.guest === guest);
const idsOf = (sent: readonly Sent[], guest: string) =>
  sentTo(sent, guest).map((s) => s.request.id);

/** True when no guest ever had a second command sent before the first one's outcome. */
function sequentialPerGuest(effects: readonly CommandPartitionEmitted[]): boolean {
  const busy = new Set<string>();
  for (const e of effects) {
    if (e.type === 'controlvm.send' && busy.has(e.guest)) return false;
    if (e.type === 'controlvm.send') busy.add(e.guest);
    if (e.type === 'cp.outcome') busy.delete(e.guest);
  }
  return true;
}

describe('command-partition', () => {
  test('smoke: the machine starts by sending CHIPSET_INIT to its guest', () => {
    const h = start(plansOf(ioGuestConfig()));
    expect(h.value()).toBe('bringingUp');
    expect(h.sent.map((s) => [s.guest, s.request.id])).toEqual([['guest1', INIT]]);
    expect(h.status('guest1')).toBe('initializing');
  });

  test('guestPlansFrom gives the channel map addresses and sizes, and stable name-based GUIDs', () => {
    const config = ioGuestConfig();
    const map = allocateChannels(config);
    const [plan] = guestPlansFrom(config, map);
    const placeOf = (id: string) => {
      const ch = map.byId(id);
      return { channelAddr: String(ch?.channelAddr), channelBytes: String(ch?.channelBytes) };
    };
    expect(plan?.partitionIndex).toBe(2);
    expect(plan?.buses).toEqual([
      { busNo: 1, devCount: 2, ...placeOf('guest1/vbus1'), busInstGuid: nameGuid('guest1/vbus1') },
    ]);
    expect(plan?.devices[0]).toMatchObject(placeOf('guest1/vbus1:dev0'));
    expect(plan?.devices[1]).toMatchObject(placeOf('guest1/vbus1:dev1'));
    expect(plan?.devices[0]?.dataTypeGuid).toBe('414815ed-c58c-11da-95a9-00e08161165f'); // vhba
    expect(plan?.devices[1]?.devInstGuid).toBe(nameGuid('guest1/vbus1:dev1'));
    const v5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(nameGuid('guest1/vbus1:dev1')).toMatch(v5);
    expect(guestPlansFrom(config, allocateChannels(config))).toEqual(guestPlansFrom(config, map));
  });

  test('an IO guest gets CHIPSET_INIT, BUS_CREATE, BUS_CONFIGURE, DEVICE_CREATE×2, each after the previous response, and ends ready', () => {
    const [plan] = plansOf(ioGuestConfig());
    const h = start([plan as GuestPlan]);
    h.playGuests();
    expect(h.sent.map((s) => s.request.id)).toEqual([
      INIT,
      BUS_CREATE,
      BUS_CONFIGURE,
      DEV_CREATE,
      DEV_CREATE,
    ]);
    expect(h.sent.map((s) => s.answeredBefore)).toEqual([0, 1, 2, 3, 4]);
    expect(h.sent.map((s) => s.request.messageHandle)).toEqual(['1', '2', '3', '4', '5']);
    expect(h.sent.every((s) => s.request.flags.responseExpected)).toBe(true);
    const [init, , configure, hba] = h.sent.map((s) => s.request.packet);
    expect(init).toMatchObject({ kind: 'init_chipset', features: 0x2 }); // PARA_HOTPLUG
    expect(configure).toMatchObject({ kind: 'configure_bus', busNo: 1, guestHandle: '2' });
    const hbaAddr = plan?.devices[0]?.channelAddr;
    expect(hba).toMatchObject({ kind: 'create_device', busNo: 1, devNo: 0, channelAddr: hbaAddr });
    expect(h.value()).toBe('ready');
    expect(h.status('guest1')).toBe('ready');
    const ready = h.effects.filter((e) => e.type === 'cp.guestReady');
    expect(ready).toEqual([{ type: 'cp.guestReady', guest: 'guest1' }]);
  });

  test('two guests are brought up concurrently, each sequentially, with handles unique and increasing', () => {
    const h = start(plansOf(twoGuestConfig()));
    expect(h.sent.map((s) => s.guest)).toEqual(['guest1', 'guest2']); // before any reply
    expect(h.status('guest2')).toBe('initializing');
    h.playGuests();
    const creates = [DEV_CREATE, DEV_CREATE, DEV_CREATE];
    expect(idsOf(h.sent, 'guest2')).toEqual([INIT, BUS_CREATE, BUS_CONFIGURE, ...creates]);
    expect(sentTo(h.sent, 'guest2').map((s) => s.answeredBefore)).toEqual([0, 1, 2, 3, 4, 5]);
    const handles = h.sent.map((s) => Number(s.request.messageHandle));
    expect(handles).toEqual(Array.from({ length: handles.length }, (_, i) => i + 1));
    expect(h.value()).toBe('ready');
    const done = { type: 'cp.bringUpDone', ready: ['guest1', 'guest2'], failed: [] };
    expect(h.effects.at(-1)).toEqual(done);
  });

  test('a failed BUS_CREATE stops that guest and records the failure while the other guest completes', () => {
    const h = start(plansOf(twoGuestConfig()));
    const isBusCreate2 = (s: Sent) => s.guest === 'guest2' && s.request.id === BUS_CREATE;
    h.playGuests((s) => (isBusCreate2(s) ? 17 : 0)); // EEXIST (§2.6)
    expect(idsOf(h.sent, 'guest2')).toEqual([INIT, BUS_CREATE]);
    const messageHandle = h.sent.find(isBusCreate2)?.request.messageHandle;
    const cause = 'failed-response';
    expect(h.context().failures).toEqual([
      { guest: 'guest2', id: BUS_CREATE, messageHandle, status: 17, cause, phase: 'bringUp' },
    ]);
    expect([h.status('guest1'), h.status('guest2'), h.value()]).toEqual([
      'ready',
      'failed',
      'degraded',
    ]);
    h.send({ type: 'CHANGE_DEVICE_STATE', guest: 'guest2', busNo: 1, devNo: 0, state: 0x73 });
    const rejection = { guest: 'guest2', id: CHANGESTATE, reason: 'guest-failed' };
    expect(h.effects.at(-1)).toMatchObject({ type: 'cp.rejected', rejection });
  });

  test('a response for an unknown handle and a duplicate response are violations and change nothing else', () => {
    const h = start(plansOf(ioGuestConfig()));
    const init = h.sent[0] as Sent;
    h.ack(init);
    h.respond(init);
    const before = h.context();
    const effectCount = h.effects.length;
    const success = {
      type: 'CONTROLVM_RESPONSE',
      guest: 'guest1',
      status: 0,
      failed: false,
    } as const;
    h.respond(init);
    h.send({ ...success, messageHandle: '99', id: BUS_CREATE });
    h.ack(init);
    h.send({ ...success, messageHandle: '2', id: INIT });
    const after = h.context();
    expect(after.violations.map((v) => [v.messageHandle, v.reply, v.kind])).toEqual([
      ['1', 'response', 'duplicate-response'],
      ['99', 'response', 'unknown-handle'],
      ['1', 'ack', 'duplicate-ack'],
      ['2', 'response', 'id-mismatch'], // handle 2 is the BUS_CREATE
    ]);
    expect({ ...after, violations: [], violationCount: 0 }).toEqual(before);
    expect(h.effects.length).toBe(effectCount);
  });

  test('a missing response times out exactly at responseTimeoutMs and stops the guest', () => {
    const h = start(plansOf(ioGuestConfig()));
    h.ack(h.sent[0] as Sent);
    h.clock.increment(RESPONSE_MS - 1);
    expect(h.context().failures).toEqual([]);
    h.clock.increment(1);
    const timeout = { messageHandle: '1', status: null, cause: 'response-timeout' };
    expect(h.context().failures).toMatchObject([{ guest: 'guest1', ...timeout }]);
    expect(h.outcomes()).toMatchObject([{ ...timeout, failed: true }]);
    expect(h.value()).toBe('degraded');
    h.respond(h.sent[0] as Sent); // the late response settles nothing
    expect(h.context().violations).toMatchObject([{ kind: 'late-reply' }]);
    expect(h.outcomes()).toHaveLength(1);
  });

  test('a missing ack times out at ackTimeoutMs; each reply cancels the timer it makes moot', () => {
    const h = start(plansOf(ioGuestConfig()));
    expect(h.timers()).toEqual(['guest1.ackTimeout.1', 'guest1.responseTimeout.1']);
    h.ack(h.sent[0] as Sent);
    expect(h.timers()).toEqual(['guest1.responseTimeout.1']);
    h.clock.increment(ACK_MS);
    h.respond(h.sent[0] as Sent);
    expect(h.timers()).toEqual(['guest1.ackTimeout.2', 'guest1.responseTimeout.2']);
    h.clock.increment(ACK_MS - 1);
    expect(h.context().failures).toEqual([]);
    h.clock.increment(1);
    expect(h.timers()).toEqual([]);
    expect(h.context().failures).toMatchObject([{ messageHandle: '2', cause: 'ack-timeout' }]);
  });

  test('CHANGE_DEVICE_STATE queues behind an outstanding command and reports its outcome', () => {
    const h = start(plansOf(ioGuestConfig()));
    h.send({ type: 'CHANGE_DEVICE_STATE', guest: 'guest1', busNo: 1, devNo: 0, state: 0x73 });
    h.playGuests(undefined, 5); // the bring-up only; the standby waited behind it
    expect(h.value()).toBe('ready');
    expect(h.sent.map((s) => s.request.id).slice(-2)).toEqual([DEV_CREATE, CHANGESTATE]);
    h.send({ type: 'CHANGE_DEVICE_STATE', guest: 'guest1', busNo: 1, devNo: 0, state: 0xf7 });
    h.send({ type: 'DESTROY_DEVICE', guest: 'guest1', busNo: 1, devNo: 1 });
    expect(h.sent).toHaveLength(6); // both wait behind the outstanding standby
    h.playGuests((s) => (s.request.id === DESTROY ? 5 : 0));
    expect(h.sent.slice(5).map((s) => s.request.packet)).toMatchObject([
      { kind: 'device_change_state', state: 0x73 },
      { kind: 'device_change_state', state: 0xf7 },
      { kind: 'destroy_device', devNo: 1 },
    ]);
    expect(
      h
        .outcomes()
        .slice(-3)
        .map((o) => [o.id, o.status, o.failed, o.devNo]),
    ).toEqual([
      [CHANGESTATE, 0, false, 0],
      [CHANGESTATE, 0, false, 0],
      [DESTROY, 5, true, 1],
    ]);
    expect(h.status('guest1')).toBe('ready'); // a failed destroy is an outcome, not a failed guest
  });

  test('under arbitrary replies every command is resolved at most once, and exactly once after the timeouts', () => {
    const plans = plansOf(twoGuestConfig());
    const guest = fc.constantFrom('guest1', 'guest2');
    const copies = fc.integer({ min: 1, max: 2 });
    const kind = <K extends string>(k: K) => fc.constant(k);
    // Replies mostly pick a command still awaiting its outcome, so runs get through bring-up to
    // CHANGE_DEVICE_STATE; otherwise any sent command, which makes a duplicate or late reply.
    const target = { open: fc.constantFrom(true, true, true, false), pick: fc.nat() };
    const status = fc.oneof({ arbitrary: fc.constant(0), weight: 12 }, fc.constantFrom(5, 16, 17));
    const id = fc.constantFrom(INIT, BUS_CREATE);
    const large = fc.integer({ min: 1, max: 2 * ACK_MS }); // rare: it times out what waits
    const ms = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 50 }), weight: 30 }, large);
    const step = fc.oneof(
      fc.record({ kind: kind('ack'), ...target, copies }),
      fc.record({ kind: kind('response'), ...target, copies, status }),
      { arbitrary: fc.record({ kind: kind('reply'), ...target, copies, status }), weight: 4 },
      fc.record({ kind: kind('stray'), handle: fc.nat({ max: 40 }), guest, id }),
      fc.record({ kind: kind('tick'), ms }),
      fc.record({ kind: kind('change'), guest, state: fc.constantFrom(0x73, 0xf7) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 100 }), (steps) => {
        const h = start(plans);
        for (const s of steps) {
          if (s.kind === 'ack' || s.kind === 'response' || s.kind === 'reply') {
            const settled = new Set(h.outcomes().map((o) => o.messageHandle));
            const open = h.sent.filter((x) => !settled.has(x.request.messageHandle));
            const pool = s.open && open.length > 0 ? open : h.sent;
            const target = pool[s.pick % pool.length] as Sent;
            for (let i = 0; i < s.copies; i++) {
              if (s.kind !== 'response') h.ack(target);
              if (s.kind !== 'ack') h.respond(target, s.status);
            }
          }
          if (s.kind === 'stray') {
            // Any handle, any id: mostly unknown handles, sometimes a real one with a wrong id.
            const stray = { guest: s.guest, messageHandle: String(s.handle) };
            h.send({ type: 'CONTROLVM_ACK', ...stray });
            h.send({ type: 'CONTROLVM_RESPONSE', ...stray, id: s.id, status: 0, failed: false });
          }
          if (s.kind === 'tick') h.clock.increment(s.ms);
          const device = { busNo: 1, devNo: 0 };
          if (s.kind === 'change')
            h.send({ type: 'CHANGE_DEVICE_STATE', guest: s.guest, ...device, state: s.state });
        }
        const resolved = (): string[] => h.outcomes().map((o) => o.messageHandle);
        expect(new Set(resolved()).size).toBe(resolved().length);
        expect(sequentialPerGuest(h.effects)).toBe(true);
        for (let i = 0; i < 200 && h.sent.length > resolved().length; i++) {
          h.clock.increment(RESPONSE_MS);
        }
        expect(resolved().sort()).toEqual(h.sent.map((s) => s.request.messageHandle).sort());
      }),
      { numRuns: 200 },
    );
  });

  test('with well-behaved guests answering in any interleaving within the timeouts, every guest reaches ready', () => {
    const plans = plansOf(twoGuestConfig());
    const pick = fc.record({ guest: fc.constantFrom('guest1', 'guest2'), ms: fc.nat({ max: 5 }) });
    // After the arbitrary prefix, a fair round-robin long enough to finish both bring-ups.
    const drain = Array.from({ length: 20 }, (_, i) => ({ guest: `guest${(i % 2) + 1}`, ms: 0 }));
    fc.assert(
      fc.property(fc.array(pick, { maxLength: 40 }), (picks) => {
        const h = start(plans);
        const replied = new Set<string>();
        for (const { guest, ms } of [...picks, ...drain]) {
          h.clock.increment(ms);
          const s = h.sent.find((x) => x.guest === guest && !replied.has(x.request.messageHandle));
          if (s === undefined) continue;
          replied.add(s.request.messageHandle);
          h.ack(s);
          h.respond(s);
        }
        expect(h.value()).toBe('ready');
        expect([h.status('guest1'), h.status('guest2')]).toEqual(['ready', 'ready']);
        expect(h.context().violationCount).toBe(0);
      }),
    );
  });

  test('its config apart from the input-built context is plain JSON (names only, Stately import)', () => {
    const { context, ...rest } = commandPartitionMachine.config;
    expect(typeof context).toBe('function');
    expect(JSON.parse(JSON.stringify(rest))).toEqual(rest);
  });

  test('graph: every state is reachable', () => {
    const plan: GuestPlan = { name: 'g', partitionIndex: 1, buses: [], devices: [] };
    const reply = { guest: 'g', messageHandle: '1', id: INIT };
    const paths = getShortestPaths(commandPartitionMachine, {
      input: { partition: 'cp', guests: [plan], ackTimeoutMs: 1, responseTimeoutMs: 1 },
      events: [
        { type: 'CONTROLVM_ACK', guest: 'g', messageHandle: '1' },
        { type: 'CONTROLVM_RESPONSE', ...reply, status: 0, failed: false },
        { type: 'CONTROLVM_RESPONSE', ...reply, status: 1, failed: true },
      ],
      serializeState: (s) => JSON.stringify(s.value),
    });
    const reached = new Set(paths.map((p) => String(p.state.value)));
    const all = Object.keys(commandPartitionMachine.root.states).sort();
    expect(all).toEqual(['bringingUp', 'degraded', 'ready']);
    expect([...reached].sort()).toEqual(all);
  });
});
