// A block device behind an IOSP's SCSI adapter (spar-protocol.md §4.2, §4.8). The disk is
// hardware: its blocks live in a SharedArrayBuffer that the run allocates once and hands to each
// IOSP incarnation, so a fresh IOSP worker attaches to the same bytes after any number of crashes.
//
// Memory: a DISK_HEADER_BYTES header (magic, geometry, fault table, fired counter), then the
// blocks. Choices:
// - Size cap DISK_MAX_BYTES = 1 GiB of blocks, so a hostile scenario cannot exhaust memory; with
//   512-byte blocks that is 2^21 blocks, so LBAs and byte offsets stay far inside safe integers.
// - The fault plan lives in the shared header, not in a field: a failing sector is part of the
//   hardware and stays failing across IOSP crashes. The run (fault injector) owns it and is the
//   only writer (`injectFailure`, `clearFailures`); the IOSP that owns the disk is the only
//   consumer (`read`/`write` decrement `times`). That single-writer/single-consumer split is what
//   makes the lock-free table below correct.
// - An operation matches a planned failure when the op kind is the same and the block ranges
//   overlap; the error names the first failing LBA. A failed write leaves the blocks unchanged.
// - `read` returns a copy, like DMA into guest memory: a later write does not change it.
// - A write is on the disk when `write` returns (no cache). Another thread sees it once it
//   synchronises with this one, which the channel's Atomics-based signal queue does.
// Latency is the IOSP's business; the disk only carries a planned slowness (`injectSlowness`, the
// disk-slow fault), in the header for the same reason as the failures: it is the hardware's, and
// the same single-writer/single-consumer split applies.

import { assert } from '../../base/assert.js';
import { err, ok, type Result } from '../../base/result.js';

/** Logical block sizes a disk may have (bytes): 512 to 4096, powers of two (sd's sector sizes). */
export const BLOCK_SIZES = [512, 1024, 2048, 4096] as const;
/** One of {@link BLOCK_SIZES}. */
export type BlockSize = (typeof BLOCK_SIZES)[number];

/** Largest disk, in bytes of blocks (1 GiB). */
export const DISK_MAX_BYTES = 2 ** 30;
/** Bytes before the first block: magic, geometry, fault table. */
export const DISK_HEADER_BYTES = 512;
/** Planned failures the fault table holds at once. */
export const DISK_FAULT_SLOTS = 16;

const MAGIC = 0x4b44_5053; // 'SPDK' little-endian
const VERSION = 1;
// i32 word indices in the header.
const W_MAGIC = 0;
const W_VERSION = 1;
const W_BLOCK_SIZE = 2;
const W_BLOCKS = 3;
const W_FIRED = 4;
const W_SLOW_TIMES = 5; // commands still to slow (0: none)
const W_SLOW_MIN_MS = 6;
const W_SLOW_MAX_MS = 7;
const W_SLOTS = 8;
const SLOT_WORDS = 4; // times remaining (0 = free), op, lba, count
const OP_CODE = { read: 1, write: 2 } as const;
const TABLE_END_BYTES = (W_SLOTS + DISK_FAULT_SLOTS * SLOT_WORDS) * 4;
assert(TABLE_END_BYTES <= DISK_HEADER_BYTES, 'the fault table fits the header');

/** A disk as a scenario declares it. */
export interface DiskSpec {
  /** Name in traces, errors and the VPD serial number. */
  readonly name: string;
  /** Number of logical blocks. */
  readonly blocks: number;
  /** Bytes per logical block. */
  readonly blockSize: BlockSize;
}

/** Which operation a planned failure hits. */
export type DiskOp = 'read' | 'write';

/** A planned medium error: the next `times` operations of kind `op` touching the range fail. */
export interface DiskFailurePlan {
  readonly op: DiskOp;
  /** First block of the failing range. */
  readonly lba: number;
  /** Blocks in the failing range (≥ 1). */
  readonly count: number;
  /** How many matching operations fail before the range heals (≥ 1). */
  readonly times: number;
}

