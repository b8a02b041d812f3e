// Where the vnic network member's fields sit in a `uiscmdrsp` slot (spar-protocol.md §4.4.1,
// §4.4.3), and the little-endian helpers the net encoder and decoder reach them with.
//
// Choice: each field is read and written once through these helpers on the slot itself, at fixed
// offsets checked against the layout descriptor at load: no DataView or StructView per call and
// no module state, so `encodeNetInto` allocates nothing.

import { assert } from '../base/assert.js';
import { physInfo, uiscmdrsp } from './iochannel-layout.js';
import {
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
  VISOR_ETH_MAX_MTU,
} from './uiscmdrsp-constants.js';
import type { NetMessage } from './uiscmdrsp-net-message.js';

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

/** Bytes of the `uiscmdrsp` struct (1185): all the codec reads or writes of a slot. */
export const STRUCT_BYTES = uiscmdrsp.sizeBytes;
/** Bytes of `net.macaddr.macaddr`. */
export const MAC_BYTES = 6;
/** Bytes of one `net.rcv.rcvbuf` pointer. */
export const PTR_BYTES = 8;
/** Longest frame: a full VISOR_ETH_MAX_MTU payload plus its Ethernet header. */
export const XMIT_LEN_MAX = VISOR_ETH_MAX_MTU + ETH_HLEN;
/** A u64 whose high word reaches 2^21 exceeds 2^53 - 1 (Number.MAX_SAFE_INTEGER). */
const HIGH_WORD_LIMIT = 2 ** 21;
const WORD = 2 ** 32;
/** `NET_FIELDS` offsets by key, the form the encoder and decoder index. */
export const AT = Object.fromEntries(
  Object.entries(NET_FIELDS).map(([key, { offset }]) => [key, offset]),
) as Readonly<Record<keyof typeof NET_FIELDS, number>>;

type Kind = NetMessage['kind'];
/** Kind → `net.type` (§4.4.1). */
export const NET_TYPE_OF: Readonly<Record<Kind, number>> = {
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
export const KIND_OF_TYPE: readonly (Kind | undefined)[] = (() => {
  const kinds: (Kind | undefined)[] = [];
  for (const [kind, type] of Object.entries(NET_TYPE_OF)) kinds[type] = kind as Kind;
  assert(kinds.length === 10 && !kinds.includes(undefined), 'net.type values must be 0..9');
  return kinds;
})();

// --- little-endian helpers on the slot bytes (callers stay inside the 1185-byte struct) ---

/** Reads a u16. */
export function readU16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

/** Reads a u32. */
export function readU32(b: Uint8Array, at: number): number {
  return readU16(b, at) + readU16(b, at + 2) * 0x1_0000;
}

/** Reads an i32. */
export function readI32(b: Uint8Array, at: number): number {
  return readU32(b, at) | 0;
}

/** A u64 as a safe integer, or null when it exceeds Number.MAX_SAFE_INTEGER. */
export function readU64(b: Uint8Array, at: number): number | null {
  const high = readU32(b, at + 4);
  return high >= HIGH_WORD_LIMIT ? null : high * WORD + readU32(b, at);
}

/** Writes a u16; asserts it fits (`name` is the field, for the message). */
export function writeU16(b: Uint8Array, at: number, value: number, name: string): void {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xffff, `${name}: ${value} not a u16`);
  b[at] = value & 0xff;
  b[at + 1] = value >>> 8;
}

/** Writes a u32; asserts it fits. */
export function writeU32(b: Uint8Array, at: number, value: number, name: string): void {
  assert(Number.isInteger(value) && value >= 0 && value < WORD, `${name}: ${value} not a u32`);
  b[at] = value & 0xff;
  b[at + 1] = (value >>> 8) & 0xff;
  b[at + 2] = (value >>> 16) & 0xff;
  b[at + 3] = value >>> 24;
}

/** Writes a u64 from a safe integer; asserts it is one. */
export function writeU64(b: Uint8Array, at: number, value: number, name: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${name}: ${value} is not a safe u64`);
  writeU32(b, at, value % WORD, name);
  writeU32(b, at + 4, Math.floor(value / WORD), name);
}
