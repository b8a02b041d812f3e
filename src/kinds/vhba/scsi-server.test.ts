// The IOSP's host (spar-protocol.md §4.1, §4.4): boot re-initialises its channels; each poll it
// serves the guest's SCSI commands against the shared disks through the guest's DMA window and
// answers with the handle echoed. The test plays the guest end of the vhba channel.

import { describe, expect, test } from 'vitest';
import { StructView } from '../../base/struct.js';
import { Channel, ChannelMemory, isServerReady } from '../../channel/index.js';
import { INQUIRY, READ_10, WRITE_10 } from './scsi-constants.js';
import { allocateChannels, doorbellOf, type Config } from '../../hypervisor/index.js';
import { allocateDisks, shareDisks } from './disks.js';
import { DMA_SLOT_BYTES } from './hardware.js';
import { visorIoChannel } from '../../protocol/iochannel-layout.js';
import {
  SIZEOF_CMDRSP,
  UIS_DMA_FROM_DEVICE,
  UIS_DMA_TO_DEVICE,
} from '../../protocol/uiscmdrsp-constants.js';
import { DID_ERROR, hostByte } from '../../protocol/uiscmdrsp-linuxstat.js';
import {
  decodeScsiResponse,
  encodeScsiCommand,
  type ScsiResponse,
} from '../../protocol/uiscmdrsp-scsi.js';
import { SimWorld } from '../../runtime/sim/sim-world.js';
import { IospHost } from '../../partition/iosp-host.js';
import { VHBA_CHANNEL } from './channel.js';

const config: Config = {
  jiffyMs: 1,
  partitions: [
    { name: 'cp', kind: 'command', index: 0, buses: [], devices: [] },
    {
      name: 'iosp0',
      kind: 'iosp',
      index: 1,
      buses: [],
      devices: [],
      hardware: {
        scsi: [
          {
            name: 'hba0',
            disks: [{ name: 'disk0', blocks: 64, blockSize: 512, sharedWith: ['guest1'] }],
          },
        ],
        nics: [],
      },
    },
    {
      name: 'guest1',
      kind: 'guest',
      index: 2,
      buses: [{ busNo: 1, deviceCount: 1 }],
      devices: [{ busNo: 1, devNo: 0, channelType: 'vhba', server: 'iosp0' }],
    },
  ],
};

function bench() {
  const channels = allocateChannels(config);
  const disks = allocateDisks(config);
  const world = new SimWorld({ seed: 1 });
  const host = new IospHost({
    partition: 'iosp0',
    channels: channels.forPartition('iosp0'),
    env: world.environment('iosp0'),
    config,
    hardware: new Map([['vhba', shareDisks(disks, config, 'iosp0')]]),
  });
  const vhba = channels.all().find((c) => c.typeName === 'vhba');
  if (vhba?.dma === undefined) throw new Error('no vhba channel with a DMA window');
  const dma = vhba.dma;
  host.start();
  const attached = Channel.attachAs(vhba.buffer, VHBA_CHANNEL);
  if (!attached.ok) throw new Error(attached.error.message);
  const guest = attached.value;
  const slot = new Uint8Array(SIZEOF_CMDRSP);
  const cdb10 = (op: number, lba: number, blocks: number) =>
    Uint8Array.of(
      op,
      0,
      lba >>> 24,
      (lba >>> 16) & 0xff,
      (lba >>> 8) & 0xff,
      lba & 0xff,
      0,
      blocks >>> 8,
      blocks & 0xff,
      0,
    );
  return {
    host,
    disks,
    disk: disks.get('disk0'),
    vhba,
    memory: new Uint8Array(dma.buffer),
    /** Queues a command for pending slot `handle`, using that slot's DMA buffer. */
    send(
      handle: number,
      cdb: Uint8Array,
      dataDir: 0 | 1 | 2 | 3,
      bufflen: number,
      id = 0,
      address = dma.address + BigInt(handle * DMA_SLOT_BYTES),
    ) {
      const gpiList = bufflen === 0 ? [] : [{ address, length: BigInt(bufflen) }];
      const bytes = encodeScsiCommand({
        handle: BigInt(handle),
        cdb,
        bufflen,
        dataDir,
        vdest: { channel: 0, id, lun: 0 },
        gpiList,
      });
      expect(guest.queue(0).insert(bytes)).toBe('inserted');
      world.environment('guest1').ring(doorbellOf(vhba), 'server'); // as the guest's virthba does
    },
    run(ms = 2) {
      world.scheduler.runUntil(world.scheduler.now() + ms, 100_000);
    },
    responses(): ScsiResponse[] {
      const out: ScsiResponse[] = [];
      while (guest.queue(1).remove(slot) === 'removed') {
        const r = decodeScsiResponse(slot);
        if (r.ok) out.push(r.value);
      }
      return out;
    },
    cdb10,
  };
}

