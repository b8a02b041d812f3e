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

import { assert } from '../../base/assert.js';
import { err, ok, type Result } from '../../base/result.js';
import { ETH_HLEN, ETH_MIN_PACKET_SIZE } from '../../protocol/uiscmdrsp-constants.js';

/** A 48-bit MAC address; the first wire byte is the most significant. */
export type Mac = number;
/** An IPv4 address as a u32; the first octet is the most significant. */
export type Ip = number;

/** ff:ff:ff:ff:ff:ff. */
export const BROADCAST_MAC: Mac = 0xffff_ffff_ffff;
/** EtherType of IPv4. */
export const ETHERTYPE_IPV4 = 0x0800;
/** EtherType of ARP. */
export const ETHERTYPE_ARP = 0x0806;
/** Largest frame without FCS on a 1500-MTU link (Linux `ETH_FRAME_LEN`), in bytes. */
export const ETH_FRAME_LEN = 1514;

const MAC_BYTES = 6;
const MAC_LIMIT = 2 ** 48;
const IP_PROTO_ICMP = 1;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;

// Ethernet II header: dst 0, src 6, ethertype 12; payload at ETH_HLEN (14).
const ETH_DST = 0;
const ETH_SRC = 6;
const ETH_TYPE = 12;
// ARP for IPv4 over Ethernet, offsets from the frame start (RFC 826).
const ARP_HTYPE = 14; // u16 hardware type, 1 = Ethernet
const ARP_PTYPE = 16; // u16 protocol type, 0x0800
const ARP_HLEN = 18; // u8 hardware address length, 6
const ARP_PLEN = 19; // u8 protocol address length, 4
const ARP_OP = 20; // u16 1 = request, 2 = reply
const ARP_SHA = 22; // sender MAC
const ARP_SPA = 28; // sender IP
const ARP_THA = 32; // target MAC
const ARP_TPA = 38; // target IP
const ARP_END = 42;
// IPv4 header without options, offsets from the frame start (RFC 791).
const IP_VER_IHL = 14; // u8 version 4 << 4 | header length in 32-bit words
const IP_TOTAL_LEN = 16; // u16 header + payload bytes
const IP_ID = 18; // u16 identification
const IP_FLAGS_FRAG = 20; // u16 flags (DF 0x4000, MF 0x2000) | fragment offset
const IP_TTL = 22; // u8
const IP_PROTO = 23; // u8 1 = ICMP
const IP_CSUM = 24; // u16 header checksum
const IP_SRC = 26; // u32
const IP_DST = 30; // u32
const IP_HEADER_BYTES = 20;
const IP_DF = 0x4000;
const IP_MF_OFFSET_MASK = 0x3fff;
const IP_TTL_DEFAULT = 64;
// ICMP echo, offsets from the ICMP start (RFC 792).
const ICMP_TYPE = 0; // u8
const ICMP_CODE = 1; // u8
const ICMP_CSUM = 2; // u16
const ICMP_ID = 4; // u16
const ICMP_SEQ = 6; // u16
const ICMP_HEADER_BYTES = 8;
const ECHO_DATA = ETH_HLEN + IP_HEADER_BYTES + ICMP_HEADER_BYTES; // 42: data start when built
assert(ARP_END === ETH_HLEN + 28, 'an IPv4-over-Ethernet ARP packet is 28 bytes');
assert(IP_DST + 4 === ETH_HLEN + IP_HEADER_BYTES, 'the IPv4 header without options is 20 bytes');

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
const TAG_MAGIC = [0x53, 0x50, 0x41, 0x52] as const; // "SPAR"
const TAG_FLOW = 4; // u32, offsets from the data start
const TAG_SEQ = 8; // u32
const TAG_SENT_AT = 12; // float64
/** Probe tag bytes: magic "SPAR", flow u32, seq u32, sentAtMs float64 (all big-endian). */
export const PROBE_TAG_BYTES = 20;
assert(TAG_SENT_AT + 8 === PROBE_TAG_BYTES, 'the probe tag layout is 20 bytes');
const scratch = new DataView(new ArrayBuffer(8));

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

/** Reads the 6-byte MAC at `at`. */
export function readMac(bytes: Uint8Array, at: number): Mac {
  assert(at >= 0 && at + MAC_BYTES <= bytes.length, `a MAC at ${at} fits ${bytes.length} bytes`);
  return read16(bytes, at) * 2 ** 32 + read32(bytes, at + 2);
}

