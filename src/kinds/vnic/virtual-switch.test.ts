// The IOSP's learning switch: learning, flooding within a segment, known unicast, MAC moves,
// forgetPort, and cross-segment isolation as a property.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BROADCAST_MAC, type Mac } from './ethernet.js';
import { MAC_TABLE_ENTRIES_MAX, type SwitchPort, VirtualSwitch } from './virtual-switch.js';

const A: Mac = 0x0253_5000_000a;
const B: Mac = 0x0253_5000_000b;
const C: Mac = 0x0253_5000_000c;
const MULTICAST: Mac = 0x0100_5e00_0001;

// Two segments interleaved, so construction order and segment membership differ.
const PORTS: SwitchPort[] = [
  { id: 'g1', segment: 'red' },
  { id: 'g2', segment: 'blue' },
  { id: 'g3', segment: 'red' },
  { id: 'uplink', segment: 'red' },
  { id: 'g4', segment: 'blue' },
];

describe('virtual-switch', () => {
  test('smoke: the first frame floods its segment, the answer goes straight back', () => {
    const sw = new VirtualSwitch(PORTS);
    expect(sw.forward('g1', B, A)).toEqual(['g3', 'uplink']);
    expect(sw.forward('g3', A, B)).toEqual(['g1']);
    expect(sw.counters()).toEqual({ forwarded: 1, flooded: 1, dropped: 0, learned: 2 });
  });

  test('portsOf lists a segment in construction order, nothing for an unknown one', () => {
    const sw = new VirtualSwitch(PORTS);
    expect(sw.portsOf('red')).toEqual(['g1', 'g3', 'uplink']);
    expect(sw.portsOf('blue')).toEqual(['g2', 'g4']);
    expect(sw.portsOf('green')).toEqual([]);
  });

  test('broadcast and multicast flood every other port of the segment even when the destination is known', () => {
    const sw = new VirtualSwitch(PORTS);
    sw.forward('uplink', BROADCAST_MAC, B);
    expect(sw.forward('g1', BROADCAST_MAC, A)).toEqual(['g3', 'uplink']);
    expect(sw.forward('g3', MULTICAST, C)).toEqual(['g1', 'uplink']);
    expect(sw.forward('g2', BROADCAST_MAC, A)).toEqual(['g4']);
    expect(sw.counters().flooded).toBe(4);
  });

  test('known unicast goes to exactly the learned port; unknown unicast floods', () => {
    const sw = new VirtualSwitch(PORTS);
    expect(sw.forward('uplink', C, B)).toEqual(['g1', 'g3']); // C unknown yet
    expect(sw.forward('g1', B, A)).toEqual(['uplink']);
    expect(sw.forward('g3', A, C)).toEqual(['g1']);
    expect(sw.forward('uplink', C, B)).toEqual(['g3']);
  });

  test('a destination behind the in-port itself is filtered, not sent back', () => {
    const sw = new VirtualSwitch(PORTS);
    sw.forward('g1', BROADCAST_MAC, A);
    sw.forward('g1', BROADCAST_MAC, B);
    expect(sw.forward('g1', B, A)).toEqual([]);
    expect(sw.counters()).toMatchObject({ dropped: 1, forwarded: 0 });
  });

  test('a MAC seen on another port of the same segment moves there', () => {
    const sw = new VirtualSwitch(PORTS);
    sw.forward('g1', BROADCAST_MAC, A);
    expect(sw.forward('uplink', A, B)).toEqual(['g1']);
    sw.forward('g3', BROADCAST_MAC, A); // A's guest migrated to g3
    expect(sw.forward('uplink', A, B)).toEqual(['g3']);
    expect(sw.counters().learned).toBe(3); // A, B, A moved
  });

  test('forgetPort forgets exactly the MACs learned on that port', () => {
    const sw = new VirtualSwitch(PORTS);
    sw.forward('g1', BROADCAST_MAC, A);
    sw.forward('g1', BROADCAST_MAC, C);
    sw.forward('g3', BROADCAST_MAC, B);
    sw.forgetPort('g1');
    expect(sw.forward('uplink', A, 0x0253_5000_00ff)).toEqual(['g1', 'g3']); // flooded again
    expect(sw.forward('uplink', C, 0x0253_5000_00ff)).toEqual(['g1', 'g3']);
    expect(sw.forward('uplink', B, 0x0253_5000_00ff)).toEqual(['g3']); // g3's entry kept
    expect(() => sw.forgetPort('nope')).toThrow();
  });

  test('the same MAC in two segments is two entries: learning in one never steers the other', () => {
    const sw = new VirtualSwitch(PORTS);
    sw.forward('g1', BROADCAST_MAC, A);
    expect(sw.forward('g4', A, B)).toEqual(['g2']); // unknown in blue: flooded within blue only
    sw.forward('g2', BROADCAST_MAC, A);
    expect(sw.forward('g4', A, B)).toEqual(['g2']);
    expect(sw.forward('g3', A, C)).toEqual(['g1']); // red still knows A on g1
  });

  test('a group source address or an unknown in-port is dropped and nothing is learned', () => {
    const sw = new VirtualSwitch(PORTS);
    expect(sw.forward('g1', B, BROADCAST_MAC)).toEqual([]);
    expect(sw.forward('g1', B, MULTICAST)).toEqual([]);
    expect(sw.forward('elsewhere', B, A)).toEqual([]);
    expect(sw.forward('g3', A, C)).toEqual(['g1', 'uplink']); // A was not learned
    expect(sw.counters()).toEqual({ forwarded: 0, flooded: 1, dropped: 3, learned: 1 });
  });

  test('a single-port segment floods to nobody', () => {
    const sw = new VirtualSwitch([{ id: 'alone', segment: 'solo' }, ...PORTS]);
    expect(sw.forward('alone', BROADCAST_MAC, A)).toEqual([]);
    expect(sw.counters().flooded).toBe(1);
  });

  test('a full MAC table stops learning and floods unknown destinations instead', () => {
    const sw = new VirtualSwitch(PORTS);
    for (let i = 0; i < MAC_TABLE_ENTRIES_MAX; i++) {
      sw.forward('g1', BROADCAST_MAC, 0x0200_0000_0000 + i);
    }
    expect(sw.counters().learned).toBe(MAC_TABLE_ENTRIES_MAX);
    sw.forward('g3', BROADCAST_MAC, A);
    expect(sw.forward('g1', A, 0x0200_0000_0000)).toEqual(['g3', 'uplink']); // A not learned
    expect(sw.forward('uplink', 0x0200_0000_0001, B)).toEqual(['g1']); // old entries kept
    expect(sw.counters().learned).toBe(MAC_TABLE_ENTRIES_MAX);
    sw.forward('g3', BROADCAST_MAC, 0x0200_0000_0002); // a known MAC still moves
    expect(sw.forward('uplink', 0x0200_0000_0002, B)).toEqual(['g3']);
  });

  test('results are frozen, so a caller cannot corrupt the cached port lists', () => {
    const sw = new VirtualSwitch(PORTS);
    expect(Object.isFrozen(sw.forward('g1', BROADCAST_MAC, A))).toBe(true); // flood
    expect(Object.isFrozen(sw.forward('g3', A, B))).toBe(true); // known unicast
    expect(Object.isFrozen(sw.portsOf('red'))).toBe(true);
    expect(Object.isFrozen(sw.forward('g1', A, A))).toBe(true); // nowhere
  });

  test('construction rejects duplicate port ids', () => {
    expect(() => new VirtualSwitch([...PORTS, { id: 'g1', segment: 'blue' }])).toThrow(/once/);
  });

  test('a frame never leaves by a port of another segment, nor by its in-port, and matches a reference bridge', () => {
    const macs = fc.constantFrom(A, B, C, 0x0253_5000_000d, BROADCAST_MAC, MULTICAST);
    const portsArb = fc.uniqueArray(
      fc.record({
        id: fc.constantFrom('p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6'),
        segment: fc.constantFrom('s0', 's1', 's2'),
      }),
      { selector: (p) => p.id, minLength: 1, maxLength: 7 },
    );
    const step = fc.oneof(
      { weight: 9, arbitrary: fc.record({ inPort: fc.nat(8), dst: macs, src: macs }) },
      { weight: 1, arbitrary: fc.record({ forget: fc.nat(8) }) },
    );
    fc.assert(
      fc.property(portsArb, fc.array(step, { maxLength: 60 }), (ports, steps) => {
        const sw = new VirtualSwitch(ports);
        const model = new Map<string, string>(); // `${segment}/${mac}` → port
        const segmentOf = new Map<string, string>(ports.map((p) => [p.id, p.segment]));
        const portName = (i: number): string => ports[i]?.id ?? 'not-a-port';
        for (const s of steps) {
          if ('forget' in s) {
            if (!segmentOf.has(portName(s.forget))) continue;
            sw.forgetPort(portName(s.forget));
            for (const [key, port] of model) if (port === portName(s.forget)) model.delete(key);
            continue;
          }
          const inPort = portName(s.inPort);
          const out = sw.forward(inPort, s.dst, s.src);
          const segment = segmentOf.get(inPort);
          for (const p of out) expect(segmentOf.get(p)).toBe(segment);
          expect(out).not.toContain(inPort);
          expect(new Set(out).size).toBe(out.length);
          expect(out).toEqual(referenceForward(ports, model, inPort, s.dst, s.src));
        }
      }),
      { seed: 1, numRuns: 500 },
    );
  });
});

/** An obviously-correct bridge: one map keyed by segment and MAC, recomputed port lists. */
function referenceForward(
  ports: readonly SwitchPort[],
  table: Map<string, string>,
  inPort: string,
  dst: Mac,
  src: Mac,
): string[] {
  const segment = ports.find((p) => p.id === inPort)?.segment;
  const isGroup = (mac: Mac) => Math.floor(mac / 2 ** 40) % 2 === 1;
  if (segment === undefined || isGroup(src)) return [];
  table.set(`${segment}/${src}`, inPort);
  const known = isGroup(dst) ? undefined : table.get(`${segment}/${dst}`);
  if (known === inPort) return [];
  if (known !== undefined) return [known];
  return ports.filter((p) => p.segment === segment && p.id !== inPort).map((p) => p.id);
}
