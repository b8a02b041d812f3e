// Decoder of the vnic `uiscmdrsp` network member (spar-protocol.md §4.3, §4.4.1, §4.4.3). It reads
// bytes another partition wrote: it never throws, reads only the first `uiscmdrsp.sizeBytes`
// (1185) bytes, and returns typed errors. uiscmdrsp-net-encode.ts asserts the same rules, so every
// decoded message re-encodes.
//
// Choices (the reference leaves them open):
// - A slot shorter than the 1185-byte struct is `short-slot`; the padding up to 1216 is never read.
// - The enbdis and macaddr families carry no `buf`; it is not read.
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
// - lincsum is not decoded (checksum offload is not modelled).
// - rcv: `numrcvbufs` outside 1..MAX_NET_RCV_CHAIN is `bad-chain`; pointers past the count are
//   ignored. The guest's own sanity checks (rcvbuf[0] = buf, rcv_done_len against the chain
//   length, unique_num) are left to the driver: on failure it must still recycle the buffers
//   (§4.3 NET_RCV row), which it could not do if the decoder had swallowed the message.
// - `enable` is any u16 (PROMISC sends IFF_PROMISC 0x100, §4.3) and `xmt_done_result` any u32
//   (the guest treats ≠ 0 as failure): interpreting them is the drivers' business.

import { err, ok, type Err, type Result } from '../base/result.js';
import {
  CMD_NET_TYPE,
  ETH_HLEN,
  MAX_NET_RCV_CHAIN,
  MAX_PHYS_INFO,
  NET_MACADDR_ACK,
  NET_RCV_POST,
  PI_PAGE_SIZE,
} from './uiscmdrsp-constants.js';
import {
  AT,
  KIND_OF_TYPE,
  MAC_BYTES,
  PHYS_INFO_FIELDS,
  PTR_BYTES,
  STRUCT_BYTES,
  XMIT_LEN_MAX,
  readI32,
  readU16,
  readU32,
  readU64,
} from './uiscmdrsp-net-layout.js';
import type {
  NetDecodeError,
  NetDecodeErrorCode,
  NetMessage,
  PhysInfo,
} from './uiscmdrsp-net-message.js';

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