/** Writes `mac` as 6 bytes at `at`. */
export function writeMac(bytes: Uint8Array, at: number, mac: Mac): void {
  assert(isMac(mac), `MAC ${mac} is a 48-bit integer`);
  assert(at >= 0 && at + MAC_BYTES <= bytes.length, `a MAC at ${at} fits ${bytes.length} bytes`);
  write16(bytes, at, Math.floor(mac / 2 ** 32));
  write32(bytes, at + 2, mac % 2 ** 32);
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
 * Parses bytes another partition wrote: never throws. Non-echo ICMP, other IP protocols and
 * other ethertypes → kind 'other'. A frame under 14 bytes → short-frame. Checksums verified.
 * `tag` is null unless the data starts with the magic and is long enough.
 */
export function parseFrame(bytes: Uint8Array): ParseResult {
  const len = bytes.length;
  if (len < ETH_HLEN) return fail('short-frame', `frame of ${len} bytes is under ${ETH_HLEN}`);
  const dst = readMac(bytes, ETH_DST);
  const src = readMac(bytes, ETH_SRC);
  const ethertype = read16(bytes, ETH_TYPE);
  const other: ParsedFrame = { kind: 'other', dst, src, len, ethertype };
  if (ethertype === ETHERTYPE_ARP) return parseArp(bytes, dst, src, other);
  if (ethertype === ETHERTYPE_IPV4) return parseIpv4(bytes, dst, src, other);
  return ok(other);
}

function parseArp(b: Uint8Array, dst: Mac, src: Mac, other: ParsedFrame): ParseResult {
  if (b.length < ARP_END) return fail('truncated', `ARP frame of ${b.length} bytes, under 42`);
  const isIpv4OverEthernet =
    read16(b, ARP_HTYPE) === 1 &&
    read16(b, ARP_PTYPE) === ETHERTYPE_IPV4 &&
    b[ARP_HLEN] === MAC_BYTES &&
    b[ARP_PLEN] === 4;
  if (!isIpv4OverEthernet) return ok(other);
  return ok({
    kind: 'arp',
    dst,
    src,
    len: b.length,
    op: read16(b, ARP_OP),
    senderMac: readMac(b, ARP_SHA),
    senderIp: read32(b, ARP_SPA),
    targetMac: readMac(b, ARP_THA),
    targetIp: read32(b, ARP_TPA),
  });
}

function parseIpv4(b: Uint8Array, dst: Mac, src: Mac, other: ParsedFrame): ParseResult {
  const len = b.length;
  if (len < ETH_HLEN + IP_HEADER_BYTES) return fail('truncated', `IPv4 frame of ${len} bytes`);
  const verIhl = b[IP_VER_IHL] ?? 0;
  const headerBytes = (verIhl & 0x0f) * 4;
  const totalBytes = read16(b, IP_TOTAL_LEN);
  if (verIhl >> 4 !== 4 || headerBytes < IP_HEADER_BYTES || totalBytes < headerBytes) {
    return fail('bad-ip-header', `IPv4 version/IHL 0x${hex(verIhl)}, total length ${totalBytes}`);
  }
  const ipEnd = ETH_HLEN + totalBytes;
  if (ipEnd > len) {
    return fail('truncated', `IPv4 total length ${totalBytes} overruns the ${len}-byte frame`);
  }
  if (internetChecksum(b, ETH_HLEN, ETH_HLEN + headerBytes) !== 0) {
    return fail('bad-ip-checksum', `IPv4 header checksum 0x${hex(read16(b, IP_CSUM))} is wrong`);
  }
  const isFragment = (read16(b, IP_FLAGS_FRAG) & IP_MF_OFFSET_MASK) !== 0; // MF or an offset
  if (b[IP_PROTO] !== IP_PROTO_ICMP || isFragment) return ok(other);
  const icmp = ETH_HLEN + headerBytes;
  if (ipEnd - icmp < ICMP_HEADER_BYTES) {
    return fail('truncated', `ICMP message of ${ipEnd - icmp} bytes`);
  }
  const type = b[icmp + ICMP_TYPE];
  if ((type !== ICMP_ECHO_REQUEST && type !== ICMP_ECHO_REPLY) || b[icmp + ICMP_CODE] !== 0) {
    return ok(other);
  }
  if (internetChecksum(b, icmp, ipEnd) !== 0) {
    const checksum = read16(b, icmp + ICMP_CSUM);
    return fail('bad-icmp-checksum', `ICMP checksum 0x${hex(checksum)} is wrong`);
  }
  return ok({
    kind: 'echo',
    dst,
    src,
    len,
    type,
    srcIp: read32(b, IP_SRC),
    dstIp: read32(b, IP_DST),
    id: read16(b, icmp + ICMP_ID),
    seq: read16(b, icmp + ICMP_SEQ),
    tag: readTag(b, icmp + ICMP_HEADER_BYTES, ipEnd),
  });
}

function readTag(b: Uint8Array, at: number, end: number): ProbeTag | null {
  if (end - at < PROBE_TAG_BYTES) return null;
  for (let i = 0; i < TAG_MAGIC.length; i++) if (b[at + i] !== TAG_MAGIC[i]) return null;
  for (let i = 0; i < 8; i++) scratch.setUint8(i, b[at + TAG_SENT_AT + i] ?? 0);
  const sentAtMs = scratch.getFloat64(0);
  // Ours are always finite, and a reply must be buildable from any tag we hand out.
  if (!Number.isFinite(sentAtMs)) return null;
  return { flow: read32(b, at + TAG_FLOW), seq: read32(b, at + TAG_SEQ), sentAtMs };
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

/** RFC 1071 ones-complement sum of big-endian 16-bit words over [start, end); 0 when a range
 * that includes a correct checksum field is verified. Exported for the known-answer test. */
export function internetChecksum(bytes: Uint8Array, start: number, end: number): number {
  assert(start >= 0 && start <= end && end <= bytes.length, `checksum range ${start}..${end}`);
  let sum = 0;
  let at = start;
  for (; at + 1 < end; at += 2) sum += ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
  if (at < end) sum += (bytes[at] ?? 0) << 8; // an odd last byte is padded with zero
  // Summing first and folding once is exact: a double holds 2^37 words' worth of carries.
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

type ParseResult = Result<ParsedFrame, FrameError>;

function fail(code: FrameErrorCode, message: string): ParseResult {
  return err({ code, message });
}

function hex(value: number): string {
  return value.toString(16).padStart(4, '0');
}

function read16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function read32(b: Uint8Array, at: number): number {
  return read16(b, at) * 0x10000 + read16(b, at + 2);
}

function write16(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 8;
  b[at + 1] = value;
}

function write32(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = value >>> 16;
  b[at + 2] = value >>> 8;
  b[at + 3] = value;
}

function isMac(mac: Mac): boolean {
  return Number.isInteger(mac) && mac >= 0 && mac < MAC_LIMIT;
}

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function isU16(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff;
}
