// The Ethernet frames spar-sim puts on its virtual wires (spar-protocol.md §4.3: visornic carries
// plain Ethernet frames; the IOSP's virtual switch and the outside endpoint interpret them).
// Pure byte codecs: Ethernet II, ARP for IPv4 over Ethernet (RFC 826), IPv4 (RFC 791) carrying
// ICMP echo request/reply (RFC 792), with a probe tag in the echo data so a workload can check
// a flow end to end. No behaviour, no clocks, no randomness.
//
// Choices:
// - A MAC is a 48-bit number and an IP a u32, both in wire order (first byte most significant),
//   so they compare with `===` and key a Map without allocating. MAC arithmetic never uses the
//   32-bit bitwise operators.
// - Multi-byte fields are big-endian (network order), read and written byte by byte: no
//   DataView per call. The tag's float64 goes through one module-level 8-byte scratch buffer.
// - Built frames carry no FCS (visornic hands frames without it) and are padded with zeros to
//   ETH_MIN_PACKET_SIZE, as visornic pads short transmits (§4.3).
// - Echo frames are 60..ETH_FRAME_LEN (1514) bytes: the outside is standard 1500-MTU Ethernet, so
//   the builder never fragments and never needs IP options. IPv4 identification is 0 with DF
//   set (an atomic datagram, RFC 6864), so building is a pure function of the spec.
// - ICMP data is the tag (if any), then fill bytes `offset & 0xff` (offset within the data), the
//   way ping fills after its timestamp; deterministic, and easy to spot in a dump.
// - Parsing: ARP other than Ethernet/IPv4, IPv4 fragments, other IP protocols, non-echo ICMP and
//   other ethertypes all parse as 'other' (the simulation carries them but does not interpret
//   them). The ICMP checksum is verified for echo only, over the IP payload; bytes past the IP
//   total length are Ethernet padding and ignored. `len` is the whole frame length.
// - A tag whose sentAtMs is not finite (NaN, ±Infinity) is not one of ours and parses as null,
//   so every ProbeTag handed out is valid input to buildFrame (an echo reply never asserts).
//
// Layout and byte access: ethernet-wire.ts; parsing: ethernet-parse.ts (re-exported here).

import { assert } from '../../base/assert.js';
import { ETH_HLEN, ETH_MIN_PACKET_SIZE } from '../../protocol/uiscmdrsp-constants.js';
import {
  ECHO_DATA,
  ETH_DST,
  ETH_FRAME_LEN,
  ETH_SRC,
  ETH_TYPE,
  ARP_HLEN,
  ARP_HTYPE,
  ARP_OP,
  ARP_PLEN,
  ARP_PTYPE,
  ARP_SHA,
  ARP_SPA,
  ARP_THA,
  ARP_TPA,
  BROADCAST_MAC,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ICMP_CSUM,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_ID,
  ICMP_SEQ,
  ICMP_TYPE,
  internetChecksum,
  IP_CSUM,
  IP_DF,
  IP_DST,
  IP_FLAGS_FRAG,
  IP_HEADER_BYTES,
  IP_ID,
  IP_PROTO,
  IP_PROTO_ICMP,
  IP_SRC,
  IP_TOTAL_LEN,
  IP_TTL,
  IP_TTL_DEFAULT,
  IP_VER_IHL,
  isMac,
  isU16,
  isU32,
  MAC_BYTES,
  PROBE_TAG_BYTES,
  scratch,
  TAG_FLOW,
  TAG_MAGIC,
  TAG_SEQ,
  TAG_SENT_AT,
  write16,
  write32,
  writeMac,
  type Ip,
  type Mac,
} from './ethernet-wire.js';

export {
  BROADCAST_MAC,
  ETH_FRAME_LEN,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  type Ip,
  internetChecksum,
  type Mac,
  PROBE_TAG_BYTES,
  readMac,
  writeMac,
} from './ethernet-wire.js';
export { parseFrame } from './ethernet-parse.js';

/**
 * The tag spar-sim puts at the start of ICMP echo data so flows can be checked end to end
 * (echoed back in replies).
 */
export interface ProbeTag {
  /** Flow number (u32) chosen by the workload. */
  readonly flow: number;
  /** Probe sequence number within the flow (u32). */
  readonly seq: number;
  /** Sender's virtual time at send, in milliseconds (float64). */
  readonly sentAtMs: number;
}

