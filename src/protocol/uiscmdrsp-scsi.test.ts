// uiscmdrsp SCSI and task-management codec (spar-protocol.md §4.4.3, §4.4.4). Offsets are written
// out literally from the reference table, not derived from the layout descriptors, so a shifted
// descriptor fails here.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ADDL_SEL_TIMEOUT,
  CMD_NET_TYPE,
  CMD_SCSI_TYPE,
  CMD_SCSITASKMGMT_TYPE,
  SIZEOF_CMDRSP,
  TASK_MGMT_LUN_RESET,
  UIS_DMA_FROM_DEVICE,
  UIS_DMA_TO_DEVICE,
  type UisDmaDirection,
} from './uiscmdrsp-constants.js';
import {
  DID_NO_CONNECT,
  DRIVER_SENSE,
  SAM_STAT_CHECK_CONDITION,
  linuxResult,
} from './uiscmdrsp-linuxstat.js';
import {
  decodeCmdtype,
  decodeScsiCommand,
  decodeScsiResponse,
  decodeTaskMgmt,
  decodeTaskMgmtResponse,
  encodeScsiCommand,
  encodeScsiResponse,
  encodeTaskMgmt,
  encodeTaskMgmtResponse,
  type ScsiCodecErrorCode,
  type ScsiCommand,
  type TaskMgmtRequest,
} from './uiscmdrsp-scsi.js';
import { le, unwrap } from './testing/slot-view.js';

const READ10 = Uint8Array.of(0x28, 0, 0, 0, 0x10, 0x20, 0, 0, 8, 0);

const command: ScsiCommand = {
  handle: 0x0123_4567_89ab_cdefn,
  cdb: READ10,
  bufflen: 4096,
  dataDir: UIS_DMA_FROM_DEVICE,
  vdest: { channel: 1, id: 2, lun: 3 },
  gpiList: [
    { address: 0xffff_0000_1000n, length: 1024n },
    { address: 0x2000n, length: 3072n },
  ],
};

/** A slot with chosen cmdtype / gpi count / data_dir / bufflen, everything else zero. */
function handMade(fields: {
  cmdtype: number;
  entries?: number;
  dataDir?: number;
  bufflen?: number;
}): Uint8Array {
  const slot = new Uint8Array(SIZEOF_CMDRSP);
  const v = le(slot);
  v.setUint8(0, fields.cmdtype);
  v.setBigUint64(1, 77n, true);
  v.setUint32(25, fields.bufflen ?? 0, true);
  v.setUint16(29, fields.entries ?? 0, true);
  v.setUint32(1055, fields.dataDir ?? 3, true);
  return slot;
}

