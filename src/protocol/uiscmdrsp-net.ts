// Codec for the network member of a vnic `uiscmdrsp` slot (cmdtype CMD_NET_TYPE; spar-protocol.md
// §4.3, §4.4.1, §4.4.3 `uiscmdrsp_net`, §4.4.4): receive posts, receives, transmits and their
// completions, and the enable/disable, promiscuous, link-status and MAC-address messages.
// Encoders write our own values and assert them (a bad value is our bug); the decoder reads bytes
// another partition wrote: it never throws, reads only the first `uiscmdrsp.sizeBytes` (1185)
// bytes, and returns typed errors. The encoders assert exactly what the decoder checks, so every
// encodable message decodes and every decoded message re-encodes.
//
// Choices (the reference leaves them open):
// - Pointers (`buf`, `rcvbuf[i]`, `context`) and u64s (`unique_num`, `pi_pfn`) are JS numbers.
//   A u64 above Number.MAX_SAFE_INTEGER is `pointer-too-large`, never a bigint or a rounded
//   number. So simulated guests use small opaque handles, not canonical x86-64 kernel addresses
//   (0xffff8880…), which this decoder would refuse.
// - A slot shorter than the 1185-byte struct is `short-slot`; the 31 padding bytes up to 1216 are
//   never read and `encodeNetInto` never writes them (the ring insert zeroes them, §1.6).
// - The enbdis and macaddr families carry no `buf`: it is encoded 0 (the guest sends NULL, §4.3
//   open step 3) and not read when decoding.
// - xmit: `num_frags` outside 1..MAX_PHYS_INFO is `bad-frag-count` (0 names no frame, more
//   overruns `frags[64]`). `len` outside ETH_HLEN..VISOR_ETH_MAX_MTU + ETH_HLEN is `bad-length`:
//   the guest drops frames without a whole Ethernet header (§4.3 transmit), and the header sizes
//   MAX_NET_RCV_CHAIN as ceil((16384 + 14) / 4032), so no receiving guest could take a longer
//   frame. The 60-byte padding is not required, since Era A guests need not pad. `len` ≠ the sum
//   of the frag lengths is `bad-length` too: the IOSP would send a different frame than the one
//   the guest described.
// - A `phys_info` (xmit frags and the rcvpost frag) names a piece of one 4 KiB page, so
//   `off + len > PI_PAGE_SIZE` is `bad-length`: the guest splits skb data at page boundaries, and
//   a receive buffer is sized (RCVPOST_BUF_SIZE, a page minus a cache line) to fit one page.
// - lincsum is encoded all zero (valid = 0) and not decoded: we do not model checksum offload.
//   The real guest sets valid = 1 (§4.3), but no IOSP decision in the simulation depends on it.
// - rcv: `numrcvbufs` outside 1..MAX_NET_RCV_CHAIN is `bad-chain`; pointers past the count are
//   ignored. The guest's own sanity checks (rcvbuf[0] = buf, rcv_done_len against the chain
//   length, unique_num) are left to the driver: on failure it must still recycle the buffers
//   (§4.3 NET_RCV row), which it could not do if the decoder had swallowed the message.
// - `enable` is any u16 (PROMISC sends IFF_PROMISC 0x100, §4.3) and `xmt_done_result` any u32
//   (the guest treats ≠ 0 as failure): interpreting them is the drivers' business.
// - Fields are read and written once each through little-endian byte helpers on the slot itself
//   at fixed offsets (checked against the layout descriptor at load): no DataView or StructView
//   per call and no module state, so `encodeNetInto` allocates nothing.

import { assert, unreachable } from '../base/assert.js';
import { err, ok, type Err, type Result } from '../base/result.js';
import { physInfo, uiscmdrsp } from './iochannel-layout.js';
import {
  CMD_NET_TYPE,
  ETH_HLEN,
  MAX_NET_RCV_CHAIN,
  MAX_PHYS_INFO,
  NET_CONNECT_STATUS,
  NET_MACADDR,
  NET_MACADDR_ACK,
  NET_RCV,
  NET_RCV_ENBDIS,
  NET_RCV_ENBDIS_ACK,
  NET_RCV_POST,
  NET_RCV_PROMISC,
  NET_XMIT,
  NET_XMIT_DONE,
  PI_PAGE_SIZE,
  SIZEOF_CMDRSP,
  VISOR_ETH_MAX_MTU,
} from './uiscmdrsp-constants.js';

