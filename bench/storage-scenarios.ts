// The scenarios the storage benchmark runs (storage.bench.ts), written out as scenario YAML so
// each one reads like a file in scenarios/ and goes through the same loader (`loadScenarioText`).
// Every one checks what it ran: no lost writes, every request completed exactly once, IO
// resumed; a run that fails an expectation fails the bench instead of printing a rate.
//
// Choices (none tuned to the targets; the shapes follow scenarios/iosp-reboot-storage.yaml):
// - the disk is that scenario's: 2048 blocks of 512 bytes, shared with the one guest;
// - the workload takes the schema's defaults except where the issue names a value
//   (writeFraction 0.5, maxBlocks 8; queue depth 8, or 32 for the IOPS run);
// - (1) and (2) keep the default disk latency (uniform 0.1–1 ms); (3) has latency 0 as asked;
// - the reboot of (1) and (2) fires at the 50th completed request, so it always lands inside
//   the workload whatever the seed, and is down for 30 ms (the shipped scenario's first reboot)
//   or for 35 s (the issue's compression case).

import { loadScenarioText, type LoadedScenario } from '../src/scenario/load.js';

/** Every storage expectation plus the bring-up ones. */
const EXPECT =
  '[guests-running, bring-up-complete, every-request-answered, no-lost-writes, exactly-once-completion, io-resumes]';

/** What varies between the bench's scenarios. */
export interface StorageScenarioShape {
  /** Scenario name (shown in errors and JSON). */
  readonly name: string;
  /** Time limit: virtual time in the sim runtime, wall time in workers. */
  readonly until: string;
  /** Disk service time in ms; omitted: the IOSP's default (0.1–1 ms). */
  readonly latencyMs?: { readonly min: number; readonly max: number };
  readonly queueDepth: number;
  readonly ops: number;
  /** Down time of the one IOSP reboot; omitted: no fault. */
  readonly rebootDown?: string;
}

/** The YAML of a one-guest, one-IOSP, one-disk scenario of `shape`. */
export function storageScenarioYaml(shape: StorageScenarioShape): string {
  const latency =
    shape.latencyMs === undefined
      ? ''
      : `, latencyMs: { min: ${shape.latencyMs.min}, max: ${shape.latencyMs.max} }`;
  const faults =
    shape.rebootDown === undefined
      ? 'faults: []'
      : [
          'faults:            # during the workload: at its 50th completed request',
          `  - { action: reboot, partition: iosp0, down: ${shape.rebootDown}, when: { actor: guest1/block-workload:disk0, event: workload.done, occurrence: 50 } }`,
        ].join('\n');
  return `description: storage bench scenario ${shape.name}
until: ${shape.until}
partitions:
  - name: cp
    kind: command
  - name: iosp0
    kind: iosp
    hardware:
      scsi:
        - name: hba0
          disks:
            - { name: disk0, blocks: 2048, blockSize: 512, sharedWith: [guest1]${latency} }
  - name: guest1
    kind: guest
    buses:
      - { busNo: 2, deviceCount: 1 }
    devices:
      - { busNo: 2, devNo: 0, channelType: vhba, server: iosp0 }
    workloads:
      - { kind: block, disk: disk0, queueDepth: ${shape.queueDepth}, ops: ${shape.ops}, writeFraction: 0.5, maxBlocks: 8 }
${faults}
expect: ${EXPECT}
`;
}

/** Loads the scenario of `shape`; throws (an internal error of the bench) if it does not load. */
export function loadStorageScenario(shape: StorageScenarioShape): LoadedScenario {
  return loadBenchScenario(shape.name, storageScenarioYaml(shape));
}

/** Loads a bench's scenario text; throws (an internal error of the bench) if it does not load. */
export function loadBenchScenario(name: string, yaml: string): LoadedScenario {
  const loaded = loadScenarioText(yaml, `bench/${name}.yaml`);
  if (!loaded.ok) {
    const first = loaded.error[0];
    throw new Error(
      `scenario ${name} does not load: ${first === undefined ? '?' : `${first.line}:${first.column} ${first.path} ${first.message}`}`,
    );
  }
  return loaded.value;
}
