// Encoders of the vnic `uiscmdrsp` network member (spar-protocol.md §4.3, §4.4.3, §4.4.4). They
// write our own values and assert exactly what uiscmdrsp-net-decode.ts checks (a bad value is our
// bug), so every encodable message decodes.
//
// Choices (the reference leaves them open):
// - Only the 1185-byte struct is written; the 31 padding bytes up to 1216 are left alone (the
//   ring insert zeroes them, §1.6).
// - The enbdis and macaddr families carry no `buf`: it stays 0 (the guest sends NULL, §4.3 open
//   step 3).
// - lincsum stays all zero (valid = 0): we do not model checksum offload. The real guest sets
//   valid = 1 (§4.3), but no IOSP decision in the simulation depends on it.

import { assert, unreachable } from '../base/assert.js';
import {
  CMD_NET_TYPE,
  ETH_HLEN,
  MAX_NET_RCV_CHAIN,
  MAX_PHYS_INFO,
  PI_PAGE_SIZE,
  SIZEOF_CMDRSP,
} from './uiscmdrsp-constants.js';
import {
  AT,
  MAC_BYTES,
  NET_TYPE_OF,
  PHYS_INFO_FIELDS,
  PTR_BYTES,
  STRUCT_BYTES,
  XMIT_LEN_MAX,
  writeU16,
  writeU32,
  writeU64,
} from './uiscmdrsp-net-layout.js';
import type { NetMessage, PhysInfo } from './uiscmdrsp-net-message.js';

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

function writePhysInfo(b: Uint8Array, at: number, frag: PhysInfo, name: string): void {
  const end = frag.off + frag.len;
  assert(end <= PI_PAGE_SIZE, `${name}: off ${frag.off} + len ${frag.len} crosses a page`);
  writeU64(b, at + PHYS_INFO_FIELDS.pfn, frag.pfn, `${name}.pi_pfn`);
  writeU16(b, at + PHYS_INFO_FIELDS.off, frag.off, `${name}.pi_off`);
  writeU16(b, at + PHYS_INFO_FIELDS.len, frag.len, `${name}.pi_len`);
}