describe('IOSP host', () => {
  test('boot makes the vhba channel ready and publishes the adapter limits', () => {
    const b = bench();
    expect(isServerReady(new ChannelMemory(b.vhba.buffer))).toBe(true);
    const view = StructView.at(visorIoChannel, b.vhba.buffer, 0);
    expect(view.get('vhba.max.max_io_size')).toBe(DMA_SLOT_BYTES);
    expect(view.get('vhba.max.max_id')).toBe(1);
    expect(b.host.snapshot()['iosp0/iosp']).toEqual({ serving: 'waiting' });
  });

  test('a WRITE lands on the disk before it is answered; a READ brings it back into the guest buffer', () => {
    const b = bench();
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff);
    b.memory.set(data, 3 * DMA_SLOT_BYTES);
    b.send(3, b.cdb10(WRITE_10, 10, 2), UIS_DMA_TO_DEVICE, 1024);
    b.run();
    expect(b.responses().map((r) => [r.handle, r.linuxstat])).toEqual([[3n, 0]]);
    const onDisk = b.disk?.read(10, 2);
    expect(onDisk?.ok && [...onDisk.value]).toEqual([...data]);
    b.send(5, b.cdb10(READ_10, 10, 2), UIS_DMA_FROM_DEVICE, 1024);
    b.run();
    expect(b.responses().map((r) => [r.handle, r.linuxstat])).toEqual([[5n, 0]]);
    expect([...b.memory.subarray(5 * DMA_SLOT_BYTES, 5 * DMA_SLOT_BYTES + 1024)]).toEqual([
      ...data,
    ]);
  });

  test('a target with no shared disk answers INQUIRY with no_disk_result; a buffer outside the DMA window gets DID_ERROR', () => {
    const b = bench();
    b.send(1, Uint8Array.of(INQUIRY, 0, 0, 0, 36, 0), UIS_DMA_FROM_DEVICE, 36, 7);
    b.send(2, b.cdb10(READ_10, 0, 1), UIS_DMA_FROM_DEVICE, 512, 0, 0x1000n);
    b.run();
    const responses = b.responses();
    const inquiry = responses.find((r) => r.handle === 1n);
    const outside = responses.find((r) => r.handle === 2n);
    expect(inquiry).toMatchObject({ handle: 1n, noDiskResult: true });
    expect(hostByte(outside?.linuxstat ?? 0)).toBe(DID_ERROR);
    expect(b.host.counters()['dmaErrors']).toBe(1);
  });

  test('after a crash, a fresh IOSP re-initialises the channel (queues empty) and the disk keeps its data', () => {
    const b = bench();
    b.memory.fill(0xab, 0, 512);
    b.send(0, b.cdb10(WRITE_10, 1, 1), UIS_DMA_TO_DEVICE, 512);
    b.run();
    b.host.stop();
    const channels = { forPartition: () => [b.vhba] };
    const world = new SimWorld({ seed: 2 });
    const reborn = new IospHost({
      partition: 'iosp0',
      channels: channels.forPartition(),
      env: world.environment('iosp0'),
      config,
      hardware: new Map([['vhba', shareDisks(b.disks, config, 'iosp0')]]),
    });
    reborn.start();
    expect(b.responses()).toEqual([]); // the old response was wiped by the re-initialisation
    const block = b.disk?.read(1, 1);
    expect(block?.ok && block.value[0]).toBe(0xab);
  });

  test("a guest that went down: the commands of its crashed boot are never answered nor run, and its rebooted boot's command in the same slot gets one answer", () => {
    const b = bench();
    b.memory.fill(0xcd, 3 * DMA_SLOT_BYTES, 3 * DMA_SLOT_BYTES + 512);
    b.send(3, b.cdb10(WRITE_10, 4, 1), UIS_DMA_TO_DEVICE, 512);
    b.run(0.05); // taken, still being served (the disk takes 0.1–1 ms)
    expect(b.host.counters()['scsiCommands']).toBe(1);
    b.send(4, b.cdb10(WRITE_10, 5, 1), UIS_DMA_TO_DEVICE, 512); // still in the ring
    b.host.notify({ type: 'GUEST_DOWN', guest: 'guest1' });
    b.run();
    expect(b.responses()).toEqual([]);
    expect(b.host.counters()['scsiCommands']).toBe(1);
    const block = b.disk?.read(4, 1);
    expect(block?.ok && block.value[0]).toBe(0);
    expect(isServerReady(new ChannelMemory(b.vhba.buffer))).toBe(true);
    b.send(3, b.cdb10(READ_10, 4, 1), UIS_DMA_FROM_DEVICE, 512);
    b.run();
    expect(b.responses().map((r) => [r.handle, r.linuxstat])).toEqual([[3n, 0]]);
    expect(b.memory[3 * DMA_SLOT_BYTES]).toBe(0);
  });
});