/** A planned slowness: the next `times` commands take `minMs`..`maxMs` each (the disk-slow fault). */
export interface DiskSlowness {
  /** How many commands are slowed (≥ 1). */
  readonly times: number;
  /** Least service time of a slowed command, in ms. */
  readonly minMs: number;
  /** Greatest service time of a slowed command, in ms (≥ minMs). */
  readonly maxMs: number;
}

/** What went wrong; every disk failure is one of these, never an exception. */
export type DiskErrorCode =
  | 'bad-spec'
  | 'too-large'
  | 'memory-mismatch'
  | 'out-of-range'
  | 'bad-length'
  | 'bad-fault-plan'
  | 'fault-table-full'
  | 'medium-error';

/** A typed disk error. */
export interface DiskError {
  readonly code: DiskErrorCode;
  /** The disk's name. */
  readonly disk: string;
  /** One line for a human. */
  readonly message: string;
  /** `medium-error` only: which operation failed. */
  readonly op?: DiskOp;
  /** `medium-error` only: the first failing block. */
  readonly lba?: number;
}

function diskError(code: DiskErrorCode, disk: string, detail: string): DiskError {
  return { code, disk, message: `${code}: disk ${disk}: ${detail}` };
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** Checks a scenario's disk spec (hostile input): geometry and the size cap. */
export function checkDiskSpec(spec: DiskSpec): Result<DiskSpec, DiskError> {
  const name = String(spec.name);
  if (name.length === 0) return err(diskError('bad-spec', name, 'name is empty'));
  if (!(BLOCK_SIZES as readonly number[]).includes(spec.blockSize)) {
    const detail = `blockSize ${String(spec.blockSize)} is not one of ${BLOCK_SIZES.join(', ')}`;
    return err(diskError('bad-spec', name, detail));
  }
  if (!isCount(spec.blocks) || spec.blocks === 0) {
    const detail = `blocks ${String(spec.blocks)} is not a positive integer`;
    return err(diskError('bad-spec', name, detail));
  }
  const bytes = spec.blocks * spec.blockSize;
  if (bytes > DISK_MAX_BYTES) {
    const detail = `${bytes} bytes exceed the ${DISK_MAX_BYTES}-byte cap`;
    return err(diskError('too-large', name, detail));
  }
  return ok(spec);
}

/** Bytes of shared memory a disk of this (checked) spec needs. */
export function diskMemoryBytes(spec: DiskSpec): number {
  return DISK_HEADER_BYTES + spec.blocks * spec.blockSize;
}

/** One disk handle over shared memory; several handles (threads) may share the memory. */
export class Disk {
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;

  private constructor(
    /** The disk as declared. */
    readonly spec: DiskSpec,
    /** The shared memory to hand to the next IOSP incarnation. */
    readonly memory: SharedArrayBuffer,
  ) {
    this.words = new Int32Array(memory, 0, DISK_HEADER_BYTES / 4);
    this.bytes = new Uint8Array(memory, DISK_HEADER_BYTES);
    const blockBytes = spec.blocks * spec.blockSize;
    assert(this.bytes.length === blockBytes, 'disk memory holds exactly the blocks');
  }

  /** Allocates zeroed memory for a new disk (the run does this once, before any IOSP starts). */
  static allocate(spec: DiskSpec): Result<Disk, DiskError> {
    const checked = checkDiskSpec(spec);
    if (!checked.ok) return checked;
    const disk = new Disk(spec, new SharedArrayBuffer(diskMemoryBytes(spec)));
    const w = disk.words;
    Atomics.store(w, W_BLOCK_SIZE, spec.blockSize);
    Atomics.store(w, W_BLOCKS, spec.blocks);
    Atomics.store(w, W_VERSION, VERSION);
    Atomics.store(w, W_MAGIC, MAGIC);
    return ok(disk);
  }

  /** Attaches to memory an earlier `allocate` produced; the spec must match what it wrote. */
  static attach(spec: DiskSpec, memory: SharedArrayBuffer): Result<Disk, DiskError> {
    const checked = checkDiskSpec(spec);
    if (!checked.ok) return checked;
    if (memory.byteLength !== diskMemoryBytes(spec)) {
      const detail = `memory is ${memory.byteLength} bytes, spec needs ${diskMemoryBytes(spec)}`;
      return err(diskError('memory-mismatch', spec.name, detail));
    }
    const w = new Int32Array(memory, 0, DISK_HEADER_BYTES / 4);
    const found = [w[W_MAGIC], w[W_VERSION], w[W_BLOCK_SIZE], w[W_BLOCKS]];
    const wanted = [MAGIC, VERSION, spec.blockSize, spec.blocks];
    if (found.some((value, i) => value !== wanted[i])) {
      const detail =
        `header ${found.join('/')} differs from ` +
        `magic/version/blockSize/blocks ${wanted.join('/')}`;
      return err(diskError('memory-mismatch', spec.name, detail));
    }
    return ok(new Disk(spec, memory));
  }

  /** Number of logical blocks. */
  get blocks(): number {
    return this.spec.blocks;
  }

  /** Bytes per logical block. */
  get blockSize(): number {
    return this.spec.blockSize;
  }

  /** Reads `count` blocks from `lba` into a fresh array. */
  /**
   * The blocks' bytes as they are, for whoever inspects the hardware from outside (the run's
   * lost-write check): no injected failure applies or is used up.
   */
  inspect(lba: number, count: number): Result<Uint8Array, DiskError> {
    const range = this.checkRange(lba, count);
    if (!range.ok) return range;
    const start = lba * this.spec.blockSize;
    return ok(this.bytes.slice(start, start + count * this.spec.blockSize));
  }

  read(lba: number, count: number): Result<Uint8Array, DiskError> {
    const range = this.checkRange(lba, count);
    if (!range.ok) return range;
    const failed = this.consumeFailure('read', lba, count);
    if (failed !== null) return err(failed);
    const start = lba * this.spec.blockSize;
    return ok(this.bytes.slice(start, start + count * this.spec.blockSize));
  }

  /** Writes whole blocks from `lba`; on `ok` the data is on the disk. */
  write(lba: number, data: Uint8Array): Result<void, DiskError> {
    if (data.length % this.spec.blockSize !== 0) {
      const detail = `${data.length} bytes are not whole ${this.spec.blockSize}-byte blocks`;
      return err(diskError('bad-length', this.spec.name, detail));
    }
    const count = data.length / this.spec.blockSize;
    const range = this.checkRange(lba, count);
    if (!range.ok) return range;
    const failed = this.consumeFailure('write', lba, count);
    if (failed !== null) return err(failed);
    this.bytes.set(data, lba * this.spec.blockSize);
    return ok(undefined);
  }

  /** Plans a medium error (the run's side). Rejects plans outside the disk or a full table. */
  injectFailure(plan: DiskFailurePlan): Result<void, DiskError> {
    const { op, lba, count, times } = plan;
    const valid =
      (op === 'read' || op === 'write') &&
      isCount(lba) &&
      isCount(count) &&
      count >= 1 &&
      lba + count <= this.spec.blocks &&
      Number.isInteger(times) &&
      times >= 1 &&
      times <= 0x7fff_ffff;
    if (!valid) {
      const detail = `plan ${JSON.stringify(plan)} not inside 0..${this.spec.blocks}, times ≥ 1`;
      return err(diskError('bad-fault-plan', this.spec.name, detail));
    }
    const w = this.words;
    for (let slot = 0; slot < DISK_FAULT_SLOTS; slot++) {
      const base = W_SLOTS + slot * SLOT_WORDS;
      if (Atomics.load(w, base) !== 0) continue;
      // Fields first, `times` last: the consumer only reads a slot whose times is non-zero.
      Atomics.store(w, base + 1, OP_CODE[op]);
      Atomics.store(w, base + 2, lba);
      Atomics.store(w, base + 3, count);
      Atomics.store(w, base, times);
      return ok(undefined);
    }
    const detail = `${DISK_FAULT_SLOTS} plans already pending`;
    return err(diskError('fault-table-full', this.spec.name, detail));
  }

  /** Drops every pending planned failure (the run's side, e.g. at "heal"). */
  clearFailures(): void {
    for (let slot = 0; slot < DISK_FAULT_SLOTS; slot++) {
      Atomics.store(this.words, W_SLOTS + slot * SLOT_WORDS, 0);
    }
  }

  /** Plans a slowness (the run's side); replaces one still pending. */
  injectSlowness(plan: DiskSlowness): Result<void, DiskError> {
    const { times, minMs, maxMs } = plan;
    const valid =
      Number.isSafeInteger(times) &&
      times >= 1 &&
      times <= 0x7fff_ffff &&
      isCount(minMs) &&
      isCount(maxMs) &&
      minMs <= maxMs &&
      maxMs <= 0x7fff_ffff;
    if (!valid) {
      const detail = `slowness ${JSON.stringify(plan)}: times ≥ 1, 0 ≤ minMs ≤ maxMs, whole ms`;
      return err(diskError('bad-fault-plan', this.spec.name, detail));
    }
    // Range first, `times` last: the consumer reads the range only while times is non-zero.
    Atomics.store(this.words, W_SLOW_MIN_MS, minMs);
    Atomics.store(this.words, W_SLOW_MAX_MS, maxMs);
    Atomics.store(this.words, W_SLOW_TIMES, times);
    return ok(undefined);
  }

  /** The IOSP's side: the service-time range of the command it starts now if it is slowed. */
  takeSlowness(): { readonly minMs: number; readonly maxMs: number } | null {
    const w = this.words;
    for (;;) {
      const times = Atomics.load(w, W_SLOW_TIMES);
      if (times <= 0) return null;
      const range = {
        minMs: Atomics.load(w, W_SLOW_MIN_MS),
        maxMs: Atomics.load(w, W_SLOW_MAX_MS),
      };
      if (Atomics.compareExchange(w, W_SLOW_TIMES, times, times - 1) === times) return range;
    }
  }

  /** Planned failures that have not yet fired all their times (for traces and checkers). */
  pendingFailures(): DiskFailurePlan[] {
    const out: DiskFailurePlan[] = [];
    for (let slot = 0; slot < DISK_FAULT_SLOTS; slot++) {
      const base = W_SLOTS + slot * SLOT_WORDS;
      const times = Atomics.load(this.words, base);
      if (times <= 0) continue;
      const op: DiskOp = Atomics.load(this.words, base + 1) === OP_CODE.read ? 'read' : 'write';
      const lba = Atomics.load(this.words, base + 2);
      out.push({ op, lba, count: Atomics.load(this.words, base + 3), times });
    }
    return out;
  }

  /** Planned failures that have fired so far, over the disk's whole life (fault counts per run). */
  firedFailures(): number {
    return Atomics.load(this.words, W_FIRED);
  }

  private checkRange(lba: number, count: number): Result<void, DiskError> {
    if (isCount(lba) && isCount(count) && lba + count <= this.spec.blocks) return ok(undefined);
    const detail = `blocks ${String(lba)}+${String(count)} outside 0..${this.spec.blocks}`;
    return err(diskError('out-of-range', this.spec.name, detail));
  }

  /** Fires the first pending plan matching the operation; returns its medium error or null. */
  private consumeFailure(op: DiskOp, lba: number, count: number): DiskError | null {
    const w = this.words;
    for (let slot = 0; slot < DISK_FAULT_SLOTS; slot++) {
      const base = W_SLOTS + slot * SLOT_WORDS;
      // `times` first: while it is non-zero the injector leaves the slot alone.
      const times = Atomics.load(w, base);
      if (times <= 0 || Atomics.load(w, base + 1) !== OP_CODE[op]) continue;
      const faultLba = Atomics.load(w, base + 2);
      const faultEnd = faultLba + Atomics.load(w, base + 3);
      if (lba >= faultEnd || faultLba >= lba + count) continue;
      // A lost race (a second consumer) means that operation took this firing; look further.
      if (Atomics.compareExchange(w, base, times, times - 1) !== times) continue;
      Atomics.add(w, W_FIRED, 1);
      const first = Math.max(lba, faultLba);
      const detail = `${op} of blocks ${lba}+${count} hit a planned medium error at ${first}`;
      return { ...diskError('medium-error', this.spec.name, detail), op, lba: first };
    }
    return null;
  }
}
