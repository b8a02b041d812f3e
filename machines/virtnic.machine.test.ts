// virtnic machine (spar-protocol.md §4.7 control plane, §4.3 IO path under Era A names): the shared
// virtpci driver contract, then what is virtnic's own at the control plane: its registration, the
// link across pause and resume, and the graph. The IO path's tests are virtnic.io.test.ts,
// virtnic.receive.test.ts, virtnic.queues.test.ts (qdisc, OK_TO_WAIT) and virtnic.recovery.test.ts;
// the fake host is virtnic.harness.ts.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import {
  ACK,
  CLOSE,
  config,
  IRQ,
  link,
  OPEN,
  REMOVE,
  RESUME,
  runEvents,
  status,
  SUSPEND,
  xmit,
} from './virtnic.harness.js';
import { VIRTNIC_DRIVER, virtnicMachine } from './virtnic.machine.js';
import type { VirtnicEvent } from './virtnic.types.js';
import {
  AT,
  describeVirtpciDriverContract,
  driverState,
  INPUT,
  inServerChanging,
  run,
} from './virtpci-driver.contract.js';
import { VIRTPCI_DRIVER_STATES } from './virtpci-driver.logic.js';
import { VNIC_CHANNEL } from '../src/kinds/vnic/channel.js';

describeVirtpciDriverContract({
  module: 'virtnic',
  machine: virtnicMachine,
  registration: VIRTNIC_DRIVER,
  extraEvents: ['ENBDIS_ACK'],
});

describe('virtnic machine', () => {
  test('registers as uisvirtnic for the vnic channel type with fake PCI device 0x1018:0xAB00', () => {
    expect(VIRTNIC_DRIVER).toMatchObject({
      name: 'uisvirtnic',
      kind: 'vnic',
      channelTypeGuid: VNIC_CHANNEL.guid,
      pciDeviceId: 0xab00,
      virtpciDevtype: 1,
      devtype: 'vNIC',
    });
  });

  test('serverup of an open interface waits for the ENBDIS ack before the carrier comes on; serverdown drops it', () => {
    const steps: [VirtnicEvent[], ReturnType<typeof link>][] = [
      [[], link(false, false)],
      [[ACK], link(false, false)], // nothing awaited: ignored
      [[config(4), OPEN], link(false, true)],
      [[config(4), OPEN, ACK], link(true, false)],
      [[config(4), OPEN, ACK, SUSPEND], link(false, false)],
      [[config(4), OPEN, ACK, SUSPEND, RESUME], link(false, true)],
      [[config(4), OPEN, ACK, SUSPEND, RESUME, ACK], link(true, false)],
      // A configured interface that was never opened comes back closed (Choice, see resumeStep).
      [[config(4), SUSPEND, RESUME], link(false, false)],
    ];
    for (const [events, expected] of steps) {
      expect(runEvents(events).snapshot.context, events.map((e) => e.type).join()).toMatchObject(
        expected,
      );
    }
  });

  test('an ack that arrives while down is abandoned, and the pause stays answered exactly once', () => {
    const { snapshot, effects } = run(virtnicMachine, ['PROBE', 'SUSPEND', 'ENBDIS_ACK']);
    expect(driverState(snapshot)).toBe('serverDown');
    expect(snapshot.context).toMatchObject({
      ...link(false, false),
      counts: { abandonedResponses: 1 },
    });
    expect(effects.filter((e) => e.type === 'driver.pauseResponse')).toEqual([
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
  });

  test('a serverdown while the resume ack is still awaited cancels the wait: the late ack leaves the carrier off', () => {
    const { snapshot } = runEvents([config(4), OPEN, ACK, SUSPEND, RESUME, SUSPEND, ACK]);
    expect(driverState(snapshot)).toBe('serverDown');
    expect(snapshot.context).toMatchObject(link(false, false));
  });

  test('resume while the serverdown work is queued returns 0 even with the virthba quirk on (virtnic tests "changing" first)', () => {
    const from = inServerChanging(virtnicMachine, { resumeWhileServerdownPending: true });
    const { snapshot, effects } = run(virtnicMachine, ['RESUME'], { from });
    expect(driverState(snapshot)).toBe('serverChanging');
    expect(effects).toEqual([{ type: 'driver.resumed', ...AT, status: 0 }]);
  });

  test('the default quirks are off, the watchdog is 5 s, and the context is plain data', () => {
    const { context } = runEvents([config(8), OPEN, ACK, xmit(1)]).snapshot;
    expect(context.quirks).toEqual({
      pauseWhileDownUnanswered: false,
      resumeWhileServerdownPending: false,
      xmitAfterTeardown: false,
    });
    expect(context.txTimeoutMs).toBe(5000);
    expect(JSON.parse(JSON.stringify(context))).toEqual(context);
  });
});

describe('virtnic graph', () => {
  test('with IO events too, every state is reachable and the IO path adds no state', () => {
    const events: VirtnicEvent[] = [
      { type: 'PROBE' },
      SUSPEND,
      RESUME,
      REMOVE,
      config(1),
      OPEN,
      CLOSE,
      ACK,
      xmit(1),
      status(0),
      IRQ,
      { type: 'RESPONSES_EMPTY' },
    ];
    const serializeState = (s: AnyMachineSnapshot) => {
      const c = s.context as {
        open: boolean;
        carrier: boolean;
        queueRunning: boolean;
        enbdisAcksOwed: number;
        xmits: unknown[];
        qdisc: unknown[];
      };
      return JSON.stringify([
        s.value,
        c.open,
        c.carrier,
        c.queueRunning,
        c.enbdisAcksOwed,
        c.xmits.filter((x) => x !== null).length,
        c.qdisc.length,
      ]);
    };
    const options = { input: INPUT, events, serializeState };
    const paths = getShortestPaths(virtnicMachine, options);
    const reached = new Set(paths.map((p) => driverState(p.state)));
    expect(reached).toEqual(new Set(['matched', 'running', 'serverDown', 'removed']));
    const changing = virtnicMachine.resolveState({
      value: { serverAway: 'serverChanging' },
      context: runEvents([]).snapshot.context,
    });
    const fromChanging = getShortestPaths(virtnicMachine, { ...options, fromState: changing });
    expect(new Set([...reached, ...fromChanging.map((p) => driverState(p.state))])).toEqual(
      new Set(VIRTPCI_DRIVER_STATES),
    );
    // The queue never runs without the carrier (default quirks), in any state reached.
    for (const p of paths)
      expect(
        !(p.state.context.queueRunning && !p.state.context.carrier),
        serializeState(p.state),
      ).toBe(true);
  });
});
