// The virtpci tests' harness (spar-protocol.md §5.12, §5.7): uislib guest messages, and an actor on
// a simulated clock around which the test plays the partition host (answers
// `channel.readServerState` with CHANNEL_STATUS) and the drivers (answer probe, suspend, resume,
// remove), automatically by a policy or by hand from a queue.

import { expect } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { virtpciMachine } from './virtpci.machine.js';
import { deviceKey, SERVER_WAIT_INTERVAL_MS, virtpciSystemId } from './virtpci.logic.js';
import type { VirtpciEmitted, VirtpciInput } from './virtpci.types.js';
import {
  GUEST_ADD_VBUS as ADD_VBUS,
  GUEST_ADD_VHBA as ADD_VHBA,
  GUEST_ADD_VNIC as ADD_VNIC,
  slotAt,
  type GuestMsg,
  type GuestMsgtype,
} from './visoruislib.logic.js';

/** The default vhba's WWNN. */
export const WWNN = '5001438001234567';
/** The default vnic's MAC. */
export const MAC = '00:16:3e:00:00:01';
/** GUEST_ADD_VBUS of `busNo` with `devCount` slots. */
export const addVbus = (busNo: number, devCount = 16): GuestMsg => ({
  msgtype: ADD_VBUS,
  busNo,
  devCount,
});
/** GUEST_ADD_VHBA at `busNo`/`devNo`. */
export const addVhba = (busNo: number, devNo: number, wwnn = WWNN): GuestMsg => ({
  msgtype: ADD_VHBA,
  busNo,
  devNo,
  wwnn,
});
/** GUEST_ADD_VNIC at `busNo`/`devNo`. */
export const addVnic = (busNo: number, devNo: number, mac = MAC): GuestMsg => ({
  msgtype: ADD_VNIC,
  busNo,
  devNo,
  mac,
});
/** The msgtypes addressed to one existing device (pause, resume, delete of a vhba or vnic). */
export type DeviceMsgtype = 4 | 5 | 9 | 10 | 11 | 12;
/** A device msgtype for `busNo`/`devNo`. */
export const onDevice = (msgtype: DeviceMsgtype, busNo = 1, devNo = 10): GuestMsg => ({
  msgtype,
  busNo,
  devNo,
});
/** The `uislib.done` answering `msgtype` at an address (devNo null: a bus message). */
export const done = (
  msgtype: GuestMsgtype,
  status: number,
  busNo = 1,
  devNo: number | null = 10,
) => ({
  ...{ type: 'uislib.done', msgtype, busNo },
  ...(devNo === null ? {} : { devNo }),
  status,
});

/** Work the host or a driver owes virtpci an answer for. */
export interface Work {
  readonly kind: 'read' | 'probe' | 'suspend' | 'resume' | 'remove';
  readonly busNo: number;
  readonly devNo: number;
}
const WORK = {
  'channel.readServerState': 'read',
  'driver.probe': 'probe',
  'driver.suspend': 'suspend',
  'driver.resume': 'resume',
  'driver.remove': 'remove',
} as const;

/** How the host and drivers answer; a field left out leaves that work queued. */
export interface Policy {
  /** `srv_state` READY on the n-th read of a device (1-based)? */
  ready?: ((read: number) => boolean) | undefined;
  probe?: number | undefined;
  suspend?: number | undefined;
  resume?: number | undefined;
  remove?: boolean | undefined;
}

/** An actor whose effects are recorded and answered by `policy` (or queued in `pending`). */
export function start(policy: Policy = {}, input: Partial<VirtpciInput> = {}) {
  const clock = new SimulatedClock();
  const systemId = virtpciSystemId('guest1');
  const actor = createActor(virtpciMachine, {
    input: { partition: 'guest1', ...input },
    clock,
    systemId,
  });
  const effects: VirtpciEmitted[] = [];
  const pending: Work[] = [];
  const reads = new Map<string, number>();
  const answer = (w: Work, p: Policy) => {
    const at = { busNo: w.busNo, devNo: w.devNo };
    if (w.kind === 'read') {
      const n = (reads.get(deviceKey(w.busNo, w.devNo)) ?? 0) + 1;
      reads.set(deviceKey(w.busNo, w.devNo), n);
      return actor.send({ type: 'CHANNEL_STATUS', ...at, serverReady: p.ready?.(n) ?? true });
    }
    if (w.kind === 'probe')
      return actor.send({ type: 'DRIVER_PROBED', ...at, status: p.probe ?? 0 });
    if (w.kind === 'suspend')
      return actor.send({ type: 'DRIVER_SUSPENDED', ...at, status: p.suspend ?? 1 });
    if (w.kind === 'resume')
      return actor.send({ type: 'DRIVER_RESUMED', ...at, status: p.resume ?? 1 });
    return actor.send({ type: 'DRIVER_REMOVED', ...at });
  };
  actor.on('*', (e) => {
    effects.push(e);
    if (!(e.type in WORK) || !('devNo' in e) || e.devNo === undefined) return;
    const kind = WORK[e.type as keyof typeof WORK];
    const work: Work = { kind, busNo: e.busNo, devNo: e.devNo };
    const auto = {
      read: policy.ready,
      probe: policy.probe,
      suspend: policy.suspend,
      resume: policy.resume,
      remove: policy.remove,
    }[kind];
    if (auto !== undefined) answer(work, policy);
    else pending.push(work);
  });
  actor.start();
  const snapshot = () => actor.getSnapshot();
  /** Advances the clock in 1000 ms steps: SimulatedClock fires a timer set during a step only in a later one. */
  const advance = (ms: number) => {
    for (let left = ms; left > 0; left -= SERVER_WAIT_INTERVAL_MS) {
      clock.increment(Math.min(left, SERVER_WAIT_INTERVAL_MS));
    }
  };
  return {
    actor,
    clock,
    advance,
    effects,
    pending,
    answer,
    reads,
    send: (msg: GuestMsg) => actor.send({ type: 'GUEST_MSG', msg }),
    take: () => effects.splice(0),
    dones: () => effects.filter((e) => e.type === 'uislib.done'),
    device: (bus = 1, dev = 10) => snapshot().context.devices[deviceKey(bus, dev)],
    slot: (bus = 1, dev = 10) => slotAt(snapshot().context.table, bus, dev),
  };
}
/** Every party answers at once, with success. */
export const ALL: Policy = { ready: () => true, probe: 0, suspend: 1, resume: 1, remove: true };

/** Bus 1 (16 slots) with vhba 1/10 bound. */
export function withVhba(policy: Policy = ALL, input: Partial<VirtpciInput> = {}) {
  const h = start(policy, input);
  h.send(addVbus(1));
  h.send(addVhba(1, 10));
  expect(h.device()?.phase).toBe('bound');
  h.take();
  return h;
}
