// "The outside" behind an IOSP's physical NIC (DESIGN "devices: NIC + virtual switch";
// spar-protocol.md §4.3 for the guest side): one host with a MAC and an IPv4 address that
// answers ARP requests for its address and ICMP echo requests to it, so a guest's network
// workload can probe the path guest → visornic → IOSP switch → uplink and back. Pure: frames
// in, frames out, no clock.
//
// Choices:
// - Its NIC's receive filter is visornic's without promiscuity or multicast groups: it takes
//   frames to its own MAC and broadcasts, nothing else (`destinationClass`).
// - ARP: answers op 1 for its IP only. Echo: answers type 8 to its IP only. Gratuitous ARP,
//   replies and every other frame are taken in silently (counted `ignored`).
// - The link is standard 1500-MTU Ethernet: a frame longer than ETH_FRAME_LEN is a giant the NIC
//   discards, so it is ignored rather than answered.
// - Unparseable frames (bad checksums, truncated) count as `ignored`; `receive` never throws on
//   bytes a guest wrote.

import { assert } from '../../base/assert.js';
import {
  ETH_FRAME_LEN,
  type Ip,
  type Mac,
  arpReplyFor,
  buildFrame,
  destinationClass,
  echoReplyFor,
  isGroupMac,
  parseFrame,
} from './ethernet.js';

/** A host outside the s-Par server, reached through an IOSP's uplink port. */
export class ExternalEndpoint {
  /** Its unicast MAC address. */
  readonly mac: Mac;
  /** Its IPv4 address. */
  readonly ip: Ip;
  #received = 0;
  #answered = 0;
  #ignored = 0;

  constructor(mac: Mac, ip: Ip) {
    assert(Number.isInteger(mac) && mac >= 0 && mac < 2 ** 48, 'endpoint MAC is 48-bit');
    assert(!isGroupMac(mac), 'endpoint MAC is unicast');
    assert(Number.isInteger(ip) && ip >= 0 && ip <= 0xffff_ffff, 'endpoint IP is a u32');
    this.mac = mac;
    this.ip = ip;
  }

  /**
   * The frames the outside answers `frame` with: an ARP reply for an ARP request for its IP, an
   * echo reply for an echo request to its IP (and MAC, or broadcast); nothing otherwise
   * (unparseable frames counted, never thrown).
   */
  receive(frame: Uint8Array): Uint8Array[] {
    this.#received++;
    const reply = this.#replyTo(frame);
    if (reply === null) {
      this.#ignored++;
      return [];
    }
    this.#answered++;
    return [reply];
  }

  /** Frames received, answered and ignored; received = answered + ignored. */
  counters(): { readonly received: number; readonly answered: number; readonly ignored: number } {
    return { received: this.#received, answered: this.#answered, ignored: this.#ignored };
  }

  #replyTo(frame: Uint8Array): Uint8Array | null {
    if (frame.length > ETH_FRAME_LEN) return null;
    const parsed = parseFrame(frame);
    if (!parsed.ok) return null;
    const p = parsed.value;
    const dstClass = destinationClass(p.dst, this.mac);
    if (dstClass !== 'host' && dstClass !== 'broadcast') return null;
    if (p.kind === 'arp' && p.op === 1 && p.targetIp === this.ip) {
      return buildFrame(arpReplyFor(p, this.mac));
    }
    if (p.kind === 'echo' && p.type === 8 && p.dstIp === this.ip) {
      return buildFrame(echoReplyFor(p, this.mac));
    }
    return null;
  }
}
