// The visorclientbus tests' harness (spar-protocol.md §5.11): visorchipset's requests, and an actor
// around which the test plays visorchipset (sends CHIPSET_REQUEST), visorbus (answers
// `visorbus.forward` with VISORBUS_DONE) and uislib/virtpci (answers `uislib.inject` with
// UISLIB_DONE), by a policy or by hand.

import { expect } from 'vitest';
import { createActor } from 'xstate';
import { VBUS_CHANNEL } from '../src/channel/index.js';
import type { VisorbusRequest } from './visorchipset.types.js';
import { visorclientbusMachine } from './visorclientbus.machine.js';
import { requestKindOfMsgtype, visorclientbusSystemId } from './visorclientbus.logic.js';
import type { VisorclientbusEmitted, VisorclientbusInput } from './visorclientbus.types.js';
import type { UislibInjectMsg } from './visoruislib.logic.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';
import { VNIC_CHANNEL } from '../src/kinds/vnic/channel.js';

/** The vhba channel type. */
export const VHBA = VHBA_CHANNEL.guid;
/** The vnic channel type. */
export const VNIC = VNIC_CHANNEL.guid;
/** Another channel type, which visorbus's drivers serve. */
export const OTHER = 'c73416d0-b0b8-44af-b304-9d2ae99f1b3d'; // keyboard: a final visorbus driver's type

/** BUS_CREATE of `busNo` (8 devices). */
export const createBus = (busNo: number): VisorbusRequest => ({
  ...{ kind: 'createBus', busNo, devCount: 8, channelAddr: '4096', channelBytes: '768' },
  ...{ busDataTypeGuid: VBUS_CHANNEL.guid, busInstGuid: OTHER },
});
/** DEVICE_CREATE of `busNo`/`devNo` announcing `dataTypeGuid`. */
export const createDevice = (
  busNo: number,
  devNo: number,
  dataTypeGuid: string,
): VisorbusRequest => ({
  ...{ kind: 'createDevice', busNo, devNo, channelAddr: '8192', channelBytes: '159744' },
  ...{ dataTypeGuid, devInstGuid: OTHER },
});
/** The requests addressed to one existing device. */
export type DeviceKind = 'destroyDevice' | 'pauseDevice' | 'resumeDevice';
/** A `kind` request for `busNo`/`devNo`. */
export const onDevice = (kind: DeviceKind, busNo = 1, devNo = 2): VisorbusRequest => ({
  kind,
  busNo,
  devNo,
});
/** The `visorchipset.done` answering `kind` at an address (devNo null: a bus request). */
export const done = (
  kind: VisorbusRequest['kind'],
  status: number,
  busNo = 1,
  devNo: number | null = 2,
) => ({
  ...{ type: 'visorchipset.done', kind, busNo },
  ...(devNo === null ? {} : { devNo }),
  status,
});

/** A party's answer to a request: a status now, or 'hold' until answered by hand. */
export type Answer = (request: {
  kind: string;
  busNo: number;
  devNo?: number | undefined;
}) => number | 'hold';

/** An actor whose forwards and injects are answered by `visorbus` and `uislib` (or held). */
export function start(
  visorbus: Answer = () => 0,
  uislib: Answer = () => 0,
  input: Partial<VisorclientbusInput> = {},
) {
  const systemId = visorclientbusSystemId('guest1');
  const actor = createActor(visorclientbusMachine, {
    input: { partition: 'guest1', ...input },
    systemId,
  });
  const effects: VisorclientbusEmitted[] = [];
  const heldForwards: VisorbusRequest[] = [];
  const heldInjects: UislibInjectMsg[] = [];
  const answerForward = (r: VisorbusRequest, status: number) =>
    actor.send({
      type: 'VISORBUS_DONE',
      kind: r.kind,
      busNo: r.busNo,
      ...('devNo' in r ? { devNo: r.devNo } : {}),
      status,
    });
  const answerInject = (m: UislibInjectMsg, status: number) =>
    actor.send({
      type: 'UISLIB_DONE',
      msgtype: m.msgtype,
      busNo: m.busNo,
      ...('devNo' in m ? { devNo: m.devNo } : {}),
      status,
    });
  actor.on('*', (e) => {
    effects.push(e);
    if (e.type === 'visorbus.forward') {
      const status = visorbus(e.request);
      if (status === 'hold') heldForwards.push(e.request);
      else answerForward(e.request, status);
    }
    if (e.type === 'uislib.inject') {
      const kind = requestKindOfMsgtype(e.msg.msgtype) ?? 'none';
      const status = uislib({
        kind,
        busNo: e.msg.busNo,
        devNo: 'devNo' in e.msg ? e.msg.devNo : undefined,
      });
      if (status === 'hold') heldInjects.push(e.msg);
      else answerInject(e.msg, status);
    }
  });
  actor.start();
  return {
    actor,
    effects,
    heldForwards,
    heldInjects,
    answerForward,
    answerInject,
    request: (request: VisorbusRequest) => actor.send({ type: 'CHIPSET_REQUEST', request }),
    take: () => effects.splice(0),
    dones: () => effects.filter((e) => e.type === 'visorchipset.done'),
    context: () => actor.getSnapshot().context,
  };
}

/** A harness whose bus 1 has vhba 1/2, vnic 1/3 and a keyboard 1/4, every answer 0 so far. */
export function withDevices(
  visorbus: Answer = () => 0,
  uislib: Answer = () => 0,
  input: Partial<VisorclientbusInput> = {},
) {
  let phase: 'setup' | 'test' = 'setup';
  const h = start(
    (r) => (phase === 'setup' ? 0 : visorbus(r)),
    (r) => (phase === 'setup' ? 0 : uislib(r)),
    input,
  );
  for (const r of [
    createBus(1),
    createDevice(1, 2, VHBA),
    createDevice(1, 3, VNIC),
    createDevice(1, 4, OTHER),
  ])
    h.request(r);
  expect(h.dones().map((e) => e.status)).toEqual([0, 0, 0, 0]);
  h.take();
  phase = 'test';
  return h;
}