/** What {@link buildFrame} builds. */
export type FrameSpec =
  | {
      readonly kind: 'arp';
      readonly op: 1 | 2;
      readonly srcMac: Mac;
      readonly dstMac: Mac;
      readonly senderMac: Mac;
      readonly senderIp: Ip;
      readonly targetMac: Mac;
      readonly targetIp: Ip;
    }
  | {
      readonly kind: 'echo';
      /** 8 = echo request, 0 = echo reply. */
      readonly type: 8 | 0;
      readonly srcMac: Mac;
      readonly dstMac: Mac;
      readonly srcIp: Ip;
      readonly dstIp: Ip;
      /** ICMP identifier (u16). */
      readonly id: number;
      /** ICMP sequence number (u16). */
      readonly seq: number;
      /** Whole frame length in bytes, 60..ETH_FRAME_LEN. */
      readonly frameBytes: number;
      readonly tag: ProbeTag | null;
    };

/** What {@link parseFrame} found; `len` is the whole frame length in bytes. */
export type ParsedFrame =
  | {
      readonly kind: 'arp';
      readonly dst: Mac;
      readonly src: Mac;
      readonly len: number;
      readonly op: number;
      readonly senderMac: Mac;
      readonly senderIp: Ip;
      readonly targetMac: Mac;
      readonly targetIp: Ip;
    }
  | {
      readonly kind: 'echo';
      readonly dst: Mac;
      readonly src: Mac;
      readonly len: number;
      readonly type: 8 | 0;
      readonly srcIp: Ip;
      readonly dstIp: Ip;
      readonly id: number;
      readonly seq: number;
      readonly tag: ProbeTag | null;
    }
  | {
      readonly kind: 'other';
      readonly dst: Mac;
      readonly src: Mac;
      readonly len: number;
      readonly ethertype: number;
    };

/** Why a frame could not be parsed. */
export type FrameErrorCode =
  | 'short-frame'
  | 'bad-ip-header'
  | 'bad-ip-checksum'
  | 'bad-icmp-checksum'
  | 'truncated';
/** A parse failure: code and a one-line message naming the field. */
export interface FrameError {
  readonly code: FrameErrorCode;
  readonly message: string;
}

