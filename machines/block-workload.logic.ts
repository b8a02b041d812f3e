// The pure rules of the guest block workload: it keeps up to `queueDepth` reads and writes
// outstanding and checks every read against what was acknowledged, so an IOSP outage
// (spar-protocol.md §4.2 "Guarantee to the guest", §4.8) that loses or replays a write shows up as
// a failed verification. Not s-Par code: the filesystem/application above sd.
//
// Data pattern (verification needs no stored copy): a block of LBA `lba` written with version `v`
// (1 ≤ v < 2^20) holds, in every 8-byte little-endian word, the u64 `lba · 2^20 + v`; a block never
// written is all zeros (version 0). The host does the bytes, the machine compares versions.
// Randomness is handed in (STYLE §4): `seedWords`, pre-drawn from `prng.derive('<partition>/
// <name>')`, read cyclically, three per request (op, length, LBA; see `drawRequest`).
// Verification, exact for this schedule: a write never overlaps a write in flight (it is issued as
// a read of the same range instead), so each LBA has at most one write in flight. Per LBA the
// context keeps `acked` (last acknowledged version) and `possible` (versions written since: in
// flight, or failed, since a failed write may still have reached the disk). A read accepts the
// `acked` and `possible` versions at its submission plus every version written while it was out;
// an acknowledged write sets `acked` and clears `possible` (no lost write).

import { assert } from '../src/base/assert.js';
import type {
  BlockWorkloadInput,
  LbaState,
  WorkloadRequest,
  WorkloadCounts,
  LbaMap,
  BlockWorkloadContext,
  Mismatch,
  BlockWorkloadEmitted,
} from './block-workload.types.js';

/** For src/ importers (storage stack, guest host, write ledger) and guest-partition. */
export type {
  BlockWorkloadContext,
  BlockWorkloadInput,
  LbaMap,
  LbaState,
} from './block-workload.types.js';

/** Versions occupy the low 20 bits of a pattern word. */
export const VERSION_BITS = 20;
/** The first version that cannot be written. */
export const VERSION_LIMIT = 2 ** VERSION_BITS;
/** LBAs occupy the upper 44 bits. */
export const LBA_LIMIT = 2 ** 44;
/** Blocks per request when the input gives no maximum. */
export const DEFAULT_MAX_BLOCKS_PER_REQUEST = 8;

/** LBAs per chunk of the per-LBA map ({@link LbaMap}). */
export const LBA_CHUNK = 256;

/** Counters at zero. */
export const ZERO_WORKLOAD_COUNTS: WorkloadCounts = {
  submitted: 0,
  succeeded: 0,
  failed: 0,
  reads: 0,
  writes: 0,
  writesDeferredToReads: 0,
  verified: 0,
  verifyFailures: 0,
  unknownDones: 0,
  recoveryReads: 0,
};

/** The actor's systemId. */
export function blockWorkloadSystemId(input: { partition: string; name: string }): string {
  return `${input.partition}/block-workload:${input.name}`;
}

