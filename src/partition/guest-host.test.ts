// The guest host's own duties (spar-protocol.md §2.6, §3.3, §3.4): mapping the channel a create
// names, and what a create answers when that channel is missing or of the wrong kind.

import { describe, expect, test } from 'vitest';
import { minimalGuestConfig } from '../hypervisor/index.js';
import * as build from '../protocol/controlvm-request.js';
import { guestBench } from './testing/guest-harness.js';
import { VIDEO_CHANNEL } from '../kinds/video/channel.js';
import { VBUS_CHANNEL } from '../channel/index.js';
import { channelTypeOf } from '../kinds/index.js';

const INSTANCE = '8f1a2b3c-4d5e-4f60-8172-8394a5b6c7d8';
const bus = (busNo: number, channelAddr: bigint) =>
  build.busCreateRequest({
    busNo,
    devCount: 4,
    channelAddr: String(channelAddr),
    channelBytes: '4096',
    busDataTypeGuid: VBUS_CHANNEL.guid,
    busInstGuid: INSTANCE,
  });
const device = (busNo: number, devNo: number, channelAddr: bigint, type: 'video' | 'keyboard') =>
  build.deviceCreateRequest({
    busNo,
    devNo,
    channelAddr: String(channelAddr),
    channelBytes: '4096',
    dataTypeGuid: channelTypeOf(type).guid,
    devInstGuid: INSTANCE,
  });

function benchWithChipset() {
  const b = guestBench(minimalGuestConfig(), 'guest1');
  expect(b.request(build.chipsetInitRequest(2, 0))).toMatchObject({ completionStatus: 0 });
  return b;
}

describe('guest host channel mapping', () => {
  test('BUS_CREATE at an address no channel of the guest has fails with ENOMEM 12 (a failed ioremap)', () => {
    const b = benchWithChipset();
    expect(b.request(bus(1, 0xdead_b000n))).toMatchObject({ completionStatus: 12 });
    expect(Object.keys(b.host.sysfs())).toEqual([]);
  });

  test('BUS_CREATE at the address of a device channel maps it but fails the vbus check with EINVAL 22', () => {
    const b = benchWithChipset();
    const video = b.channel((c) => c.typeName === 'video');
    expect(b.request(bus(1, video.channelAddr))).toMatchObject({ completionStatus: 22 });
    const vbus = b.channel((c) => c.kind === 'vbus');
    expect(b.request(bus(1, vbus.channelAddr)), 'the bus number stays free').toMatchObject({
      completionStatus: 0,
    });
  });

  test('DEVICE_CREATE at the vbus channel address succeeds (§2.6) but no driver binds: visor_check_channel refuses it', () => {
    const b = benchWithChipset();
    const vbus = b.channel((c) => c.kind === 'vbus');
    expect(b.request(bus(1, vbus.channelAddr))).toMatchObject({ completionStatus: 0 });
    expect(b.request(device(1, 0, vbus.channelAddr, 'video'))).toMatchObject({
      completionStatus: 0,
    });
    const keyboard = b.channel((c) => c.typeName === 'keyboard');
    expect(b.request(device(1, 1, keyboard.channelAddr, 'keyboard'))).toMatchObject({
      completionStatus: 0,
    });
    const drivers = Object.keys(b.host.snapshot()).filter((id) => id.includes(':vbus'));
    expect(drivers).toEqual(['guest1/visorconinclient:vbus1:dev1']);
    expect(b.host.sysfs()['/sys/devices/visorbus1/vbus1:dev0/typeguid']).toBe(VIDEO_CHANNEL.guid);
  });

  test('the counters count polls, commands and responses', () => {
    const b = benchWithChipset();
    b.request(bus(1, b.channel((c) => c.kind === 'vbus').channelAddr));
    expect(b.host.counters()).toMatchObject({ commands: 2, responses: 2 });
    expect(b.host.counters()['controlvmPolls']).toBeGreaterThanOrEqual(2);
  });

  test('a DEVICE_DESTROY in the same poll as a pause the driver completes at once is answered 0, after the pause (§2.6, §3.5)', () => {
    const b = benchWithChipset();
    b.request(bus(1, b.channel((c) => c.kind === 'vbus').channelAddr));
    const video = b.channel((c) => c.typeName === 'video');
    expect(b.request(device(1, 0, video.channelAddr, 'video'))).toMatchObject({
      completionStatus: 0,
    });
    const pause = b.send(build.deviceChangeStateRequest(1, 0, 0x73));
    const destroy = b.send(build.deviceDestroyRequest(1, 0));
    b.run(10);
    const answers = b.responses.filter(
      (r) => r.messageHandle === pause || r.messageHandle === destroy,
    );
    expect(answers.map((r) => [r.messageHandle, r.completionStatus])).toEqual([
      [pause, 0],
      [destroy, 0],
    ]);
    expect(b.host.counters()['commands'], 'both came in one poll').toBe(5);
    expect(Object.keys(b.host.snapshot()).filter((id) => id.includes(':vbus'))).toEqual([]);
  });
});