/** "02:53:50:00:01:00". */
export function macString(mac: Mac): string {
  const bytes = new Uint8Array(MAC_BYTES);
  writeMac(bytes, 0, mac);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** "10.0.1.2". */
export function ipString(ip: Ip): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** True for a group address (I/G bit, bit 0 of the first byte): broadcast or multicast. */
export function isGroupMac(mac: Mac): boolean {
  return (Math.floor(mac / 2 ** 40) & 1) === 1;
}

/**
 * Frame bytes (no FCS), padded with zeros to ETH_MIN_PACKET_SIZE (60). For echo, `frameBytes` is
 * the whole frame length (60..1514): IPv4 header 20 bytes (TTL 64, DF, correct header checksum),
 * ICMP header 8 + data (tag first, then a deterministic fill byte pattern), correct ICMP
 * checksum. Asserts our own values (frameBytes too small to hold the tag when tag given, etc.).
 */
export function buildFrame(spec: FrameSpec): Uint8Array {
  assert(isMac(spec.srcMac) && isMac(spec.dstMac), 'frame MACs are 48-bit integers');
  const frame = spec.kind === 'arp' ? buildArp(spec) : buildEcho(spec);
  assert(frame.length >= ETH_MIN_PACKET_SIZE, 'a built frame is padded to the minimum');
  assert(frame.length === frameLengthOf(spec), 'a built frame is as long as its spec says');
  return frame;
}

/** The length in bytes of the frame {@link buildFrame} builds from `spec`, without building it. */
export function frameLengthOf(spec: FrameSpec): number {
  return spec.kind === 'arp' ? ETH_MIN_PACKET_SIZE : spec.frameBytes;
}

function buildArp(spec: Extract<FrameSpec, { kind: 'arp' }>): Uint8Array {
  assert(spec.op === 1 || spec.op === 2, `ARP op ${spec.op} is 1 or 2`);
  assert(isMac(spec.senderMac) && isMac(spec.targetMac), 'ARP MACs are 48-bit integers');
  assert(isU32(spec.senderIp) && isU32(spec.targetIp), 'ARP IPs are u32');
  const f = new Uint8Array(ETH_MIN_PACKET_SIZE);
  writeEthHeader(f, spec.dstMac, spec.srcMac, ETHERTYPE_ARP);
  write16(f, ARP_HTYPE, 1);
  write16(f, ARP_PTYPE, ETHERTYPE_IPV4);
  f[ARP_HLEN] = MAC_BYTES;
  f[ARP_PLEN] = 4;
  write16(f, ARP_OP, spec.op);
  writeMac(f, ARP_SHA, spec.senderMac);
  write32(f, ARP_SPA, spec.senderIp);
  writeMac(f, ARP_THA, spec.targetMac);
  write32(f, ARP_TPA, spec.targetIp);
  return f;
}

function buildEcho(spec: Extract<FrameSpec, { kind: 'echo' }>): Uint8Array {
  const n = spec.frameBytes;
  assert(Number.isInteger(n) && n >= ETH_MIN_PACKET_SIZE, `echo frame of ${n} bytes is >= 60`);
  assert(n <= ETH_FRAME_LEN, `echo frame of ${n} bytes fits a 1500-MTU link`);
  assert(spec.type === ICMP_ECHO_REQUEST || spec.type === ICMP_ECHO_REPLY, 'ICMP type is 8 or 0');
  assert(isU16(spec.id) && isU16(spec.seq), 'ICMP id and seq are u16');
  assert(isU32(spec.srcIp) && isU32(spec.dstIp), 'echo IPs are u32');
  assert(spec.tag === null || n >= ECHO_DATA + PROBE_TAG_BYTES, `${n} bytes hold the probe tag`);
  const f = new Uint8Array(n);
  writeEthHeader(f, spec.dstMac, spec.srcMac, ETHERTYPE_IPV4);
  f[IP_VER_IHL] = 0x45;
  write16(f, IP_TOTAL_LEN, n - ETH_HLEN);
  write16(f, IP_ID, 0);
  write16(f, IP_FLAGS_FRAG, IP_DF);
  f[IP_TTL] = IP_TTL_DEFAULT;
  f[IP_PROTO] = IP_PROTO_ICMP;
  write32(f, IP_SRC, spec.srcIp);
  write32(f, IP_DST, spec.dstIp);
  write16(f, IP_CSUM, internetChecksum(f, ETH_HLEN, ETH_HLEN + IP_HEADER_BYTES));
  const icmp = ETH_HLEN + IP_HEADER_BYTES;
  f[icmp + ICMP_TYPE] = spec.type;
  write16(f, icmp + ICMP_ID, spec.id);
  write16(f, icmp + ICMP_SEQ, spec.seq);
  for (let at = ECHO_DATA; at < n; at++) f[at] = (at - ECHO_DATA) & 0xff;
  if (spec.tag !== null) writeTag(f, ECHO_DATA, spec.tag);
  write16(f, icmp + ICMP_CSUM, internetChecksum(f, icmp, n));
  return f;
}

function writeEthHeader(f: Uint8Array, dst: Mac, src: Mac, ethertype: number): void {
  writeMac(f, ETH_DST, dst);
  writeMac(f, ETH_SRC, src);
  write16(f, ETH_TYPE, ethertype);
}

function writeTag(f: Uint8Array, at: number, tag: ProbeTag): void {
  assert(isU32(tag.flow) && isU32(tag.seq), 'probe flow and seq are u32');
  assert(Number.isFinite(tag.sentAtMs), 'probe sentAtMs is finite');
  f.set(TAG_MAGIC, at);
  write32(f, at + TAG_FLOW, tag.flow);
  write32(f, at + TAG_SEQ, tag.seq);
  scratch.setFloat64(0, tag.sentAtMs);
  for (let i = 0; i < 8; i++) f[at + TAG_SENT_AT + i] = scratch.getUint8(i);
}

/**
 * The echo reply a host with `mac` sends for a parsed echo request: addresses swapped, same
 * id/seq/tag/length.
 */
export function echoReplyFor(request: Extract<ParsedFrame, { kind: 'echo' }>, mac: Mac): FrameSpec {
  assert(request.type === ICMP_ECHO_REQUEST, 'only an echo request is answered');
  // A longer request cannot have crossed a 1500-MTU link: callers drop it before asking.
  assert(request.len <= ETH_FRAME_LEN, `echo request of ${request.len} bytes fits the link`);
  return {
    kind: 'echo',
    type: ICMP_ECHO_REPLY,
    srcMac: mac,
    dstMac: request.src,
    srcIp: request.dstIp,
    dstIp: request.srcIp,
    id: request.id,
    seq: request.seq,
    // An unpadded request (under 60 bytes) gets the padded minimum, as any Ethernet host sends.
    frameBytes: Math.max(request.len, ETH_MIN_PACKET_SIZE),
    tag: request.tag,
  };
}

/** The ARP reply a host with (`mac`, the request's targetIp) sends for a parsed ARP request. */
export function arpReplyFor(request: Extract<ParsedFrame, { kind: 'arp' }>, mac: Mac): FrameSpec {
  assert(request.op === 1, 'only an ARP request is answered');
  return {
    kind: 'arp',
    op: 2,
    srcMac: mac,
    dstMac: request.senderMac,
    senderMac: mac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  };
}

/**
 * How a receiving interface with `mac` classifies a frame's destination (visornic's receive
 * filter, §4.3).
 */
export function destinationClass(dst: Mac, mac: Mac): 'host' | 'broadcast' | 'multicast' | 'other' {
  if (dst === mac) return 'host';
  if (dst === BROADCAST_MAC) return 'broadcast';
  return isGroupMac(dst) ? 'multicast' : 'other';
}
