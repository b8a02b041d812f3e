// Disk: shared-memory blocks that outlive IOSP incarnations, range checks, the size cap and
// planned medium errors (spar-protocol.md §4.2, §4.8).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  BLOCK_SIZES,
  type BlockSize,
  DISK_FAULT_SLOTS,
  DISK_HEADER_BYTES,
  DISK_MAX_BYTES,
  Disk,
  type DiskSpec,
} from './disk.js';

const spec: DiskSpec = { name: 'd0', blocks: 64, blockSize: 512 };

function unwrap<T, E extends { message: string }>(
  result: { ok: true; value: T } | { ok: false; error: E },
): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function errorOf<T, E>(result: { ok: true; value: T } | { ok: false; error: E }): E {
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

const pattern = (blocks: number, seed: number, blockSize = 512) =>
  Uint8Array.from({ length: blocks * blockSize }, (_, i) => (i * 7 + seed) & 0xff);

describe('disk', () => {
  test('smoke: a new disk reads zeros and gives back what was written', () => {
    const disk = unwrap(Disk.allocate(spec));
    expect(disk.memory.byteLength).toBe(DISK_HEADER_BYTES + 64 * 512);
    expect(unwrap(disk.read(0, 2))).toEqual(new Uint8Array(1024));
    const data = pattern(3, 1);
    unwrap(disk.write(10, data));
    expect(unwrap(disk.read(10, 3))).toEqual(data);
    expect(unwrap(disk.read(11, 1))).toEqual(data.subarray(512, 1024));
    expect(unwrap(disk.read(9, 1))).toEqual(new Uint8Array(512));
  });

  test('a second attach on the same memory (a fresh IOSP) sees every write, both ways', () => {
    const first = unwrap(Disk.allocate({ name: 'd1', blocks: 8, blockSize: 4096 }));
    unwrap(first.write(7, pattern(1, 9, 4096)));
    const second = unwrap(Disk.attach(first.spec, first.memory));
    expect(unwrap(second.read(7, 1))).toEqual(pattern(1, 9, 4096));
    unwrap(second.write(0, pattern(1, 3, 4096)));
    expect(unwrap(first.read(0, 1))).toEqual(pattern(1, 3, 4096));
  });

  test('read returns a copy that a later write does not change', () => {
    const disk = unwrap(Disk.allocate(spec));
    const before = unwrap(disk.read(5, 1));
    unwrap(disk.write(5, pattern(1, 2)));
    expect(before).toEqual(new Uint8Array(512));
  });

  test('attach refuses memory of another size or geometry', () => {
    const disk = unwrap(Disk.allocate(spec));
    expect(errorOf(Disk.attach({ ...spec, blocks: 63 }, disk.memory)).code).toBe('memory-mismatch');
    const blank = new SharedArrayBuffer(disk.memory.byteLength);
    expect(errorOf(Disk.attach(spec, blank)).message).toMatch(/header 0\/0\/0\/0/);
    const other = unwrap(Disk.allocate({ name: 'x', blocks: 8, blockSize: 4096 }));
    expect(errorOf(Disk.attach({ name: 'x', blocks: 64, blockSize: 512 }, other.memory)).code).toBe(
      'memory-mismatch',
    );
  });

  test('hostile specs are typed errors, and the 1 GiB cap holds', () => {
    expect(errorOf(Disk.allocate({ name: '', blocks: 1, blockSize: 512 })).code).toBe('bad-spec');
    expect(errorOf(Disk.allocate({ name: 'a', blocks: 0, blockSize: 512 })).code).toBe('bad-spec');
    expect(errorOf(Disk.allocate({ name: 'a', blocks: 1.5, blockSize: 512 })).code).toBe(
      'bad-spec',
    );
    for (const blockSize of [0, 256, 768, 8192]) {
      const spec = { name: 'a', blocks: 1, blockSize: blockSize as BlockSize };
      expect(errorOf(Disk.allocate(spec)).code).toBe('bad-spec');
    }
    for (const blockSize of BLOCK_SIZES) {
      expect(Disk.allocate({ name: 'a', blocks: 2, blockSize }).ok).toBe(true);
    }
    const tooBig = Disk.allocate({ name: 'big', blocks: DISK_MAX_BYTES / 512 + 1, blockSize: 512 });
    expect(errorOf(tooBig)).toMatchObject({ code: 'too-large', disk: 'big' });
    expect(errorOf(Disk.allocate({ name: 'huge', blocks: 2 ** 40, blockSize: 4096 })).code).toBe(
      'too-large',
    );
  });

  test('reads and writes outside the disk, or of partial blocks, are refused without effect', () => {
    const disk = unwrap(Disk.allocate(spec));
    expect(errorOf(disk.read(63, 2)).code).toBe('out-of-range');
    expect(errorOf(disk.read(-1, 1)).code).toBe('out-of-range');
    expect(errorOf(disk.read(0.5, 1)).code).toBe('out-of-range');
    expect(errorOf(disk.write(64, pattern(1, 1))).code).toBe('out-of-range');
    expect(errorOf(disk.write(0, new Uint8Array(511))).code).toBe('bad-length');
    expect(unwrap(disk.read(63, 1))).toEqual(new Uint8Array(512));
    expect(unwrap(disk.read(64, 0))).toEqual(new Uint8Array(0));
  });

  test('a planned failure fires `times` times on overlapping ops of its kind, then stops', () => {
    const disk = unwrap(Disk.allocate(spec));
    unwrap(disk.write(20, pattern(4, 5)));
    unwrap(disk.injectFailure({ op: 'read', lba: 21, count: 2, times: 2 }));
    expect(unwrap(disk.read(19, 2))).toEqual(
      Uint8Array.from([...new Uint8Array(512), ...pattern(4, 5).subarray(0, 512)]),
    );
    expect(unwrap(disk.read(23, 1))).toEqual(pattern(4, 5).subarray(1536));
    unwrap(disk.write(21, pattern(1, 8))); // a write does not match a read plan
    expect(errorOf(disk.read(20, 4))).toMatchObject({ code: 'medium-error', op: 'read', lba: 21 });
    expect(disk.pendingFailures()).toEqual([{ op: 'read', lba: 21, count: 2, times: 1 }]);
    expect(errorOf(disk.read(22, 1))).toMatchObject({ code: 'medium-error', lba: 22 });
    expect(unwrap(disk.read(21, 1))).toEqual(pattern(1, 8));
    expect(disk.pendingFailures()).toEqual([]);
    expect(disk.firedFailures()).toBe(2);
  });

  test('a failed write leaves the blocks unchanged; the plan is visible to a second attach', () => {
    const run = unwrap(Disk.allocate(spec));
    const iosp = unwrap(Disk.attach(spec, run.memory));
    run.injectFailure({ op: 'write', lba: 3, count: 1, times: 1 });
    expect(errorOf(iosp.write(2, pattern(2, 4)))).toMatchObject({
      code: 'medium-error',
      op: 'write',
      lba: 3,
    });
    expect(unwrap(iosp.read(2, 2))).toEqual(new Uint8Array(1024));
    unwrap(iosp.write(2, pattern(2, 4)));
    expect(unwrap(run.read(2, 2))).toEqual(pattern(2, 4));
    expect(run.firedFailures()).toBe(1);
  });

  test('fault plans: outside the disk is refused, the table is bounded, clear empties it', () => {
    const disk = unwrap(Disk.allocate(spec));
    expect(errorOf(disk.injectFailure({ op: 'read', lba: 63, count: 2, times: 1 })).code).toBe(
      'bad-fault-plan',
    );
    expect(errorOf(disk.injectFailure({ op: 'read', lba: 0, count: 1, times: 0 })).code).toBe(
      'bad-fault-plan',
    );
    expect(
      errorOf(disk.injectFailure({ op: 'erase' as 'read', lba: 0, count: 1, times: 1 })).code,
    ).toBe('bad-fault-plan');
    for (let i = 0; i < DISK_FAULT_SLOTS; i++)
      unwrap(disk.injectFailure({ op: 'write', lba: i, count: 1, times: 1 }));
    expect(errorOf(disk.injectFailure({ op: 'write', lba: 0, count: 1, times: 1 })).code).toBe(
      'fault-table-full',
    );
    expect(errorOf(disk.write(0, pattern(1, 1))).code).toBe('medium-error'); // frees slot 0
    unwrap(disk.injectFailure({ op: 'read', lba: 40, count: 1, times: 1 }));
    disk.clearFailures();
    expect(disk.pendingFailures()).toEqual([]);
    expect(unwrap(disk.read(40, 1)).length).toBe(512);
  });

  test('property: the disk behaves like a map of blocks, with failures firing exactly `times` times', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        lba: fc.nat(15),
        count: fc.integer({ min: 1, max: 3 }),
        seed: fc.nat(255),
      }),
      fc.record({
        kind: fc.constant('read' as const),
        lba: fc.nat(15),
        count: fc.integer({ min: 0, max: 3 }),
      }),
      fc.record({
        kind: fc.constant('fail' as const),
        op: fc.constantFrom('read' as const, 'write' as const),
        lba: fc.nat(15),
        times: fc.integer({ min: 1, max: 3 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const disk = unwrap(Disk.allocate({ name: 'm', blocks: 16, blockSize: 512 }));
        const model = new Map<number, number>(); // block → seed of its pattern
        // The fault table in slot order: a plan takes the first spent slot, an op fires the first
        // pending plan it overlaps.
        const slots = Array.from({ length: DISK_FAULT_SLOTS }, () => ({
          op: 'read',
          lba: 0,
          times: 0,
        }));
        let fired = 0;
        const fires = (kind: 'read' | 'write', lba: number, count: number) => {
          const plan = slots.find(
            (p) => p.times > 0 && p.op === kind && p.lba >= lba && p.lba < lba + count,
          );
          if (plan !== undefined) plan.times -= 1;
          return plan !== undefined;
        };
        for (const o of ops) {
          if (o.kind === 'fail') {
            const free = slots.find((p) => p.times === 0);
            const result = disk.injectFailure({ op: o.op, lba: o.lba, count: 1, times: o.times });
            expect(result.ok).toBe(free !== undefined);
            if (free !== undefined) Object.assign(free, { op: o.op, lba: o.lba, times: o.times });
            continue;
          }
          const inRange = o.lba + o.count <= 16;
          const expectFail = inRange && fires(o.kind, o.lba, o.count);
          if (expectFail) fired += 1;
          if (o.kind === 'write') {
            const result = disk.write(o.lba, pattern(o.count, o.seed));
            expect(result.ok).toBe(inRange && !expectFail);
            if (result.ok)
              for (let b = 0; b < o.count; b++) model.set(o.lba + b, o.seed + b * 512 * 7);
          } else {
            const result = disk.read(o.lba, o.count);
            expect(result.ok).toBe(inRange && !expectFail);
            if (!result.ok) continue;
            for (let b = 0; b < o.count; b++) {
              const seed = model.get(o.lba + b);
              const want = seed === undefined ? new Uint8Array(512) : pattern(1, seed);
              expect(result.value.subarray(b * 512, (b + 1) * 512)).toEqual(want);
            }
          }
        }
        expect(disk.firedFailures()).toBe(fired);
      }),
      { numRuns: 150 },
    );
  });
});
