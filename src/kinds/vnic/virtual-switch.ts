// The IO service partition's virtual switch (DESIGN "devices: NIC + virtual switch"; the seed's
// "connectivity is defined by the s-Par configuration and enforced by the service partition").
// Each port is one guest vnic channel or the IOSP's physical NIC; each port belongs to exactly
// one segment (a VLAN-like broadcast domain from the configuration). A transparent learning
// bridge (IEEE 802.1D forwarding) run separately per segment. Pure: the caller moves the bytes.
//
// Choices:
// - Per-segment MAC tables: a MAC is learned only within its port's segment, so the same MAC in
//   two segments is two independent entries and no lookup can ever yield a port of another
//   segment. That is the isolation the service partition enforces.
// - No MAC ageing: the module has no clock (the simulation must be a pure function of its
//   inputs), and the events ageing exists for are explicit here: a guest whose vnic goes down or
//   re-initialises is reported by the IOSP with `forgetPort`, and a MAC that moves is re-learned
//   from its next frame. Until then a stale entry only misdirects unicast, as on real hardware.
// - Bounded tables: at most MAC_TABLE_ENTRIES_MAX entries per segment, so a guest sending from
//   random source MACs cannot grow memory without bound. When full, new MACs are not learned
//   and frames to them are flooded (fail open, as a switch with a full CAM table does).
// - A group-address source is invalid (IEEE 802.3): the frame is dropped, nothing is learned.
// - Every `forward` call bumps exactly one counter: `forwarded` (known unicast to one port),
//   `flooded` (to every other port of the segment, even when that is none) or `dropped` (unknown
//   in-port, group source, or the destination sits behind the in-port itself). `learned` counts
//   new entries and moves.
// - Hot path: port lookups by Map, result arrays cached and frozen (one per port for unicast,
//   one per port for floods, built on first use), a shared empty array for "nowhere". Iteration
//   order is construction order everywhere.

import { assert } from '../../base/assert.js';
import { type Mac, isGroupMac } from './ethernet.js';

/** One switch port and the segment (broadcast domain) it belongs to. */
export interface SwitchPort {
  /** Unique port id, e.g. the guest vnic channel's name or "uplink". */
  readonly id: string;
  /** Segment name from the configuration; ports of different segments never exchange frames. */
  readonly segment: string;
}

/** Counts since construction; each `forward` call counts in exactly one of the first three. */
export interface SwitchCounters {
  /** Frames sent to the one port their known unicast destination sits behind. */
  readonly forwarded: number;
  /** Frames sent to every other port of the in-port's segment. */
  readonly flooded: number;
  /** Frames sent nowhere. */
  readonly dropped: number;
  /** MAC table entries created or moved. */
  readonly learned: number;
}

/** Learned MACs per segment at most; a full table floods unknown destinations instead. */
export const MAC_TABLE_ENTRIES_MAX = 8192;

const NOWHERE: readonly string[] = Object.freeze([]);

interface PortState {
  readonly id: string;
  readonly index: number;
  /** Shared with every port of the same segment. */
  readonly segment: SegmentState;
  /** `[id]`, returned for known unicast to this port. */
  readonly self: readonly string[];
  /** Every other port of the segment, built on first flood. */
  flood: readonly string[] | null;
}

interface SegmentState {
  readonly ports: string[];
  /** MAC → index into the switch's ports. */
  readonly table: Map<Mac, number>;
}

/** The IOSP's learning switch with segments. */
export class VirtualSwitch {
  readonly #ports: PortState[] = [];
  readonly #byId = new Map<string, PortState>();
  readonly #segments = new Map<string, SegmentState>();
  #forwarded = 0;
  #flooded = 0;
  #dropped = 0;
  #learned = 0;

  constructor(ports: readonly SwitchPort[]) {
    for (const port of ports) {
      assert(port.id.length > 0 && port.segment.length > 0, 'port id and segment are named');
      assert(!this.#byId.has(port.id), `port ${port.id} is declared once`);
      let segment = this.#segments.get(port.segment);
      if (segment === undefined) {
        segment = { ports: [], table: new Map() };
        this.#segments.set(port.segment, segment);
      }
      segment.ports.push(port.id);
      const state: PortState = {
        id: port.id,
        index: this.#ports.length,
        segment,
        self: Object.freeze([port.id]),
        flood: null,
      };
      this.#ports.push(state);
      this.#byId.set(port.id, state);
    }
    for (const segment of this.#segments.values()) Object.freeze(segment.ports);
  }

  /**
   * The ports a frame entering at `inPort` leaves by. Learns `src` on inPort (per-segment MAC
   * table: a MAC is learned only within the port's segment; a known MAC seen on another port of
   * the same segment moves). Known unicast dst in the segment → [that port] (nothing if it is
   * inPort itself); unknown unicast, broadcast and multicast → every other port of inPort's
   * segment (flood). Never a port of another segment, never inPort. A group-address src is not
   * learned and the frame is dropped; an unknown inPort → dropped.
   */
  forward(inPort: string, dst: Mac, src: Mac): readonly string[] {
    const port = this.#byId.get(inPort);
    if (port === undefined || isGroupMac(src)) {
      this.#dropped++;
      return NOWHERE;
    }
    this.#learn(port, src);
    const known = isGroupMac(dst) ? undefined : port.segment.table.get(dst);
    if (known === undefined) {
      this.#flooded++;
      return port.flood ?? this.#buildFlood(port);
    }
    if (known === port.index) {
      this.#dropped++;
      return NOWHERE;
    }
    const out = this.#ports[known];
    assert(out !== undefined && out.segment === port.segment, 'a learned port is in the segment');
    this.#forwarded++;
    return out.self;
  }

  /** Forgets the MACs learned on `port` (its link went down / its guest re-initialised). */
  forgetPort(port: string): void {
    const state = this.#byId.get(port);
    assert(state !== undefined, `forgetPort of a configured port (${port})`);
    // Deleting the current entry while iterating a Map is well defined in JS.
    for (const [mac, index] of state.segment.table) {
      if (index === state.index) state.segment.table.delete(mac);
    }
  }

  /** Ports of a segment, in construction order; none for an unknown segment. */
  portsOf(segment: string): readonly string[] {
    return this.#segments.get(segment)?.ports ?? NOWHERE;
  }

  /** Frame and learning counts since construction. */
  counters(): SwitchCounters {
    return {
      forwarded: this.#forwarded,
      flooded: this.#flooded,
      dropped: this.#dropped,
      learned: this.#learned,
    };
  }

  #learn(port: PortState, src: Mac): void {
    const table = port.segment.table;
    const current = table.get(src);
    if (current === port.index) return;
    if (current === undefined && table.size >= MAC_TABLE_ENTRIES_MAX) return;
    table.set(src, port.index);
    this.#learned++;
  }

  #buildFlood(port: PortState): readonly string[] {
    const flood = Object.freeze(port.segment.ports.filter((id) => id !== port.id));
    port.flood = flood;
    return flood;
  }
}