/** `struct phys_info`: 4 KiB page frame number, offset in the page, length. */
export interface PhysInfo {
  readonly pfn: number;
  readonly off: number;
  readonly len: number;
}

/** One CMD_NET_TYPE message, by `net.type` (§4.4.1); pointers and u64s are safe integers. */
export type NetMessage =
  | {
      readonly kind: 'rcvPost';
      readonly buf: number;
      readonly frag: PhysInfo;
      readonly uniqueNum: number;
    }
  | {
      readonly kind: 'rcv';
      readonly buf: number;
      readonly rcvDoneLen: number;
      readonly rcvbufs: readonly number[];
      readonly uniqueNum: number;
      readonly rcvsDroppedDelta: number;
    }
  | {
      readonly kind: 'xmit';
      readonly buf: number;
      readonly len: number;
      readonly frags: readonly PhysInfo[];
      readonly ethhdr: Uint8Array;
    }
  | { readonly kind: 'xmitDone'; readonly buf: number; readonly result: number }
  | {
      readonly kind: 'enbdis' | 'enbdisAck' | 'promisc' | 'connectStatus';
      readonly context: number;
      readonly enable: number;
    }
  | { readonly kind: 'macaddr' | 'macaddrAck'; readonly context: number; readonly mac: Uint8Array };

/** Why slot bytes are not a usable network message. */
export type NetDecodeErrorCode =
  | 'short-slot'
  | 'not-net'
  | 'unknown-type'
  | 'pointer-too-large'
  | 'bad-frag-count'
  | 'bad-chain'
  | 'bad-length';

/** A typed decode error, never thrown; the message names field, actual and expected value. */
export interface NetDecodeError {
  readonly code: NetDecodeErrorCode;
  readonly message: string;
}

/**
 * Slot offsets of the fields this codec touches, copied from the §4.4.3 table; each is asserted
 * against the `uiscmdrsp` descriptor (offset and type) at load. Exported for the layout test.
 */
export const NET_FIELDS = {
  cmdtype: { field: 'cmdtype', type: 'u8', offset: 0 },
  type: { field: 'net.type', type: 'u32', offset: 1 },
  buf: { field: 'net.buf', type: 'ptr', offset: 5 },
  xmtLen: { field: 'net.xmt.len', type: 'i32', offset: 13 },
  xmtNumFrags: { field: 'net.xmt.num_frags', type: 'i32', offset: 17 },
  xmtFrags: { field: 'net.xmt.frags', type: `phys_info[${MAX_PHYS_INFO}]`, offset: 21 },
  xmtEthhdr: { field: 'net.xmt.ethhdr', type: `u8[${ETH_HLEN}]`, offset: 789 },
  xmtDoneResult: { field: 'net.xmtdone.xmt_done_result', type: 'u32', offset: 13 },
  rcvpostPfn: { field: 'net.rcvpost.frag.pi_pfn', type: 'u64', offset: 13 },
  rcvpostUniqueNum: { field: 'net.rcvpost.unique_num', type: 'u64', offset: 25 },
  rcvDoneLen: { field: 'net.rcv.rcv_done_len', type: 'u32', offset: 13 },
  rcvNumrcvbufs: { field: 'net.rcv.numrcvbufs', type: 'u8', offset: 17 },
  rcvRcvbuf: { field: 'net.rcv.rcvbuf', type: `ptr[${MAX_NET_RCV_CHAIN}]`, offset: 18 },
  rcvUniqueNum: { field: 'net.rcv.unique_num', type: 'u64', offset: 58 },
  rcvDroppedDelta: { field: 'net.rcv.rcvs_dropped_delta', type: 'u32', offset: 66 },
  enbdisContext: { field: 'net.enbdis.context', type: 'ptr', offset: 13 },
  enbdisEnable: { field: 'net.enbdis.enable', type: 'u16', offset: 21 },
  macContext: { field: 'net.macaddr.context', type: 'ptr', offset: 13 },
  macAddr: { field: 'net.macaddr.macaddr', type: 'u8[6]', offset: 21 },
} as const;

