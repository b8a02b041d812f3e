// The quirk visorhba-resume-no-complete through a whole guest (spar-protocol.md §3.5 Era A pause
// path; guestBench: visorchipset → visorclientbus → uislib/virtpci → virthba, served by the IOSP),
// since its consequence is visorchipset's: the unanswered CHANGESTATE blocks the device's later
// requests.

import { describe, expect, test } from 'vitest';
import {
  CHANNELCLI_ATTACHED,
  ChannelMemory,
  clientState,
  VBUS_CHANNEL,
} from '../src/channel/index.js';
import { ioGuestConfig, serverInitializeChannel } from '../src/hypervisor/index.js';
import { guestBench } from '../src/partition/testing/guest-harness.js';
import { CONTROLVM_FLAG, LINUX_ERRNO } from '../src/protocol/controlvm.js';
import * as build from '../src/protocol/controlvm-request.js';
import { OTHER, VHBA } from './visorclientbus.harness.js';

/** A guest host (ioGuestConfig) whose vhba 1/0 is created and bound to virthba, served by the IOSP. */
function vhbaGuest(quirks: readonly string[]) {
  const b = guestBench(ioGuestConfig(), 'guest1', 1, quirks);
  const vbus = b.channel((c) => c.kind === 'vbus');
  const vhba = b.channel((c) => c.typeName === 'vhba');
  expect(b.request(build.chipsetInitRequest(2, 0)).completionStatus).toBe(0);
  const bus = {
    busNo: 1,
    devCount: 2,
    channelAddr: String(vbus.channelAddr),
    channelBytes: String(vbus.channelBytes),
  };
  expect(
    b.request(
      build.busCreateRequest({
        ...bus,
        busDataTypeGuid: VBUS_CHANNEL.guid,
        busInstGuid: OTHER,
      }),
    ).completionStatus,
  ).toBe(0);
  serverInitializeChannel(vhba); // the IOSP made the channel ready (§4.1)
  const device = {
    busNo: 1,
    devNo: 0,
    channelAddr: String(vhba.channelAddr),
    channelBytes: String(vhba.channelBytes),
  };
  expect(
    b.request(
      build.deviceCreateRequest({ ...device, dataTypeGuid: VHBA, devInstGuid: OTHER }),
      1_100,
    ).completionStatus,
  ).toBe(0);
  const virthba = () => b.host.snapshot()['guest1/virthba:1:0'];
  expect(virthba()).toBe('running');
  return { ...b, vhba, virthba };
}

describe('visorclientbus machine', () => {
  test('through a guest, by default the vhba CHANGESTATE(running) is answered 0 and the next standby pauses virthba again', () => {
    const g = vhbaGuest([]);
    expect(g.request(build.deviceChangeStateRequest(1, 0, 0x73)).completionStatus).toBe(0);
    expect(g.virthba()).toEqual({ serverAway: 'serverDown' });
    expect(g.request(build.deviceChangeStateRequest(1, 0, 0xf7)).completionStatus).toBe(0);
    expect(g.virthba()).toBe('running');
    expect(g.request(build.deviceChangeStateRequest(1, 0, 0x73)).completionStatus).toBe(0);
    expect(g.virthba()).toEqual({ serverAway: 'serverDown' });
  });

  test('through a guest with visorhba-resume-no-complete, virthba resumes (IO side) but the CHANGESTATE(running) is never answered, and the next standby and DEVICE_DESTROY are refused EIO while virthba keeps running', () => {
    const g = vhbaGuest(['visorhba-resume-no-complete']);
    expect(g.request(build.deviceChangeStateRequest(1, 0, 0x73)).completionStatus).toBe(0);
    expect(g.virthba()).toEqual({ serverAway: 'serverDown' });
    const resume = g.send(build.deviceChangeStateRequest(1, 0, 0xf7));
    g.run(1_000);
    expect(g.virthba(), 'serverup ran: IO flows again').toBe('running');
    expect(clientState(new ChannelMemory(g.vhba.buffer), 'os')).toEqual({
      ok: true,
      value: CHANNELCLI_ATTACHED,
    });
    expect(
      g.responses.filter((r) => r.messageHandle === resume),
      'no CHANGESTATE(running) response',
    ).toEqual([]);
    for (const refused of [
      build.deviceChangeStateRequest(1, 0, 0x73),
      build.deviceDestroyRequest(1, 0),
    ]) {
      const answer = g.request(refused);
      expect(answer.completionStatus).toBe(LINUX_ERRNO.EIO);
      expect(answer.flags & CONTROLVM_FLAG.failed).toBe(CONTROLVM_FLAG.failed);
      expect(g.virthba(), 'neither paused nor removed').toBe('running');
    }
    g.run(1_000);
    expect(
      g.responses.filter((r) => r.messageHandle === resume),
      'still none',
    ).toEqual([]);
  });
});
