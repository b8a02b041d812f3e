// The SCSI target (spar-protocol.md §4.2): every command against literal SPC-4/SBC-3 bytes and a
// model of the disk. Sense bytes and result words are written out, not derived.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Disk, type DiskSpec } from './disk.js';
import { executeScsi } from './scsi-target.js';

const spec: DiskSpec = { name: 'lun0', blocks: 100, blockSize: 512 };
const CHECK_CONDITION = 0x0800_0002; // DRIVER_SENSE << 24 | CHECK CONDITION

function newDisk(s: DiskSpec = spec): Disk {
  const disk = Disk.allocate(s);
  if (!disk.ok) throw new Error(disk.error.message);
  return disk.value;
}

const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const be64 = (n: bigint) => [...be32(Number(n >> 32n)), ...be32(Number(n & 0xffff_ffffn))];
const rw10 = (opcode: number, lba: number, count: number) =>
  Uint8Array.of(opcode, 0, ...be32(lba), 0, (count >> 8) & 0xff, count & 0xff, 0);
const rw16 = (opcode: number, lba: bigint, count: number) =>
  Uint8Array.of(opcode, 0, ...be64(lba), ...be32(count), 0, 0);
const read10 = (lba: number, count: number) => rw10(0x28, lba, count);
const write10 = (lba: number, count: number) => rw10(0x2a, lba, count);
const read16 = (lba: bigint, count: number) => rw16(0x88, lba, count);
const write16 = (lba: bigint, count: number) => rw16(0x8a, lba, count);

const blocksOf = (count: number, seed: number) =>
  Uint8Array.from({ length: count * 512 }, (_, i) => (i * 13 + seed) & 0xff);

/** The 64-byte fixed sense buffer the reference expects. */
function sense(key: number, asc: number, ascq: number, info?: number): number[] {
  const bytes = new Array<number>(64).fill(0);
  bytes[0] = info === undefined ? 0x70 : 0xf0;
  bytes[2] = key;
  if (info !== undefined) bytes.splice(3, 4, ...be32(info));
  bytes[7] = 10;
  bytes[12] = asc;
  bytes[13] = ascq;
  return bytes;
}

function expectCheck(outcome: ReturnType<typeof executeScsi>, senseBytes: number[]): void {
  expect(outcome.linuxstat).toBe(CHECK_CONDITION);
  expect(outcome.scsistat).toBe(2);
  expect(outcome.addlstat).toBe(0);
  expect(outcome.dataIn).toBeNull();
  expect(outcome.noDiskResult).toBe(false);
  expect(Array.from(outcome.sense ?? [])).toEqual(senseBytes);
}

function expectGood(outcome: ReturnType<typeof executeScsi>): Uint8Array | null {
  expect({
    linuxstat: outcome.linuxstat,
    scsistat: outcome.scsistat,
    sense: outcome.sense,
  }).toEqual({
    linuxstat: 0,
    scsistat: 0,
    sense: null,
  });
  return outcome.dataIn;
}

