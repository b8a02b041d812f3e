// The scenarios the network benchmark runs (net.bench.ts), written out as scenario YAML so each
// one reads like a file in scenarios/ and goes through the same loader (`loadScenarioText`).
// Every one checks what it ran: no frame delivered twice, none across segments, every link up at
// the end; a run that fails an expectation fails the bench instead of printing a rate.
//
// Choices (none tuned; the shape follows scenarios/iosp-reboot-network.yaml without its faults):
// - two guests on one IOSP and one switch segment (blue), one vnic each; the IOSP needs no NIC
//   because the traffic never leaves the segment;
// - guest1 floods guest2 (`interval: 0`, the window kept full) with 32 requests outstanding and
//   the schema's default timeout of 1 s, so a lost frame shows up as `dropped`, not as a hang;
// - guest2 runs no workload: it only answers.

import type { LoadedScenario } from '../src/scenario/load.js';
import { loadBenchScenario } from './storage-scenarios.js';

/** Bring-up plus every network expectation that holds without faults. */
const EXPECT = '[guests-running, bring-up-complete, no-duplicate-frames, isolation, link-recovers]';

/** Echo requests outstanding at most in the flood. */
export const PING_WINDOW = 32;

/** What varies between the bench's scenarios. */
export interface NetScenarioShape {
  /** Scenario name (shown in errors and JSON). */
  readonly name: string;
  /** Time limit: virtual time in the sim runtime, wall time in workers. */
  readonly until: string;
  /** Echo requests guest1 sends to guest2. */
  readonly count: number;
  /** Whole Ethernet frame bytes of each request (60–1514). */
  readonly frameBytes: number;
}

/** The YAML of a two-guest, one-IOSP, one-segment flood of `shape`. */
export function netScenarioYaml(shape: NetScenarioShape): string {
  const vnic = '{ busNo: 2, devNo: 0, channelType: vnic, server: iosp0, segment: blue }';
  return `description: network bench scenario ${shape.name}
until: ${shape.until}
partitions:
  - name: cp
    kind: command
  - name: iosp0
    kind: iosp
    hardware:
      nics: []
  - name: guest1
    kind: guest
    buses:
      - { busNo: 2, deviceCount: 1 }
    devices:
      - ${vnic}
    workloads:
      - { kind: ping, to: guest2, count: ${shape.count}, interval: 0, size: ${shape.frameBytes}, window: ${PING_WINDOW}, timeout: 1000 }
  - name: guest2
    kind: guest
    buses:
      - { busNo: 2, deviceCount: 1 }
    devices:
      - ${vnic}
segments: [blue]
faults: []
expect: ${EXPECT}
`;
}

/** Loads the scenario of `shape`; throws (an internal error of the bench) if it does not load. */
export function loadNetScenario(shape: NetScenarioShape): LoadedScenario {
  return loadBenchScenario(shape.name, netScenarioYaml(shape));
}