/** Byte offsets inside one `phys_info` (12 bytes), asserted against its descriptor at load. */
export const PHYS_INFO_FIELDS = { pfn: 0, off: 8, len: 10, sizeBytes: 12 } as const;

for (const { field, type, offset } of Object.values(NET_FIELDS)) {
  const actual = uiscmdrsp.field(field);
  assert(actual.offset === offset, `uiscmdrsp.${field} is at ${actual.offset}, not ${offset}`);
  assert(actual.type === type, `uiscmdrsp.${field} is ${actual.type}, not ${type}`);
}
for (const [name, offset] of [
  ['pi_pfn', 0],
  ['pi_off', 8],
  ['pi_len', 10],
] as const) {
  assert(physInfo.field(name).offset === offset, `phys_info.${name} is not at ${offset}`);
}
assert(physInfo.sizeBytes === PHYS_INFO_FIELDS.sizeBytes, 'phys_info size changed');

const STRUCT_BYTES = uiscmdrsp.sizeBytes;
const MAC_BYTES = 6;
const PTR_BYTES = 8;
/** Longest frame: a full VISOR_ETH_MAX_MTU payload plus its Ethernet header. */
const XMIT_LEN_MAX = VISOR_ETH_MAX_MTU + ETH_HLEN;
/** A u64 whose high word reaches 2^21 exceeds 2^53 - 1 (Number.MAX_SAFE_INTEGER). */
const HIGH_WORD_LIMIT = 2 ** 21;
const WORD = 2 ** 32;
const AT = Object.fromEntries(
  Object.entries(NET_FIELDS).map(([key, { offset }]) => [key, offset]),
) as Readonly<Record<keyof typeof NET_FIELDS, number>>;

type Kind = NetMessage['kind'];
const NET_TYPE_OF: Readonly<Record<Kind, number>> = {
  rcvPost: NET_RCV_POST,
  rcv: NET_RCV,
  xmit: NET_XMIT,
  xmitDone: NET_XMIT_DONE,
  enbdis: NET_RCV_ENBDIS,
  enbdisAck: NET_RCV_ENBDIS_ACK,
  promisc: NET_RCV_PROMISC,
  connectStatus: NET_CONNECT_STATUS,
  macaddr: NET_MACADDR,
  macaddrAck: NET_MACADDR_ACK,
};
/** `net.type` → kind; a hole or a value past the end is an unknown type. */
const KIND_OF_TYPE: readonly (Kind | undefined)[] = (() => {
  const kinds: (Kind | undefined)[] = [];
  for (const [kind, type] of Object.entries(NET_TYPE_OF)) kinds[type] = kind as Kind;
  assert(kinds.length === 10 && !kinds.includes(undefined), 'net.type values must be 0..9');
  return kinds;
})();

// --- little-endian helpers on the slot bytes (callers stay inside the 1185-byte struct) ---

function readU16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

function readU32(b: Uint8Array, at: number): number {
  return readU16(b, at) + readU16(b, at + 2) * 0x1_0000;
}

function readI32(b: Uint8Array, at: number): number {
  return readU32(b, at) | 0;
}

/** A u64 as a safe integer, or null when it exceeds Number.MAX_SAFE_INTEGER. */
function readU64(b: Uint8Array, at: number): number | null {
  const high = readU32(b, at + 4);
  return high >= HIGH_WORD_LIMIT ? null : high * WORD + readU32(b, at);
}

function writeU16(b: Uint8Array, at: number, value: number, name: string): void {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xffff, `${name}: ${value} not a u16`);
  b[at] = value & 0xff;
  b[at + 1] = value >>> 8;
}

function writeU32(b: Uint8Array, at: number, value: number, name: string): void {
  assert(Number.isInteger(value) && value >= 0 && value < WORD, `${name}: ${value} not a u32`);
  b[at] = value & 0xff;
  b[at + 1] = (value >>> 8) & 0xff;
  b[at + 2] = (value >>> 16) & 0xff;
  b[at + 3] = value >>> 24;
}