/** Initial context; a bad input is a host bug. */
export function initialWorkloadContext(input: BlockWorkloadInput): BlockWorkloadContext {
  const maxBlocksPerRequest = input.maxBlocksPerRequest ?? DEFAULT_MAX_BLOCKS_PER_REQUEST;
  const { queueDepth, blocks, blockSize, ops, writeFraction, seedWords } = input;
  const firstVersion = input.firstVersion ?? 1;
  const versionStep = input.versionStep ?? 1;
  const counts = { queueDepth, blocks, blockSize, maxBlocksPerRequest, firstVersion, versionStep };
  for (const [name, value] of Object.entries(counts)) {
    assert(Number.isSafeInteger(value) && value >= 1, `${name} ${value} must be ≥ 1`);
  }
  assert(blockSize % 8 === 0, `blockSize ${blockSize} is not a multiple of 8`);
  assert(blocks <= LBA_LIMIT, `a disk of ${blocks} blocks exceeds the pattern's LBA range`);
  assert(Number.isSafeInteger(ops) && ops >= 0, `ops ${ops} out of range`);
  const lastVersion = firstVersion + ops * versionStep;
  assert(lastVersion < VERSION_LIMIT, `${ops} writes from version ${firstVersion} overflow`);
  const { numerator, denominator } = writeFraction;
  assert(Number.isSafeInteger(denominator) && denominator > 0, 'writeFraction denominator > 0');
  assert(Number.isSafeInteger(numerator) && numerator >= 0, 'bad writeFraction numerator');
  assert(numerator <= denominator, 'writeFraction above 1');
  assert(ops === 0 || seedWords.length > 0, 'seedWords is empty');
  const isWord = (w: number) => Number.isSafeInteger(w) && w >= 0;
  assert(seedWords.every(isWord), 'seedWords must be non-negative integers');
  return {
    ...{ partition: input.partition, name: input.name, queueDepth, blocks, blockSize, ops },
    ...{ writeFraction, seedWords: [...seedWords], maxBlocksPerRequest },
    ...{ issued: 0, cursor: 0, nextVersion: firstVersion, versionStep, inFlight: [], lbas: {} },
    toVerify: [],
    counts: ZERO_WORKLOAD_COUNTS,
  };
}

/** `counts` with the named counters raised by one. */
export function bump(counts: WorkloadCounts, ...names: (keyof WorkloadCounts)[]): WorkloadCounts {
  const next = { ...counts };
  for (const name of names) next[name] += 1;
  return next;
}

const NEVER_WRITTEN: LbaState = { acked: 0, possible: [] };

/** The LBA state (never written: acked 0, nothing possible). */
export function lbaState(context: BlockWorkloadContext, lba: number): LbaState {
  return context.lbas[String(Math.floor(lba / LBA_CHUNK))]?.[lba % LBA_CHUNK] ?? NEVER_WRITTEN;
}

/**
 * `map` with the states of `[lba, lba + blocks)` replaced by `next(state, lba)`; only touched
 * chunks are copied.
 */
export function withLbaStates(
  map: LbaMap,
  lba: number,
  blocks: number,
  next: (state: LbaState, lba: number) => LbaState,
): LbaMap {
  const out: Record<string, readonly (LbaState | null)[]> = { ...map };
  const end = lba + blocks;
  for (let l = lba; l < end; ) {
    const chunkNo = Math.floor(l / LBA_CHUNK);
    const first = chunkNo * LBA_CHUNK;
    const key = String(chunkNo);
    const chunk = [...(map[key] ?? new Array<LbaState | null>(LBA_CHUNK).fill(null))];
    for (const chunkEnd = Math.min(end, first + LBA_CHUNK); l < chunkEnd; l++) {
      chunk[l - first] = next(chunk[l - first] ?? NEVER_WRITTEN, l);
    }
    out[key] = chunk;
  }
  return out;
}

/** Every LBA ever written with its state, in ascending LBA order. */
export function lbaEntries(map: LbaMap): [number, LbaState][] {
  const out: [number, LbaState][] = [];
  const chunks = Object.keys(map)
    .map(Number)
    .sort((a, b) => a - b);
  for (const c of chunks) {
    (map[String(c)] ?? []).forEach((state, i) => {
      if (state !== null) out.push([c * LBA_CHUNK + i, state]);
    });
  }
  return out;
}

/** The request the next three seed words describe, before the write-overlap rule. */
export function drawRequest(context: BlockWorkloadContext): {
  op: 'read' | 'write';
  lba: number;
  blocks: number;
} {
  const { seedWords, cursor } = context;
  const word = (k: number) => seedWords[(cursor + k) % seedWords.length] ?? 0;
  const { numerator, denominator } = context.writeFraction;
  const op = word(0) % denominator < numerator ? 'write' : 'read';
  const blocks = 1 + (word(1) % Math.min(context.maxBlocksPerRequest, context.blocks));
  const lba = word(2) % (context.blocks - blocks + 1);
  return { op, lba, blocks };
}

