// The visorchipset tests' harness (spar-protocol.md §2.5, §2.6): controlvm commands as the host
// decodes them from queue-2 slots, and an actor on a simulated clock around which the test plays
// the partition host (delivers commands in polls) and visorbus (answers `visorbus.request` with
// VISORBUS_DONE, at once or when released).

import { expect } from 'vitest';
import { createActor, SimulatedClock, type SnapshotFrom } from 'xstate';
import type { StructView } from '../src/base/struct.js';
import {
  decodeControlvmCommand,
  type ControlvmCommand,
} from '../src/protocol/controlvm-command.js';
import {
  CONTROLVM_FLAG,
  CONTROLVM_ID as ID,
  encodeControlvmMessage,
} from '../src/protocol/controlvm.js';
import { visorchipsetMachine } from './visorchipset.machine.js';
import type { VisorbusRequest, VisorchipsetEmitted } from './visorchipset.types.js';

/** One jiffy at HZ = 250. */
export const JIFFY_MS = 4;
/** The machine's input: guest1's visorchipset. */
export const INPUT = { partition: 'guest1', jiffyMs: JIFFY_MS };
let nextHandle = 1;

/** The header flags a test command sets (default: response expected, not a test message). */
export interface Options {
  readonly responseExpected?: boolean;
  readonly testMessage?: boolean;
}

/** A command as the host decodes it from a queue-2 slot; every command gets a fresh handle. */
export function cmd(
  id: number,
  fill: (v: StructView) => void = () => {},
  o: Options = {},
): ControlvmCommand {
  const flags =
    (o.responseExpected === false ? 0 : CONTROLVM_FLAG.responseExpected) |
    (o.testMessage === true ? CONTROLVM_FLAG.testMessage : 0);
  const bytes = encodeControlvmMessage({ id, messageHandle: BigInt(nextHandle++), flags }, fill);
  const result = decodeControlvmCommand(bytes);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}
// Every bus packet starts with bus_no, and every device packet with bus_no, dev_no (§2.4).
/** A bus command for `busNo`. */
export const busCmd = (id: number, busNo: number, o?: Options) =>
  cmd(id, (v) => v.set('cmd.create_bus.bus_no', busNo), o);
/** A device command for `busNo`/`devNo`. */
export const devCmd = (id: number, busNo: number, devNo: number, o?: Options) =>
  cmd(
    id,
    (v) => {
      v.set('cmd.create_device.bus_no', busNo);
      v.set('cmd.create_device.dev_no', devNo);
    },
    o,
  );
/** DEVICE_CHANGESTATE of `busNo`/`devNo` to `state` (a para-hotplug one with `physDevice`). */
export const changeState = (
  busNo: number,
  devNo: number,
  state: number,
  physDevice = false,
  o?: Options,
) =>
  cmd(
    ID.CONTROLVM_DEVICE_CHANGESTATE,
    (v) => {
      v.set('cmd.device_change_state.bus_no', busNo);
      v.set('cmd.device_change_state.dev_no', devNo);
      v.set('cmd.device_change_state.state', state);
      v.set('cmd.device_change_state.flags.phys_device', physDevice ? 1 : 0);
    },
    o,
  );
/** CHIPSET_INIT with `features`. */
export const chipsetInit = (features = 0x3) =>
  cmd(ID.CONTROLVM_CHIPSET_INIT, (v) => v.set('cmd.init_chipset.features', features));

/** visorbus's answer to a request: a status now, or 'hold' until `release()`. */
export type Answer = (request: VisorbusRequest) => number | 'hold';
/** A visorchipset snapshot to start from. */
export type Snapshot = SnapshotFrom<typeof visorchipsetMachine>;

/** An actor on a simulated clock that records effects and plays visorbus by `answer`. */
export function start(answer: Answer = () => 0, snapshot?: Snapshot) {
  const clock = new SimulatedClock();
  const options = { input: INPUT, clock, systemId: 'guest1/visorchipset' };
  const actor = createActor(visorchipsetMachine, snapshot ? { ...options, snapshot } : options);
  const effects: VisorchipsetEmitted[] = [];
  const held: VisorbusRequest[] = [];
  const done = (r: VisorbusRequest, status: number) =>
    actor.send({
      type: 'VISORBUS_DONE',
      kind: r.kind,
      busNo: r.busNo,
      ...('devNo' in r ? { devNo: r.devNo } : {}),
      status,
    });
  actor.on('*', (e) => {
    effects.push(e);
    if (e.type !== 'visorbus.request') return;
    const status = answer(e.request);
    if (status === 'hold') held.push(e.request);
    else done(e.request, status);
  });
  actor.start();
  const polls = () => effects.filter((e) => e.type === 'controlvm.poll').length;
  const responses = () =>
    effects.flatMap((e) => (e.type === 'controlvm.respond' ? [e.response] : []));
  return {
    actor,
    clock,
    effects,
    held,
    responses,
    responseTo: (c: ControlvmCommand) =>
      responses().filter((r) => r.messageHandle === c.messageHandle),
    /**
     * Waits for the next poll (at most one slow interval), then hands it `commands`. After an
     * empty poll the wait is long (idle polls are elided): the CP rings when it writes, so ring.
     */
    poll(...commands: ControlvmCommand[]) {
      const before = polls();
      for (let i = 0; i < 100 && polls() === before; i++) clock.increment(JIFFY_MS);
      if (polls() === before) actor.send({ type: 'DOORBELL' });
      expect(polls(), 'a poll within 100 jiffies or at the ring').toBe(before + 1);
      for (const command of commands) actor.send({ type: 'CONTROLVM_COMMAND', command });
      actor.send({ type: 'POLL_DONE', commands: commands.length });
    },
    /** visorbus answers every held request (and any they lead to) with `status`. */
    release(status = 0) {
      while (held.length > 0) for (const r of held.splice(0)) done(r, status);
    },
  };
}
/** What {@link start} returns. */
export type Harness = ReturnType<typeof start>;

/** An actor with the chipset initialised, bus 1 and device 1/2 created. */
export function broughtUp(answer?: Answer): Harness {
  const h = start(answer);
  h.poll(
    chipsetInit(),
    busCmd(ID.CONTROLVM_BUS_CREATE, 1),
    devCmd(ID.CONTROLVM_DEVICE_CREATE, 1, 2),
  );
  h.release();
  return h;
}

/** A successful response's status fields. */
export const ok = { status: 0, failed: false };
/** A failed response's status fields. */
export const failedWith = (status: number) => ({ status, failed: true });
