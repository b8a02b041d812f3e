// Parsing the Ethernet frames another partition wrote (spar-protocol.md §4.3): never throws, never
// reads past the frame; the choices (what parses as 'other', which checksums are verified, why a
// tag with a non-finite time is not ours) are in ethernet.ts's header. Layout: ethernet-wire.ts.

import { err, ok, type Result } from '../../base/result.js';
import { ETH_HLEN } from '../../protocol/uiscmdrsp-constants.js';
import type { FrameError, FrameErrorCode, Mac, ParsedFrame, ProbeTag } from './ethernet.js';
import {
  ARP_END,
  ARP_HLEN,
  ARP_HTYPE,
  ARP_OP,
  ARP_PLEN,
  ARP_PTYPE,
  ARP_SHA,
  ARP_SPA,
  ARP_THA,
  ARP_TPA,
  ETH_DST,
  ETH_SRC,
  ETH_TYPE,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ICMP_CODE,
  ICMP_CSUM,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HEADER_BYTES,
  ICMP_ID,
  ICMP_SEQ,
  ICMP_TYPE,
  IP_CSUM,
  IP_DST,
  IP_FLAGS_FRAG,
  IP_HEADER_BYTES,
  IP_MF_OFFSET_MASK,
  IP_PROTO,
  IP_PROTO_ICMP,
  IP_SRC,
  IP_TOTAL_LEN,
  IP_VER_IHL,
  internetChecksum,
  MAC_BYTES,
  PROBE_TAG_BYTES,
  read16,
  read32,
  readMac,
  scratch,
  TAG_FLOW,
  TAG_MAGIC,
  TAG_SEQ,
  TAG_SENT_AT,
} from './ethernet-wire.js';

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

type ParseResult = Result<ParsedFrame, FrameError>;

function fail(code: FrameErrorCode, message: string): ParseResult {
  return err({ code, message });
}

function hex(value: number): string {
  return value.toString(16).padStart(4, '0');
}
