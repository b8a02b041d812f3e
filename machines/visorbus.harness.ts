// The visorbus tests' harness (spar-protocol.md §1.7, §3.3–§3.5): visorchipset's requests, and an
// actor on a simulated clock around which the test plays the partition host (forwards requests,
// runs channel checks) and the function drivers (answer probe, pause and resume): automatically by
// a policy, or by hand from the queue of work.

import { expect } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { visorbusMachine } from './visorbus.machine.js';
import { deviceKey, visorbusSystemId } from './visorbus.logic.js';
import type { DriverRegistration, VisorbusEmitted } from './visorbus.types.js';
import type { VisorbusRequest } from './visorchipset.types.js';

/** The vhba channel type, which visorhba serves. */
export const VHBA = '414815ed-c58c-11da-95a9-00e08161165f';
/** The vnic channel type, which visornic serves. */
export const VNIC = '8cd5994d-c58e-11da-95a9-00e08161165f';
/** A channel type no driver serves. */
export const UNKNOWN = '00000000-0000-0000-0000-000000000001';
const driver = (name: string, guid: string): DriverRegistration => ({
  name,
  channelTypes: [{ guid, minSizeBytes: 128, version: 2 }],
});
/** visorhba's registration. */
export const visorhba = driver('visorhba', VHBA);
/** visornic's registration. */
export const visornic = driver('visornic', VNIC);

/** BUS_CREATE of `busNo` (8 devices). */
export const createBus = (busNo: number): VisorbusRequest => ({
  ...{ kind: 'createBus', busNo, devCount: 8, channelAddr: '4096', channelBytes: '768' },
  ...{ busDataTypeGuid: '193b331b-c58f-11da-95a9-00e08161165f', busInstGuid: UNKNOWN },
});
/** DEVICE_CREATE of `busNo`/`devNo` announcing `dataTypeGuid`. */
export const createDevice = (
  busNo: number,
  devNo: number,
  dataTypeGuid = VHBA,
): VisorbusRequest => ({
  ...{ kind: 'createDevice', busNo, devNo, channelAddr: '8192', channelBytes: '4096' },
  ...{ dataTypeGuid, devInstGuid: UNKNOWN },
});
/** The requests addressed to one existing device. */
export type DeviceKind = 'destroyDevice' | 'pauseDevice' | 'resumeDevice';
/** A `kind` request for `busNo`/`devNo`. */
export const onDevice = (kind: DeviceKind, busNo = 1, devNo = 2): VisorbusRequest => {
  return { kind, busNo, devNo };
};
type Kind = VisorbusRequest['kind'];
/** The `visorchipset.done` answering `kind` at an address (devNo null: a bus request). */
export const done = (kind: Kind, status: number, devNo: number | null = 2, busNo = 1) => ({
  ...{ type: 'visorchipset.done', kind, busNo },
  ...(devNo === null ? {} : { devNo }),
  status,
});
/** A call of visorhba's entry point `type` for device 1/`devNo`. */
export const call = (type: string, devNo = 2) => ({ type, driver: 'visorhba', busNo: 1, devNo });

/** Work the host or a driver owes visorbus an answer for. */
export interface Work {
  readonly kind: 'check' | 'probe' | 'pause' | 'resume' | 'complete';
  readonly busNo: number;
  readonly devNo: number;
  /** For `complete`: the status the driver completes with. */
  readonly status: number;
}
const WORK = {
  'channel.check': 'check',
  'driver.probe': 'probe',
  'driver.pause': 'pause',
  'driver.resume': 'resume',
} as const;

/** How the host and drivers answer; a field left out leaves that work in the queue. */
export interface Policy {
  check?: boolean;
  probe?: number;
  /** The return value of pause/resume. */
  started?: number;
  /** The status of `complete` after a started pause/resume, now or 'later' (queued as work). */
  complete?: number | 'later';
  /** The driver calls `complete` inside the entry point, before it returns (§3.5). */
  completeFirst?: boolean;
}

/** An actor on a simulated clock whose effects are recorded and answered by `policy`. */
export function start(drivers: DriverRegistration[] = [visorhba], policy: Policy = {}) {
  const clock = new SimulatedClock();
  const input = { partition: 'guest1', drivers };
  const systemId = visorbusSystemId('guest1');
  const actor = createActor(visorbusMachine, { input, clock, systemId });
  const effects: VisorbusEmitted[] = [];
  const pending: Work[] = [];
  const answer = (w: Work, a: Policy) => {
    const at = { busNo: w.busNo, devNo: w.devNo };
    const send = actor.send.bind(actor);
    if (w.kind === 'check') return send({ type: 'CHANNEL_CHECKED', ...at, ok: a.check ?? true });
    if (w.kind === 'probe') return send({ type: 'DRIVER_PROBED', ...at, status: a.probe ?? 0 });
    const complete = (status: number) => send({ type: 'DRIVER_STATE_COMPLETE', ...at, status });
    if (w.kind === 'complete') return complete(w.status);
    const started = a.started ?? 0;
    const completion = started >= 0 || a.completeFirst === true ? a.complete : undefined;
    if (typeof completion === 'number' && a.completeFirst === true) complete(completion);
    const type = w.kind === 'pause' ? 'DRIVER_PAUSE_STARTED' : 'DRIVER_RESUME_STARTED';
    send({ type, ...at, status: started });
    if (typeof completion === 'number' && a.completeFirst !== true) complete(completion);
    if (completion === 'later') pending.push({ kind: 'complete', ...at, status: 0 });
  };
  actor.on('*', (e) => {
    effects.push(e);
    if (!(e.type in WORK) || !('devNo' in e) || e.devNo === undefined) return;
    const kind = WORK[e.type as keyof typeof WORK];
    const work: Work = { kind, busNo: e.busNo, devNo: e.devNo, status: 0 };
    const { check, probe, started } = policy;
    const auto = { check, probe, pause: started, resume: started }[kind];
    if (auto !== undefined) answer(work, policy);
    else pending.push(work);
  });
  actor.start();
  return {
    actor,
    clock,
    effects,
    pending,
    policy,
    answer,
    send: actor.send.bind(actor),
    request: (request: VisorbusRequest) => actor.send({ type: 'VISORBUS_REQUEST', request }),
    /** The effects recorded since the last call. */
    take: () => effects.splice(0),
    dones: () => effects.filter((e) => e.type === 'visorchipset.done'),
    device: (bus = 1, dev = 2) => actor.getSnapshot().context.devices[deviceKey(bus, dev)],
  };
}

/** Bus 1 with device 1/2 bound to visorhba; pause/resume start and complete with 0 by default. */
export function withBoundDevice(policy: Policy = {}) {
  const h = start([visorhba], { check: true, probe: 0, started: 0, complete: 0, ...policy });
  h.request(createBus(1));
  h.request(createDevice(1, 2));
  expect(h.device()?.phase).toBe('bound');
  h.take();
  return h;
}
