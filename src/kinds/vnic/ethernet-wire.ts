// The byte layout of the frames ethernet.ts builds and ethernet-parse.ts reads (spar-protocol.md
// §4.3 carries plain Ethernet; the offsets are RFC 826 ARP, RFC 791 IPv4 and RFC 792 ICMP echo,
// and the probe tag of ethernet.ts's header), with the byte access both codecs share: big-endian
// fields read and written byte by byte, MACs as 48-bit numbers, the RFC 1071 checksum.

import { assert } from '../../base/assert.js';
import { ETH_HLEN } from '../../protocol/uiscmdrsp-constants.js';

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

export const MAC_BYTES = 6;
export const MAC_LIMIT = 2 ** 48;
export const IP_PROTO_ICMP = 1;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_ECHO_REPLY = 0;

// Ethernet II header: dst 0, src 6, ethertype 12; payload at ETH_HLEN (14).
export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
// ARP for IPv4 over Ethernet, offsets from the frame start (RFC 826).
export const ARP_HTYPE = 14; // u16 hardware type, 1 = Ethernet
export const ARP_PTYPE = 16; // u16 protocol type, 0x0800
export const ARP_HLEN = 18; // u8 hardware address length, 6
export const ARP_PLEN = 19; // u8 protocol address length, 4
export const ARP_OP = 20; // u16 1 = request, 2 = reply
export const ARP_SHA = 22; // sender MAC
export const ARP_SPA = 28; // sender IP
export const ARP_THA = 32; // target MAC
export const ARP_TPA = 38; // target IP
export const ARP_END = 42;
// IPv4 header without options, offsets from the frame start (RFC 791).
export const IP_VER_IHL = 14; // u8 version 4 << 4 | header length in 32-bit words
export const IP_TOTAL_LEN = 16; // u16 header + payload bytes
export const IP_ID = 18; // u16 identification
export const IP_FLAGS_FRAG = 20; // u16 flags (DF 0x4000, MF 0x2000) | fragment offset
export const IP_TTL = 22; // u8
export const IP_PROTO = 23; // u8 1 = ICMP
export const IP_CSUM = 24; // u16 header checksum
export const IP_SRC = 26; // u32
export const IP_DST = 30; // u32
export const IP_HEADER_BYTES = 20;
export const IP_DF = 0x4000;
export const IP_MF_OFFSET_MASK = 0x3fff;
export const IP_TTL_DEFAULT = 64;
// ICMP echo, offsets from the ICMP start (RFC 792).
export const ICMP_TYPE = 0; // u8
export const ICMP_CODE = 1; // u8
export const ICMP_CSUM = 2; // u16
export const ICMP_ID = 4; // u16
export const ICMP_SEQ = 6; // u16
export const ICMP_HEADER_BYTES = 8;
export const ECHO_DATA = ETH_HLEN + IP_HEADER_BYTES + ICMP_HEADER_BYTES; // 42: data start when built
assert(ARP_END === ETH_HLEN + 28, 'an IPv4-over-Ethernet ARP packet is 28 bytes');
assert(IP_DST + 4 === ETH_HLEN + IP_HEADER_BYTES, 'the IPv4 header without options is 20 bytes');

export const TAG_MAGIC = [0x53, 0x50, 0x41, 0x52] as const; // "SPAR"
export const TAG_FLOW = 4; // u32, offsets from the data start
export const TAG_SEQ = 8; // u32
export const TAG_SENT_AT = 12; // float64
/** Probe tag bytes: magic "SPAR", flow u32, seq u32, sentAtMs float64 (all big-endian). */
export const PROBE_TAG_BYTES = 20;
assert(TAG_SENT_AT + 8 === PROBE_TAG_BYTES, 'the probe tag layout is 20 bytes');
export const scratch = new DataView(new ArrayBuffer(8));

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

export function read16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

export function read32(b: Uint8Array, at: number): number {
  return read16(b, at) * 0x10000 + read16(b, at + 2);
}

export function write16(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 8;
  b[at + 1] = value;
}

export function write32(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = value >>> 16;
  b[at + 2] = value >>> 8;
  b[at + 3] = value;
}

export function isMac(mac: Mac): boolean {
  return Number.isInteger(mac) && mac >= 0 && mac < MAC_LIMIT;
}

export function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

export function isU16(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff;
}