/** Whether a write is in flight to any block of `[lba, lba + blocks)`. */
export function overlapsWriteInFlight(
  context: BlockWorkloadContext,
  lba: number,
  blocks: number,
): boolean {
  for (const r of context.inFlight) {
    if (r.op === 'write' && r.lba < lba + blocks && lba < r.lba + r.blocks) return true;
  }
  return false;
}

/** The outstanding request with id `id`, if any. */
export function inFlightRequest(
  context: BlockWorkloadContext,
  id: number,
): WorkloadRequest | undefined {
  return context.inFlight.find((r) => r.id === id);
}

/** The LBAs of a range. */
export function lbasOf(lba: number, blocks: number): number[] {
  return Array.from({ length: blocks }, (_, i) => lba + i);
}

/** The next request and the context after issuing it (assumes `issued < ops`). */
export function issueNext(context: BlockWorkloadContext): {
  context: BlockWorkloadContext;
  effect: BlockWorkloadEmitted;
} {
  assert(context.issued < context.ops, 'every request was issued');
  const drawn = drawRequest(context);
  const deferred = drawn.op === 'write' && overlapsWriteInFlight(context, drawn.lba, drawn.blocks);
  const op = deferred ? 'read' : drawn.op;
  const { lba, blocks } = drawn;
  const id = context.issued;
  const base = {
    ...context,
    issued: id + 1,
    cursor: (context.cursor + 3) % context.seedWords.length,
  };
  const counts = bump(context.counts, 'submitted', op === 'write' ? 'writes' : 'reads');
  const next =
    op === 'write' ? issueWrite(base, id, lba, blocks) : issueRead(base, id, lba, blocks);
  const withCounts = { ...next, counts: deferred ? bump(counts, 'writesDeferredToReads') : counts };
  const version = op === 'write' ? context.nextVersion : null;
  const effect = {
    type: 'workload.submit',
    name: context.name,
    id,
    op,
    lba,
    blocks,
    blockSize: context.blockSize,
    version,
  } as const;
  return { context: withCounts, effect };
}

// A write takes the next version, makes it possible on each LBA and on each outstanding read of it.
// Only the reads whose range meets the write's are rebuilt; the others keep their identity.
function issueWrite(
  c: BlockWorkloadContext,
  id: number,
  lba: number,
  blocks: number,
): BlockWorkloadContext {
  const version = c.nextVersion;
  const lbas = withLbaStates(c.lbas, lba, blocks, (s) => ({
    acked: s.acked,
    possible: [...s.possible, version],
  }));
  const inFlight = c.inFlight.map((r) =>
    r.op === 'read' && r.lba < lba + blocks && lba < r.lba + r.blocks
      ? { ...r, allowed: allowWrite(r, lba, blocks, version) }
      : r,
  );
  inFlight.push({ id, op: 'write', lba, blocks, version, allowed: [] });
  return { ...c, nextVersion: version + c.versionStep, lbas, inFlight };
}

// The read's allowed lists with `version` added on the blocks the write covers (others shared).
function allowWrite(
  read: WorkloadRequest,
  lba: number,
  blocks: number,
  version: number,
): (readonly number[])[] {
  return read.allowed.map((versions, i) => {
    const l = read.lba + i;
    return l >= lba && l < lba + blocks ? [...versions, version] : versions;
  });
}

// A read records, per block, the acknowledged and possible versions at submission.
function issueRead(
  c: BlockWorkloadContext,
  id: number,
  lba: number,
  blocks: number,
): BlockWorkloadContext {
  const allowed = lbasOf(lba, blocks).map((l) => {
    const state = lbaState(c, l);
    return [state.acked, ...state.possible];
  });
  const request: WorkloadRequest = { id, op: 'read', lba, blocks, version: null, allowed };
  return { ...c, inFlight: [...c.inFlight, request] };
}

/** The LBA map after write `r` ended: acknowledged → the only valid version; failed → possible. */
export function settleWrite(
  c: BlockWorkloadContext,
  r: WorkloadRequest,
  ok: boolean,
): BlockWorkloadContext['lbas'] {
  assert(r.op === 'write' && r.version !== null, `request ${r.id} is a write`);
  if (!ok) return c.lbas;
  const settled: LbaState = { acked: r.version, possible: [] };
  return withLbaStates(c.lbas, r.lba, r.blocks, () => settled);
}