function writeU64(b: Uint8Array, at: number, value: number, name: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${name}: ${value} is not a safe u64`);
  writeU32(b, at, value % WORD, name);
  writeU32(b, at + 4, Math.floor(value / WORD), name);
}

// --- errors ---

type Failure = Err<NetDecodeError>;

function failure(
  code: NetDecodeErrorCode,
  field: string,
  expected: string,
  actual: string | number,
): Failure {
  return err({ code, message: `${code}: ${field} is ${actual}, expected ${expected}` });
}

function tooLarge(b: Uint8Array, at: number, field: string): Failure {
  const hex = (word: number) => readU32(b, word).toString(16).padStart(8, '0');
  return failure('pointer-too-large', field, '<= 2^53 - 1', `0x${hex(at + 4)}_${hex(at)}`);
}

/** `field[index]`, or `field` for index null; built only on error paths. */
function nth(field: string, index: number | null): string {
  return index === null ? field : `${field}[${index}]`;
}

// --- phys_info ---

function writePhysInfo(b: Uint8Array, at: number, frag: PhysInfo, name: string): void {
  const end = frag.off + frag.len;
  assert(end <= PI_PAGE_SIZE, `${name}: off ${frag.off} + len ${frag.len} crosses a page`);
  writeU64(b, at + PHYS_INFO_FIELDS.pfn, frag.pfn, `${name}.pi_pfn`);
  writeU16(b, at + PHYS_INFO_FIELDS.off, frag.off, `${name}.pi_off`);
  writeU16(b, at + PHYS_INFO_FIELDS.len, frag.len, `${name}.pi_len`);
}

/** A phys_info, or the error that makes it unusable (`field[index]` names it). */
function readPhysInfo(
  b: Uint8Array,
  at: number,
  field: string,
  index: number | null,
): PhysInfo | Failure {
  const pfn = readU64(b, at + PHYS_INFO_FIELDS.pfn);
  if (pfn === null) return tooLarge(b, at + PHYS_INFO_FIELDS.pfn, `${nth(field, index)}.pi_pfn`);
  const off = readU16(b, at + PHYS_INFO_FIELDS.off);
  const len = readU16(b, at + PHYS_INFO_FIELDS.len);
  if (off + len > PI_PAGE_SIZE) {
    const name = `${nth(field, index)}.pi_off + pi_len`;
    return failure('bad-length', name, `<= ${PI_PAGE_SIZE}`, off + len);
  }
  return { pfn, off, len };
}

// --- encode ---

/**
 * Encodes into a fresh SIZEOF_CMDRSP (1216-byte) slot, cmdtype = CMD_NET_TYPE. Asserts our own
 * values.
 */
export function encodeNet(msg: NetMessage): Uint8Array {
  const slot = new Uint8Array(SIZEOF_CMDRSP);
  encodeNetInto(slot, msg);
  return slot;
}

/**
 * Same, into a caller's slot (zeroes the first 1185 bytes first) — no allocation on the hot
 * path.
 */
export function encodeNetInto(slot: Uint8Array, msg: NetMessage): void {
  assert(slot.length >= STRUCT_BYTES, `slot of ${slot.length} bytes, need ${STRUCT_BYTES}`);
  slot.fill(0, 0, STRUCT_BYTES);
  slot[AT.cmdtype] = CMD_NET_TYPE;
  writeU32(slot, AT.type, NET_TYPE_OF[msg.kind], 'net.type');
  switch (msg.kind) {
    case 'rcvPost':
      writeU64(slot, AT.buf, msg.buf, 'net.buf');
      writePhysInfo(slot, AT.rcvpostPfn, msg.frag, 'net.rcvpost.frag');
      writeU64(slot, AT.rcvpostUniqueNum, msg.uniqueNum, 'net.rcvpost.unique_num');
      return;
    case 'rcv':
      encodeRcv(slot, msg);
      return;
    case 'xmit':
      encodeXmit(slot, msg);
      return;
    case 'xmitDone':
      writeU64(slot, AT.buf, msg.buf, 'net.buf');
      writeU32(slot, AT.xmtDoneResult, msg.result, 'net.xmtdone.xmt_done_result');
      return;
    case 'enbdis':
    case 'enbdisAck':
    case 'promisc':
    case 'connectStatus':
      writeU64(slot, AT.enbdisContext, msg.context, 'net.enbdis.context');
      writeU16(slot, AT.enbdisEnable, msg.enable, 'net.enbdis.enable');
      return;
    case 'macaddr':
    case 'macaddrAck':
      assert(msg.mac.length === MAC_BYTES, `MAC of ${msg.mac.length} bytes, expected ${MAC_BYTES}`);
      writeU64(slot, AT.macContext, msg.context, 'net.macaddr.context');
      slot.set(msg.mac, AT.macAddr);
      return;
    default:
      unreachable(msg, 'unknown NetMessage kind');
  }
}

function encodeRcv(slot: Uint8Array, msg: Extract<NetMessage, { kind: 'rcv' }>): void {
  const count = msg.rcvbufs.length;
  assert(count >= 1 && count <= MAX_NET_RCV_CHAIN, `${count} rcvbufs, not 1..${MAX_NET_RCV_CHAIN}`);
  writeU64(slot, AT.buf, msg.buf, 'net.buf');
  writeU32(slot, AT.rcvDoneLen, msg.rcvDoneLen, 'net.rcv.rcv_done_len');
  slot[AT.rcvNumrcvbufs] = count;
  for (let i = 0; i < count; i++) {
    writeU64(slot, AT.rcvRcvbuf + i * PTR_BYTES, msg.rcvbufs[i] as number, 'net.rcv.rcvbuf');
  }
  writeU64(slot, AT.rcvUniqueNum, msg.uniqueNum, 'net.rcv.unique_num');
  writeU32(slot, AT.rcvDroppedDelta, msg.rcvsDroppedDelta, 'net.rcv.rcvs_dropped_delta');
}

function encodeXmit(slot: Uint8Array, msg: Extract<NetMessage, { kind: 'xmit' }>): void {
  const { frags, len } = msg;
  const count = frags.length;
  assert(count >= 1 && count <= MAX_PHYS_INFO, `${count} frags, expected 1..${MAX_PHYS_INFO}`);
  assert(len >= ETH_HLEN && len <= XMIT_LEN_MAX, `xmt.len ${len} not ${ETH_HLEN}..${XMIT_LEN_MAX}`);
  assert(msg.ethhdr.length === ETH_HLEN, `ethhdr of ${msg.ethhdr.length} bytes, not ${ETH_HLEN}`);
  writeU64(slot, AT.buf, msg.buf, 'net.buf');
  let total = 0;
  for (let i = 0; i < count; i++) {
    const frag = frags[i] as PhysInfo;
    writePhysInfo(slot, AT.xmtFrags + i * PHYS_INFO_FIELDS.sizeBytes, frag, 'net.xmt.frags');
    total += frag.len;
  }
  assert(total === len, `xmt.len ${len} differs from the frag total ${total}`);
  // Both fit an i32 (asserted above); lincsum stays zero: valid = 0, no checksum offload.
  writeU32(slot, AT.xmtLen, len, 'net.xmt.len');
  writeU32(slot, AT.xmtNumFrags, count, 'net.xmt.num_frags');
  slot.set(msg.ethhdr, AT.xmtEthhdr);
}

// --- decode ---

/** Reads bytes another partition wrote: never throws, reads only the first 1185 bytes. */
export function decodeNet(slot: Uint8Array): Result<NetMessage, NetDecodeError> {
  if (slot.length < STRUCT_BYTES) {
    return failure('short-slot', 'uiscmdrsp', `>= ${STRUCT_BYTES} bytes`, `${slot.length} bytes`);
  }
  const cmdtype = slot[AT.cmdtype] as number;
  if (cmdtype !== CMD_NET_TYPE) return failure('not-net', 'cmdtype', String(CMD_NET_TYPE), cmdtype);
  const type = readU32(slot, AT.type);
  const kind = KIND_OF_TYPE[type];
  if (kind === undefined) {
    return failure('unknown-type', 'net.type', `${NET_RCV_POST}..${NET_MACADDR_ACK}`, type);
  }
  switch (kind) {
    case 'enbdis':
    case 'enbdisAck':
    case 'promisc':
    case 'connectStatus': {
      const context = readU64(slot, AT.enbdisContext);
      if (context === null) return tooLarge(slot, AT.enbdisContext, 'net.enbdis.context');
      return ok({ kind, context, enable: readU16(slot, AT.enbdisEnable) });
    }
    case 'macaddr':
    case 'macaddrAck': {
      const context = readU64(slot, AT.macContext);
      if (context === null) return tooLarge(slot, AT.macContext, 'net.macaddr.context');
      return ok({ kind, context, mac: slot.slice(AT.macAddr, AT.macAddr + MAC_BYTES) });
    }
    default:
      return decodeWithBuf(slot, kind);
  }
}

/** The four types keyed by the guest's skb pointer in `net.buf`. */
function decodeWithBuf(
  slot: Uint8Array,
  kind: 'rcvPost' | 'rcv' | 'xmit' | 'xmitDone',
): Result<NetMessage, NetDecodeError> {
  const buf = readU64(slot, AT.buf);
  if (buf === null) return tooLarge(slot, AT.buf, 'net.buf');
  switch (kind) {
    case 'rcvPost':
      return decodeRcvPost(slot, buf);
    case 'rcv':
      return decodeRcv(slot, buf);
    case 'xmit':
      return decodeXmit(slot, buf);
    case 'xmitDone':
      return ok({ kind, buf, result: readU32(slot, AT.xmtDoneResult) });
  }
}

function decodeRcvPost(slot: Uint8Array, buf: number): Result<NetMessage, NetDecodeError> {
  const frag = readPhysInfo(slot, AT.rcvpostPfn, 'net.rcvpost.frag', null);
  if ('ok' in frag) return frag;
  const uniqueNum = readU64(slot, AT.rcvpostUniqueNum);
  if (uniqueNum === null) return tooLarge(slot, AT.rcvpostUniqueNum, 'net.rcvpost.unique_num');
  return ok({ kind: 'rcvPost', buf, frag, uniqueNum });
}

function decodeRcv(slot: Uint8Array, buf: number): Result<NetMessage, NetDecodeError> {
  const count = slot[AT.rcvNumrcvbufs] as number;
  if (count < 1 || count > MAX_NET_RCV_CHAIN) {
    return failure('bad-chain', 'net.rcv.numrcvbufs', `1..${MAX_NET_RCV_CHAIN}`, count);
  }
  const rcvbufs: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = AT.rcvRcvbuf + i * PTR_BYTES;
    const pointer = readU64(slot, at);
    if (pointer === null) return tooLarge(slot, at, nth('net.rcv.rcvbuf', i));
    rcvbufs.push(pointer);
  }
  const uniqueNum = readU64(slot, AT.rcvUniqueNum);
  if (uniqueNum === null) return tooLarge(slot, AT.rcvUniqueNum, 'net.rcv.unique_num');
  const rcvDoneLen = readU32(slot, AT.rcvDoneLen);
  const rcvsDroppedDelta = readU32(slot, AT.rcvDroppedDelta);
  return ok({ kind: 'rcv', buf, rcvDoneLen, rcvbufs, uniqueNum, rcvsDroppedDelta });
}

function decodeXmit(slot: Uint8Array, buf: number): Result<NetMessage, NetDecodeError> {
  const numFrags = readI32(slot, AT.xmtNumFrags);
  if (numFrags < 1 || numFrags > MAX_PHYS_INFO) {
    return failure('bad-frag-count', 'net.xmt.num_frags', `1..${MAX_PHYS_INFO}`, numFrags);
  }
  const len = readI32(slot, AT.xmtLen);
  if (len < ETH_HLEN || len > XMIT_LEN_MAX) {
    return failure('bad-length', 'net.xmt.len', `${ETH_HLEN}..${XMIT_LEN_MAX}`, len);
  }
  const frags: PhysInfo[] = [];
  let total = 0;
  for (let i = 0; i < numFrags; i++) {
    const at = AT.xmtFrags + i * PHYS_INFO_FIELDS.sizeBytes;
    const frag = readPhysInfo(slot, at, 'net.xmt.frags', i);
    if ('ok' in frag) return frag;
    frags.push(frag);
    total += frag.len;
  }
  if (total !== len) {
    return failure('bad-length', 'net.xmt.len', `${total} (the sum of frag lengths)`, len);
  }
  const ethhdr = slot.slice(AT.xmtEthhdr, AT.xmtEthhdr + ETH_HLEN);
  return ok({ kind: 'xmit', buf, len, frags, ethhdr });
}
