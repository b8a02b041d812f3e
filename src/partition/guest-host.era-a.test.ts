// The Era A client path in a guest host (spar-protocol.md §5.7, §5.11, §5.12, §4.6, §4.7):
// DEVICE_CREATE of a vhba or vnic goes visorchipset → visorclientbus → uislib → virtpci, which
// waits for the IOSP to make the channel ready, attaches, and probes virthba / virtnic; pause and
// resume reach the driver's serverdown / serverup. The test plays the command partition on the
// controlvm channel and the IOSP on the device channels.

import { describe, expect, test } from 'vitest';
import { StructView } from '../base/struct.js';
import { CHANNELCLI_ATTACHED, ChannelMemory, clientState } from '../channel/index.js';
import { ioGuestConfig, serverInitializeChannel, type ChannelRecord } from '../hypervisor/index.js';
import * as build from '../protocol/controlvm-request.js';
import { visorIoChannel } from '../protocol/iochannel-layout.js';
import { guestBench } from './testing/guest-harness.js';
import { readVbusRecord } from './vbus-records.js';
import { VBUS_CHANNEL } from '../channel/index.js';
import { channelTypeOf } from '../kinds/index.js';

const INSTANCE = '8f1a2b3c-4d5e-4f60-8172-8394a5b6c7d8';

function bench(quirks: readonly string[] = []) {
  const b = guestBench(ioGuestConfig(), 'guest1', 1, quirks);
  const vbus = b.channel((c) => c.kind === 'vbus');
  const vhba = b.channel((c) => c.typeName === 'vhba');
  const vnic = b.channel((c) => c.typeName === 'vnic');
  expect(b.request(build.chipsetInitRequest(2, 0)).completionStatus).toBe(0);
  const bus = build.busCreateRequest({
    busNo: 1,
    devCount: 2,
    channelAddr: String(vbus.channelAddr),
    channelBytes: String(vbus.channelBytes),
    busDataTypeGuid: VBUS_CHANNEL.guid,
    busInstGuid: INSTANCE,
  });
  expect(b.request(bus).completionStatus).toBe(0);
  const create = (devNo: number, channel: ChannelRecord) =>
    build.deviceCreateRequest({
      busNo: 1,
      devNo,
      channelAddr: String(channel.channelAddr),
      channelBytes: String(channel.channelBytes),
      dataTypeGuid: channelTypeOf(channel.typeName).guid,
      devInstGuid: INSTANCE,
    });
  return { ...b, vbus, vhba, vnic, create };
}

// The IOSP publishes the adapter's identity and makes the channel ready (§4.1).
function iospServes(channel: ChannelRecord, identity: (v: StructView) => void): void {
  serverInitializeChannel(channel);
  identity(StructView.at(visorIoChannel, channel.buffer, 0));
}

const answerTo = (b: ReturnType<typeof bench>, handle: bigint) =>
  b.responses.filter((r) => r.messageHandle === handle);

describe('guest host, Era A client bus', () => {
  test('a vhba create waits for the IOSP, then attaches the channel, probes virthba and writes its vbus record', () => {
    const b = bench();
    const handle = b.send(b.create(0, b.vhba));
    b.run(2_500);
    expect(answerTo(b, handle), 'no answer while the server is not ready').toEqual([]);
    iospServes(b.vhba, (v) => {
      v.set('vhba.wwnn.wwnn1', 0x1234);
      v.set('vhba.wwnn.wwnn2', 0x50);
    });
    b.run(1_100);
    expect(answerTo(b, handle).map((r) => r.completionStatus)).toEqual([0]);
    expect(clientState(new ChannelMemory(b.vhba.buffer), 'os')).toEqual({
      ok: true,
      value: CHANNELCLI_ATTACHED,
    });
    expect(b.host.snapshot()['guest1/virthba:1:0']).toBe('running');
    expect(readVbusRecord(b.vbus, 0)).toEqual({ devtype: 'vHBA', drvname: 'uisvirthba' });
    expect(readVbusRecord(b.vbus, 'bus')).toEqual({ devtype: 'clientbus', drvname: 'virtpci' });
  });

  test('pause reaches virthba serverdown and is answered by its pause response; resume by serverup', () => {
    const b = bench();
    iospServes(b.vhba, () => {});
    expect(b.request(b.create(0, b.vhba), 1_100).completionStatus).toBe(0);
    const pause = b.request(build.deviceChangeStateRequest(1, 0, 0x73));
    expect(pause).toMatchObject({ completionStatus: 0 });
    expect(b.host.snapshot()['guest1/virthba:1:0']).toEqual({ serverAway: 'serverDown' });
    const resume = b.request(build.deviceChangeStateRequest(1, 0, 0xf7));
    expect(resume).toMatchObject({ completionStatus: 0 });
    expect(b.host.snapshot()['guest1/virthba:1:0']).toBe('running');
  });

  test('a vnic binds virtnic; destroy removes the driver actor and answers 0', () => {
    const b = bench();
    iospServes(b.vnic, (v) => v.raw('vnic.macaddr').set([2, 0, 0, 0, 0, 1]));
    expect(b.request(b.create(1, b.vnic), 1_100).completionStatus).toBe(0);
    expect(b.host.snapshot()['guest1/virtnic:1:1']).toBe('running');
    expect(b.request(build.deviceDestroyRequest(1, 1)).completionStatus).toBe(0);
    expect(b.host.snapshot()['guest1/virtnic:1:1']).toBeUndefined();
  });

  test("with no IOSP the vhba create fails after virtpci's 120 s wait (§5.12), with visorclientbus's vhba code 3", () => {
    const b = bench();
    const handle = b.send(b.create(0, b.vhba));
    b.run(119_000);
    expect(answerTo(b, handle)).toEqual([]);
    b.run(2_000);
    expect(answerTo(b, handle).map((r) => r.completionStatus)).toEqual([3]);
    expect(Object.keys(b.host.snapshot()).filter((id) => id.includes('virthba'))).toEqual([]);
  });

  test('quirk uislib-destroy-uses-bus-no reaches virtpci: DEVICE_DESTROY of vhba 1:0 is answered 0 but virthba stays bound', () => {
    for (const [quirks, stays] of [
      [[], false],
      [['uislib-destroy-uses-bus-no'], true],
    ] as const) {
      const b = bench(quirks);
      iospServes(b.vhba, () => {});
      expect(b.request(b.create(0, b.vhba), 1_100).completionStatus).toBe(0);
      expect(b.request(build.deviceDestroyRequest(1, 0)).completionStatus).toBe(0);
      expect(b.host.snapshot()['guest1/virthba:1:0'] !== undefined, `quirks ${quirks.join()}`).toBe(
        stays,
      );
    }
  });
});