/**
 * The first block of a read whose data is not an allowed version, or null when all are; `data`
 * is what the read returned (missing or short: a mismatch at the first block it lacks).
 */
export function firstMismatch(
  r: WorkloadRequest,
  data: Uint8Array | undefined,
  blockSize: number,
): Mismatch | null {
  const versions = data === undefined ? undefined : blockVersions(data, r.lba, r.blocks, blockSize);
  for (let i = 0; i < r.blocks; i++) {
    const got = versions?.[i] ?? null;
    const allowed = r.allowed[i] ?? [];
    if (got === null || !allowed.includes(got)) return { lba: r.lba + i, got, allowed };
  }
  return versions !== undefined && versions.length === r.blocks
    ? null
    : { lba: r.lba + r.blocks, got: null, allowed: [] };
}

/** The block `expectedBlock(lba, version, blockSize)` that write `version` puts at `lba`. */
export function expectedBlock(lba: number, version: number, blockSize: number): Uint8Array {
  const block = new Uint8Array(blockSize);
  writeBlockPattern(block, lba, version);
  return block;
}

/**
 * Writes the block of write `version` to `lba` into `target` (one block: a multiple of 8 bytes), in
 * place: the guest fills its DMA buffers with it, without a block allocated per write.
 */
export function writeBlockPattern(target: Uint8Array, lba: number, version: number): void {
  assert(Number.isSafeInteger(lba) && lba >= 0 && lba < LBA_LIMIT, `LBA ${lba} out of range`);
  assert(Number.isSafeInteger(version) && version >= 0, `bad version ${version}`);
  assert(version < VERSION_LIMIT, `version ${version} needs more than ${VERSION_BITS} bits`);
  assert(
    target.length > 0 && target.length % 8 === 0,
    `block of ${target.length} bytes is not a multiple of 8`,
  );
  if (version === 0) return void target.fill(0);
  // lba · 2^20 + version as two little-endian 32-bit halves (exact: lba < 2^44).
  const lo = (lba % 2 ** (32 - VERSION_BITS)) * VERSION_LIMIT + version;
  const hi = Math.floor(lba / 2 ** (32 - VERSION_BITS));
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  for (let offset = 0; offset < target.length; offset += 8) {
    view.setUint32(offset, lo, true);
    view.setUint32(offset + 4, hi, true);
  }
}

/**
 * The version a block holds: 0 for all zeros, `v` when every word is `lba · 2^20 + v` with
 * v ≥ 1 (and, if `lba` is given, that LBA), else null (torn, foreign or misdirected data).
 */
export function versionsOf(block: Uint8Array, lba?: number): number | null {
  if (block.length === 0 || block.length % 8 !== 0) return null;
  // Words compared as two 32-bit halves: a bigint per word would allocate 64 per 512-byte block.
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  for (let offset = 8; offset < block.length; offset += 8) {
    if (view.getUint32(offset, true) !== lo || view.getUint32(offset + 4, true) !== hi) return null;
  }
  if (lo === 0 && hi === 0) return 0;
  const version = lo % VERSION_LIMIT; // the low 20 bits
  const at = hi * 2 ** (32 - VERSION_BITS) + Math.floor(lo / VERSION_LIMIT); // < 2^44: exact
  if (version === 0 || (lba !== undefined && at !== lba)) return null;
  return version;
}

/** `versionsOf` for each block of a read of `[lba, lba + blocks)` returned as one buffer. */
export function blockVersions(
  data: Uint8Array,
  lba: number,
  blocks: number,
  blockSize: number,
): (number | null)[] {
  return lbasOf(lba, blocks).map((l, i) => {
    const block = data.subarray(i * blockSize, (i + 1) * blockSize);
    return block.length === blockSize ? versionsOf(block, l) : null;
  });
}
