// virthba machine (spar-protocol.md §4.6 control plane, §4.2 IO path under Era A names). The shared
// virtpci driver contract, then what is virthba's own: its registration, its resume quirk and the
// graph. The IO path is in virthba.io.test.ts, task management in virthba.task-management.test.ts,
// pause, resume and remove in virthba.recovery.test.ts; their fake host is virthba.harness.ts.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { VIRTHBA_DRIVER, virthbaMachine } from './virthba.machine.js';
import type { VirthbaEvent } from './virthba.types.js';
import { resolvedChanging, response, runEvents, scsi, tmf } from './virthba.harness.js';
import {
  AT,
  describeVirtpciDriverContract,
  driverState,
  INPUT,
  inServerChanging,
  run,
} from './virtpci-driver.contract.js';
import { VIRTPCI_DRIVER_STATES } from './virtpci-driver.logic.js';
import { VHBA_CHANNEL } from '../src/kinds/vhba/channel.js';

describeVirtpciDriverContract({
  module: 'virthba',
  machine: virthbaMachine,
  registration: VIRTHBA_DRIVER,
  extraEvents: ['CHANNEL_CORRUPT'],
  extraStates: ['quarantined'],
});

describe('virthba machine', () => {
  test('registers as uisvirthba for the vhba channel type with fake PCI device 0x1018:0xAA00', () => {
    expect(VIRTHBA_DRIVER).toMatchObject({
      name: 'uisvirthba',
      kind: 'vhba',
      channelTypeGuid: VHBA_CHANNEL.guid,
      pciDeviceId: 0xaa00,
      virtpciDevtype: 0,
      devtype: 'vHBA',
    });
  });

  test('quirk resumeWhileServerdownPending: resume during the queued serverdown returns 1, and the work still takes the device down', () => {
    const quirks = { resumeWhileServerdownPending: true };
    const from = inServerChanging(virthbaMachine, quirks);
    const { snapshot, effects } = run(virthbaMachine, ['RESUME', 'SERVERDOWN_COMPLETE'], { from });
    expect(snapshot.value).toEqual({ serverAway: 'serverDown' });
    expect(effects).toEqual([
      { type: 'driver.resumed', ...AT, status: 1 },
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
  });

  test('while the server is away, IO is busy, failed or abandoned in both substates, declared once on serverAway', () => {
    const { serverAway } = virthbaMachine.root.states;
    const shared = [
      'SCSI_QUEUE',
      'TASK_MGMT',
      'SCSI_RESPONSE',
      'TASKMGMT_RESPONSE',
      'OTHER_RESPONSE',
    ];
    expect(Object.keys(serverAway?.config.on ?? {})).toEqual([
      ...shared,
      'REMOVE',
      'CHANNEL_CORRUPT',
    ]);
    for (const child of Object.values(serverAway?.states ?? {})) {
      const own = Object.keys(child.config.on ?? {});
      expect(own.filter((e) => shared.includes(e) || e === 'REMOVE')).toEqual([]);
    }
    for (const from of [resolvedChanging([]), runEvents([{ type: 'SUSPEND' }]).snapshot]) {
      const { effects } = runEvents([scsi(7), tmf(8), response(0)], { from });
      expect(effects).toEqual([
        { type: 'scsi.complete', ...AT, tag: 7, outcome: 'busy' },
        { type: 'taskmgmt.complete', ...AT, tag: 8, outcome: 'failed' },
      ]);
    }
  });

  test('the default quirk set is all off, the table has 128 empty slots, and the context is plain data', () => {
    const { snapshot } = run(virthbaMachine, []);
    expect(snapshot.context.quirks).toEqual({
      pauseWhileDownUnanswered: false,
      resumeWhileServerdownPending: false,
      losePendingOnPause: false,
      doubleCompleteOnResume: false,
    });
    expect(snapshot.context.slots).toEqual(new Array(128).fill(null));
    expect(snapshot.context.taskMgmtTimeoutMs).toBe(45_000);
    expect(JSON.parse(JSON.stringify(snapshot.context))).toEqual(snapshot.context);
  });
});

describe('virthba graph', () => {
  test('with IO events too, every state is reachable and the IO path adds no state', () => {
    const events: VirthbaEvent[] = [
      { type: 'PROBE' },
      { type: 'SUSPEND' },
      { type: 'RESUME' },
      { type: 'REMOVE' },
      scsi(1),
      tmf(2),
      { type: 'INSERT_FAILED', slot: 0, tag: 1 },
      { type: 'CHANNEL_INTERRUPT' },
      response(0),
      { ...response(0), more: true },
      { type: 'RESPONSES_EMPTY' },
    ];
    const serializeState = (s: AnyMachineSnapshot) =>
      JSON.stringify([s.value, s.context.slots, s.context.draining]);
    const options = { input: { ...INPUT, maxPending: 2 }, events, serializeState };
    const paths = getShortestPaths(virthbaMachine, options);
    const reached = new Set(paths.map((p) => driverState(p.state)));
    expect(reached).toEqual(new Set(['matched', 'running', 'serverDown', 'removed']));
    const fromChanging = getShortestPaths(virthbaMachine, {
      ...options,
      fromState: resolvedChanging([]),
    });
    expect(new Set([...reached, ...fromChanging.map((p) => driverState(p.state))])).toEqual(
      new Set(VIRTPCI_DRIVER_STATES),
    );
  });
});