describe('scsi-target', () => {
  test('smoke: TEST UNIT READY on a disk is GOOD with no data', () => {
    const outcome = executeScsi(newDisk(), Uint8Array.of(0, 0, 0, 0, 0, 0), null, 0);
    expect(outcome).toEqual({
      linuxstat: 0,
      scsistat: 0,
      addlstat: 0,
      sense: null,
      dataIn: null,
      noDiskResult: false,
    });
  });

  test('WRITE(10) then READ(10), and WRITE(16) then READ(16), give the written blocks back', () => {
    const disk = newDisk();
    expect(expectGood(executeScsi(disk, write10(7, 3), blocksOf(3, 1), 1536))).toBeNull();
    expect(expectGood(executeScsi(disk, read10(7, 3), null, 1536))).toEqual(blocksOf(3, 1));
    expectGood(executeScsi(disk, write16(99n, 1), blocksOf(1, 2), 512));
    expect(expectGood(executeScsi(disk, read16(98n, 2), null, 1024))).toEqual(
      Uint8Array.from([...new Uint8Array(512), ...blocksOf(1, 2)]),
    );
    expect(expectGood(executeScsi(disk, read10(8, 1), null, 512))).toEqual(
      blocksOf(3, 1).subarray(512, 1024),
    );
    expect(expectGood(executeScsi(disk, read10(0, 0), null, 0))).toEqual(new Uint8Array(0));
  });

  test('READ CAPACITY(10) and (16) report the last LBA and the block length', () => {
    const disk = newDisk({ name: 'big', blocks: 2048, blockSize: 4096 });
    const rc10 = expectGood(
      executeScsi(disk, Uint8Array.of(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0), null, 8),
    );
    expect(Array.from(rc10 ?? [])).toEqual([0, 0, 0x07, 0xff, 0, 0, 0x10, 0]);
    const cdb16 = Uint8Array.of(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
    const rc16 = expectGood(executeScsi(disk, cdb16, null, 32));
    expect(Array.from(rc16 ?? [])).toEqual([
      0,
      0,
      0,
      0,
      0,
      0,
      0x07,
      0xff,
      0,
      0,
      0x10,
      0,
      ...new Array(20).fill(0),
    ]);
    expect(
      expectGood(
        executeScsi(
          disk,
          cdb16.map((b, i) => (i === 13 ? 12 : b)),
          null,
          32,
        ),
      )?.length,
    ).toBe(12);
    const otherAction = Uint8Array.of(0x9e, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
    expectCheck(executeScsi(disk, otherAction, null, 32), sense(0x05, 0x24, 0));
  });

  test('an unknown opcode is CHECK CONDITION, ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE', () => {
    const outcome = executeScsi(newDisk(), Uint8Array.of(0xc1, 0, 0, 0, 0, 0), null, 0);
    expect(Array.from(outcome.sense ?? [])).toEqual([
      0x70,
      0,
      0x05,
      0,
      0,
      0,
      0,
      0x0a,
      0,
      0,
      0,
      0,
      0x20,
      0,
      ...new Array(50).fill(0),
    ]);
    expectCheck(outcome, sense(0x05, 0x20, 0x00));
  });

  test('LBA out of range is ILLEGAL REQUEST 0x21, for every READ, WRITE and SYNCHRONIZE CACHE form', () => {
    const disk = newDisk();
    const outOfRange = sense(0x05, 0x21, 0x00);
    expectCheck(executeScsi(disk, read10(99, 2), null, 1024), outOfRange);
    expectCheck(executeScsi(disk, read10(100, 0), null, 0), outOfRange);
    expectCheck(executeScsi(disk, read16(2n ** 64n - 1n, 1), null, 512), outOfRange);
    expectCheck(executeScsi(disk, write10(100, 1), blocksOf(1, 0), 512), outOfRange);
    expectCheck(executeScsi(disk, write16(2n ** 32n, 1), blocksOf(1, 0), 512), outOfRange);
    expectCheck(
      executeScsi(disk, Uint8Array.of(0x35, 0, ...be32(90), 0, 0, 11, 0), null, 0),
      outOfRange,
    );
    expectCheck(
      executeScsi(disk, Uint8Array.of(0x91, 0, ...be64(100n), 0, 0, 0, 0, 0, 0), null, 0),
      outOfRange,
    );
    expectGood(executeScsi(disk, Uint8Array.of(0x35, 0, ...be32(90), 0, 0, 10, 0), null, 0));
    expectGood(executeScsi(disk, Uint8Array.of(0x91, 0, ...be64(0n), 0, 0, 0, 0, 0, 0), null, 0));
  });

  test('a buffer unequal to the transfer length is ILLEGAL REQUEST 0x0E/0x03 and writes nothing', () => {
    const disk = newDisk();
    const mismatch = sense(0x05, 0x0e, 0x03);
    expectCheck(executeScsi(disk, write10(4, 2), blocksOf(1, 9), 1024), mismatch);
    expectCheck(executeScsi(disk, write10(4, 1), null, 512), mismatch);
    expectCheck(executeScsi(disk, read10(4, 2), null, 512), mismatch);
    expectCheck(executeScsi(disk, write10(4, 1), blocksOf(2, 9), 1024), mismatch);
    expectCheck(executeScsi(disk, read10(4, 1), null, 1024), mismatch);
    expect(expectGood(executeScsi(disk, read10(4, 1), null, 512))).toEqual(new Uint8Array(512));
  });

  test('a planned medium error is MEDIUM ERROR with the failing LBA, and a failed WRITE is not acknowledged', () => {
    const disk = newDisk();
    expect(disk.injectFailure({ op: 'read', lba: 12, count: 1, times: 1 }).ok).toBe(true);
    expect(disk.injectFailure({ op: 'write', lba: 20, count: 4, times: 2 }).ok).toBe(true);
    expectCheck(executeScsi(disk, read10(10, 4), null, 2048), sense(0x03, 0x11, 0x00, 12));
    expectGood(executeScsi(disk, read10(10, 4), null, 2048));
    expectCheck(
      executeScsi(disk, write16(18n, 3), blocksOf(3, 5), 1536),
      sense(0x03, 0x0c, 0x00, 20),
    );
    expectCheck(
      executeScsi(disk, write10(23, 1), blocksOf(1, 5), 512),
      sense(0x03, 0x0c, 0x00, 23),
    );
    expect(expectGood(executeScsi(disk, read10(18, 3), null, 1536))).toEqual(new Uint8Array(1536));
    expectGood(executeScsi(disk, write16(18n, 3), blocksOf(3, 5), 1536));
    expect(expectGood(executeScsi(disk, read10(18, 3), null, 1536))).toEqual(blocksOf(3, 5));
  });

  test('standard INQUIRY: direct-access disk, SPC-3, UNISYS vendor, cut to the allocation lengths', () => {
    const disk = newDisk();
    const data =
      expectGood(executeScsi(disk, Uint8Array.of(0x12, 0, 0, 0, 96, 0), null, 96)) ??
      new Uint8Array();
    expect(data.length).toBe(36);
    expect(Array.from(data.subarray(0, 8))).toEqual([0x00, 0x00, 0x05, 0x02, 31, 0, 0, 0x02]);
    expect(new TextDecoder().decode(data.subarray(8, 36))).toBe('UNISYS  spar-sim disk   0001');
    expect(executeScsi(disk, Uint8Array.of(0x12, 0, 0, 0, 5, 0), null, 96).dataIn?.length).toBe(5);
    expect(executeScsi(disk, Uint8Array.of(0x12, 0, 0, 0, 96, 0), null, 20).dataIn?.length).toBe(
      20,
    );
    expectCheck(
      executeScsi(disk, Uint8Array.of(0x12, 0, 0x80, 0, 96, 0), null, 96),
      sense(0x05, 0x24, 0),
    );
  });

  test('VPD pages 0x00, 0x80 and 0x83 are served; others are INVALID FIELD IN CDB', () => {
    const disk = newDisk({ name: 'disk\u00e9 7', blocks: 8, blockSize: 512 });
    const vpd = (page: number) =>
      executeScsi(disk, Uint8Array.of(0x12, 1, page, 0, 255, 0), null, 255);
    expect(Array.from(vpd(0x00).dataIn ?? [])).toEqual([0, 0x00, 0, 3, 0x00, 0x80, 0x83]);
    expect(Array.from(vpd(0x80).dataIn ?? [])).toEqual([
      0,
      0x80,
      0,
      7,
      ...Array.from('disk_ 7', (c) => c.charCodeAt(0)),
    ]);
    const id = Array.from('UNISYS  disk_ 7', (c) => c.charCodeAt(0));
    expect(Array.from(vpd(0x83).dataIn ?? [])).toEqual([
      0,
      0x83,
      0,
      4 + id.length,
      0x02,
      0x01,
      0,
      id.length,
      ...id,
    ]);
    expectCheck(vpd(0xb0), sense(0x05, 0x24, 0));
  });

  test('REPORT LUNS lists the target LUNs in SAM format and refuses an allocation below 16', () => {
    const disk = newDisk();
    const cdb = (alloc: number) => Uint8Array.of(0xa0, 0, 0, 0, 0, 0, ...be32(alloc), 0, 0);
    expect(Array.from(expectGood(executeScsi(disk, cdb(4096), null, 4096)) ?? [])).toEqual([
      0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    const three =
      executeScsi(disk, cdb(4096), null, 4096, { luns: [0, 5, 300] }).dataIn ?? new Uint8Array();
    expect(Array.from(three)).toEqual([
      0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x41, 0x2c, 0, 0, 0,
      0, 0, 0,
    ]);
    expectCheck(executeScsi(disk, cdb(15), null, 4096), sense(0x05, 0x24, 0));
  });

  test('MODE SENSE(6) all pages: header, block descriptor, caching page (WCE 0) and control page', () => {
    const disk = newDisk();
    const data =
      expectGood(executeScsi(disk, Uint8Array.of(0x1a, 0, 0x3f, 0, 255, 0), null, 255)) ??
      new Uint8Array();
    const caching = [0x08, 0x12, 0x01, ...new Array(17).fill(0)];
    const control = [0x0a, 0x0a, 0, 0x10, ...new Array(8).fill(0)];
    expect(Array.from(data)).toEqual([
      43,
      0,
      0x10,
      8,
      0,
      0,
      0,
      100,
      0,
      0,
      0x02,
      0,
      ...caching,
      ...control,
    ]);
    const cut = executeScsi(disk, Uint8Array.of(0x1a, 0, 0x3f, 0, 4, 0), null, 255).dataIn;
    expect(Array.from(cut ?? [])).toEqual([43, 0, 0x10, 8]);
  });

  test('MODE SENSE(10) caching page without block descriptors; changeable, saved and unknown pages', () => {
    const disk = newDisk();
    const ms10 = (dbd: number, pcPage: number, subpage = 0) =>
      executeScsi(disk, Uint8Array.of(0x5a, dbd, pcPage, subpage, 0, 0, 0, 0, 255, 0), null, 255);
    expect(Array.from(expectGood(ms10(0x08, 0x08)) ?? [])).toEqual([
      0,
      26,
      0,
      0x10,
      0,
      0,
      0,
      0,
      0x08,
      0x12,
      0x01,
      ...new Array(17).fill(0),
    ]);
    expect(Array.from(ms10(0x08, 0x48).dataIn ?? []).slice(8)).toEqual([
      0x08,
      0x12,
      ...new Array(18).fill(0),
    ]);
    expectCheck(ms10(0x08, 0xc8), sense(0x05, 0x39, 0));
    expectCheck(ms10(0x08, 0x1c), sense(0x05, 0x24, 0));
    expectCheck(ms10(0x08, 0x08, 0x01), sense(0x05, 0x24, 0));
    expect(expectGood(ms10(0x08, 0x3f, 0xff))?.length).toBe(8 + 32);
  });

  test('REQUEST SENSE reports fixed-format NO SENSE', () => {
    const data = expectGood(
      executeScsi(newDisk(), Uint8Array.of(0x03, 0, 0, 0, 252, 0), null, 252),
    );
    expect(Array.from(data ?? [])).toEqual([
      0x70, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  test('no disk: INQUIRY succeeds with noDiskResult, everything else is DID_NO_CONNECT + ADDL_SEL_TIMEOUT', () => {
    const inquiry = executeScsi(null, Uint8Array.of(0x12, 0, 0, 0, 36, 0), null, 36);
    expect(inquiry).toEqual({
      linuxstat: 0,
      scsistat: 0,
      addlstat: 0,
      sense: null,
      dataIn: null,
      noDiskResult: true,
    });
    for (const cdb of [
      read10(0, 1),
      Uint8Array.of(0xa0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0),
      Uint8Array.of(0),
    ]) {
      const outcome = executeScsi(null, cdb, null, 512);
      expect(outcome).toEqual({
        linuxstat: 0x0001_0000,
        scsistat: 0,
        addlstat: 4,
        sense: null,
        dataIn: null,
        noDiskResult: false,
      });
    }
  });

  test('a short CDB is read zero-padded; a CDB over 16 bytes is our bug', () => {
    expectGood(executeScsi(newDisk(), Uint8Array.of(0x00), null, 0));
    expect(() => executeScsi(newDisk(), new Uint8Array(17), null, 0)).toThrow(/CDB/);
  });

  test('property: READ/WRITE (10 and 16) against a block model: status and data agree', () => {
    const command = fc.record({
      write: fc.boolean(),
      sixteen: fc.boolean(),
      lba: fc.integer({ min: 0, max: 21 }),
      count: fc.integer({ min: 0, max: 3 }),
      seed: fc.nat(255),
    });
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), (commands) => {
        const disk = newDisk({ name: 'model', blocks: 20, blockSize: 512 });
        const model: (Uint8Array | undefined)[] = new Array(20);
        for (const { write, sixteen, lba, count, seed } of commands) {
          const cdb = sixteen
            ? rw16(write ? 0x8a : 0x88, BigInt(lba), count)
            : rw10(write ? 0x2a : 0x28, lba, count);
          const data = blocksOf(count, seed);
          const outcome = executeScsi(disk, cdb, write ? data : null, count * 512);
          if (lba >= 20 || lba + count > 20) {
            expectCheck(outcome, sense(0x05, 0x21, 0));
            continue;
          }
          expectGood(outcome);
          if (write)
            for (let b = 0; b < count; b++) model[lba + b] = data.slice(b * 512, (b + 1) * 512);
          else {
            const want = Array.from({ length: count }, (_, b) =>
              Array.from(model[lba + b] ?? new Uint8Array(512)),
            ).flat();
            expect(Array.from(outcome.dataIn ?? [])).toEqual(want);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