describe('uiscmdrsp-scsi', () => {
  test('smoke: a SCSI command round-trips through a 1216-byte slot', () => {
    const slot = encodeScsiCommand(command);
    expect(slot.length).toBe(1216);
    const decoded = unwrap(decodeScsiCommand(slot));
    expect(decoded).toEqual({ ...command, cdb: Uint8Array.from([...READ10, 0, 0, 0, 0, 0, 0]) });
  });

  test('a SCSI command lands at the exact §4.4.3 offsets', () => {
    const v = le(encodeScsiCommand(command));
    expect(v.getUint8(0)).toBe(1);
    expect(v.getBigUint64(1, true)).toBe(0x0123_4567_89ab_cdefn);
    expect([v.getUint8(9), v.getUint8(13), v.getUint8(14), v.getUint8(17)]).toEqual([
      0x28, 0x10, 0x20, 8,
    ]);
    expect(v.getUint32(25, true)).toBe(4096);
    expect(v.getUint16(29, true)).toBe(2);
    expect(v.getBigUint64(31, true)).toBe(0xffff_0000_1000n);
    expect(v.getBigUint64(39, true)).toBe(1024n);
    expect(v.getBigUint64(47, true)).toBe(0x2000n);
    expect(v.getBigUint64(55, true)).toBe(3072n);
    expect(v.getUint32(1055, true)).toBe(2);
    expect([v.getUint32(1059, true), v.getUint32(1063, true), v.getUint32(1067, true)]).toEqual([
      1, 2, 3,
    ]);
  });

  test('a response echoes handle, vdest and cmnd and puts status at 1071..1149', () => {
    const sense = Uint8Array.of(0x70, 0, 0x05, 0, 0, 0, 0, 0x0a);
    const linuxstat = linuxResult({ driver: DRIVER_SENSE, status: SAM_STAT_CHECK_CONDITION });
    const slot = encodeScsiResponse(command, {
      linuxstat,
      scsistat: 2,
      addlstat: 0,
      sense,
      noDiskResult: true,
    });
    const v = le(slot);
    expect(v.getUint8(0)).toBe(1);
    expect(v.getBigUint64(1, true)).toBe(command.handle);
    expect(v.getUint8(9)).toBe(0x28);
    expect(v.getUint32(1067, true)).toBe(3);
    expect(v.getInt32(1071, true)).toBe(0x0800_0002);
    expect([v.getUint8(1075), v.getUint8(1076), v.getUint8(1077), v.getUint8(1079)]).toEqual([
      2, 0, 0x70, 0x05,
    ]);
    expect(v.getInt32(1149, true)).toBe(1);
    expect(v.getUint32(25, true)).toBe(0); // not echoed: the guest uses its own scsi_cmnd
    const decoded = unwrap(decodeScsiResponse(slot));
    expect(decoded.handle).toBe(command.handle);
    expect(decoded.vdest).toEqual(command.vdest);
    expect(decoded.linuxstat).toBe(0x0800_0002);
    expect(decoded.sense.length).toBe(64);
    expect(Array.from(decoded.sense.subarray(0, 9))).toEqual([...sense, 0]);
    expect(decoded.noDiskResult).toBe(true);
  });

  test('a negative linuxstat and addlstat ADDL_SEL_TIMEOUT survive the round trip', () => {
    const linuxstat = linuxResult({ driver: 0x80, host: DID_NO_CONNECT });
    expect(linuxstat).toBeLessThan(0);
    const slot = encodeScsiResponse(command, {
      linuxstat,
      scsistat: 0,
      addlstat: ADDL_SEL_TIMEOUT,
      sense: new Uint8Array(0),
      noDiskResult: false,
    });
    const decoded = unwrap(decodeScsiResponse(slot));
    expect([decoded.linuxstat, decoded.addlstat, decoded.noDiskResult]).toEqual([
      linuxstat,
      4,
      false,
    ]);
  });

  test('task management request and response sit at §4.4.3 offsets and echo every key', () => {
    const request: TaskMgmtRequest = {
      tasktype: TASK_MGMT_LUN_RESET,
      vdest: { channel: 0, id: 5, lun: 7 },
      handle: 127n,
      notifyHandle: 0x7fff_ffffn,
      notifyResultHandle: 42n,
    };
    const cmd = le(encodeTaskMgmt(request));
    expect(cmd.getUint8(0)).toBe(3);
    expect(cmd.getUint32(1, true)).toBe(3);
    expect([cmd.getUint32(5, true), cmd.getUint32(9, true), cmd.getUint32(13, true)]).toEqual([
      0, 5, 7,
    ]);
    expect(cmd.getBigUint64(17, true)).toBe(127n);
    expect(cmd.getBigUint64(25, true)).toBe(0x7fff_ffffn);
    expect(cmd.getBigUint64(33, true)).toBe(42n);
    expect(unwrap(decodeTaskMgmt(new Uint8Array(cmd.buffer)))).toEqual(request);
    const rsp = encodeTaskMgmtResponse(request, 1);
    expect(rsp[41]).toBe(1);
    expect(unwrap(decodeTaskMgmtResponse(rsp))).toEqual({ ...request, result: 1 });
  });

  test('decodeCmdtype dispatches and the typed decoders refuse the other cmdtype', () => {
    const tm = encodeTaskMgmt({
      tasktype: 1,
      vdest: { channel: 0, id: 0, lun: 0 },
      handle: 0n,
      notifyHandle: 1n,
      notifyResultHandle: 2n,
    });
    expect(unwrap(decodeCmdtype(tm))).toBe(CMD_SCSITASKMGMT_TYPE);
    const wrong = decodeScsiCommand(tm);
    expect(wrong.ok ? null : wrong.error).toMatchObject({
      code: 'wrong-cmdtype',
      field: 'cmdtype',
      expected: '1',
      actual: '3',
    });
    expect(wrong.ok ? null : wrong.error.echo).toBeUndefined();
    const scsi = decodeTaskMgmtResponse(encodeScsiCommand(command));
    expect(scsi.ok ? null : scsi.error.code).toBe('wrong-cmdtype');
    const net = decodeScsiResponse(handMade({ cmdtype: CMD_NET_TYPE }));
    expect(net.ok ? null : net.error.actual).toBe('2');
  });

  test('hostile: more than 64 gpi entries is refused with the echo to answer by', () => {
    const result = decodeScsiCommand(handMade({ cmdtype: CMD_SCSI_TYPE, entries: 65 }));
    expect(result.ok ? null : result.error).toMatchObject({
      code: 'too-many-gpi-entries',
      field: 'scsi.guest_phys_entries',
      actual: '65',
      echo: { handle: 77n, vdest: { channel: 0, id: 0, lun: 0 } },
    });
    expect(decodeScsiCommand(handMade({ cmdtype: CMD_SCSI_TYPE, entries: 64 })).ok).toBe(true);
  });

  test('hostile: data_dir above 3 and bufflen unequal to the gpi sum are refused', () => {
    const dir = decodeScsiCommand(handMade({ cmdtype: CMD_SCSI_TYPE, dataDir: 4 }));
    expect(dir.ok ? null : dir.error.code).toBe('bad-data-dir');
    const slot = handMade({
      cmdtype: CMD_SCSI_TYPE,
      entries: 1,
      bufflen: 512,
      dataDir: UIS_DMA_TO_DEVICE,
    });
    le(slot).setBigUint64(39, 511n, true);
    const len = decodeScsiCommand(slot);
    expect(len.ok ? null : len.error).toMatchObject({ code: 'bufflen-mismatch', actual: '512' });
    le(slot).setBigUint64(39, 512n, true);
    expect(decodeScsiCommand(slot).ok).toBe(true);
  });

  test('hostile: a slot shorter than the 1185-byte struct is short-slot; the padding is never read', () => {
    for (const decode of [
      decodeScsiCommand,
      decodeScsiResponse,
      decodeTaskMgmt,
      decodeTaskMgmtResponse,
      decodeCmdtype,
    ]) {
      const result = decode(new Uint8Array(1184));
      expect(result.ok ? null : result.error.code).toBe('short-slot');
    }
    const full = encodeScsiCommand(command);
    expect(unwrap(decodeScsiCommand(full.slice(0, 1185)))).toEqual(unwrap(decodeScsiCommand(full)));
  });

  test('decoding a slot inside a larger poisoned buffer reads only the slot', () => {
    const big = new Uint8Array(SIZEOF_CMDRSP * 3).fill(0xff);
    big.set(encodeScsiCommand(command), SIZEOF_CMDRSP);
    const inside = big.subarray(SIZEOF_CMDRSP, 2 * SIZEOF_CMDRSP);
    expect(unwrap(decodeScsiCommand(inside))).toEqual(unwrap(decodeScsiCommand(inside.slice())));
    expect(unwrap(decodeScsiCommand(inside)).handle).toBe(command.handle);
  });

  const gpiArb = fc.record({
    address: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    length: fc.bigInt({ min: 0n, max: 0xffffn }),
  });
  const commandArb = fc.record({
    handle: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    cdb: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    dataDir: fc.constantFrom<UisDmaDirection>(0, 1, 2, 3),
    vdest: fc.record({ channel: fc.nat(), id: fc.nat(), lun: fc.nat() }),
    gpiList: fc.array(gpiArb, { maxLength: 64 }),
  });

  test('property: every encodable SCSI command decodes to itself', () => {
    fc.assert(
      fc.property(commandArb, (c) => {
        const bufflen = Number(c.gpiList.reduce((sum, e) => sum + e.length, 0n));
        const full = { ...c, bufflen };
        expect(unwrap(decodeScsiCommand(encodeScsiCommand(full)))).toEqual(full);
      }),
      { numRuns: 200 },
    );
  });

  const KNOWN: readonly ScsiCodecErrorCode[] = [
    'short-slot',
    'wrong-cmdtype',
    'too-many-gpi-entries',
    'bad-data-dir',
    'bufflen-mismatch',
  ];

  // Random bytes, with cmdtype forced to 1 or 3 and the gpi count made small often enough that
  // every decode branch (including success) is reached.
  const hostileSlot = fc
    .tuple(
      fc.uint8Array({ minLength: 1216, maxLength: 1216 }),
      fc.constantFrom(null, 1, 3),
      fc.option(fc.integer({ min: 0, max: 2 })),
      fc.option(fc.integer({ min: 0, max: 5 })),
    )
    .map(([bytes, cmdtype, entries, dataDir]) => {
      if (cmdtype !== null) bytes[0] = cmdtype;
      if (entries !== null) le(bytes).setUint16(29, entries, true);
      if (entries === 0) le(bytes).setUint32(25, 0, true);
      if (dataDir !== null) le(bytes).setUint32(1055, dataDir, true);
      return bytes;
    });

  test('property: hostile 1216-byte slots never throw and either decode consistently or give a known error', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(hostileSlot, (slot) => {
        const cmd = decodeScsiCommand(slot);
        if (cmd.ok) {
          seen.add('ok');
          expect(cmd.value.gpiList.length).toBeLessThanOrEqual(64);
          expect(cmd.value.dataDir).toBeLessThanOrEqual(3);
          expect(cmd.value.gpiList.reduce((s, e) => s + e.length, 0n)).toBe(
            BigInt(cmd.value.bufflen),
          );
          expect(cmd.value.cdb).toEqual(slot.slice(9, 25));
        } else {
          seen.add(cmd.error.code);
          expect(KNOWN).toContain(cmd.error.code);
          expect(cmd.error.message).toContain(cmd.error.field);
        }
        for (const decode of [decodeScsiResponse, decodeTaskMgmt, decodeTaskMgmtResponse]) {
          const r = decode(slot);
          if (!r.ok) expect(KNOWN).toContain(r.error.code);
        }
      }),
      { numRuns: 500 },
    );
    expect([...seen].sort()).toEqual([
      'bad-data-dir',
      'bufflen-mismatch',
      'ok',
      'too-many-gpi-entries',
      'wrong-cmdtype',
    ]);
  });

  test('property: slots of any length never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1300 }), (slot) => {
        for (const decode of [
          decodeScsiCommand,
          decodeScsiResponse,
          decodeTaskMgmt,
          decodeTaskMgmtResponse,
          decodeCmdtype,
        ]) {
          const r = decode(slot);
          expect(r.ok || KNOWN.includes(r.error.code)).toBe(true);
          if (slot.length < 1185) expect(r.ok).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('encoding a command with an inconsistent bufflen is our bug and asserts', () => {
    expect(() => encodeScsiCommand({ ...command, bufflen: 4095 })).toThrow(/bufflen/);
    expect(() => encodeScsiCommand({ ...command, cdb: new Uint8Array(17) })).toThrow(/CDB/);
  });
});
