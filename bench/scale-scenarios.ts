// The scenarios the scale benchmark runs (scale.bench.ts): scenarios/iosp-reboot-storage.yaml
// widened to N guests. One command partition, one IOSP with one 2048-block disk per guest, N
// guests each running a short write-and-verify workload on its own disk, and one IOSP reboot
// (30 ms down, the shipped scenario's first) while the workloads run. Every storage expectation
// is checked, so a run that does not hold its promises at this size fails instead of counting.
//
// Choices: 200 requests per guest at queue depth 8 (the storage bench's recovery workload), so
// the work grows with N and a run stays short; the reboot fires at 40 ms of the run's time, when
// every guest is still in its workload (bring-up takes about 10 ms of the run per guest wave).

import type { LoadedScenario } from '../src/scenario/load.js';
import { loadBenchScenario } from './storage-scenarios.js';

/** Every storage expectation plus the bring-up ones. */
const EXPECT =
  '[guests-running, bring-up-complete, every-request-answered, no-lost-writes, exactly-once-completion, io-resumes]';

/** Requests each guest's workload submits. */
export const OPS_PER_GUEST = 200;

/** The YAML of the storage reboot scenario with `guests` guests and time limit `until`. */
export function scaleScenarioYaml(guests: number, until: string): string {
  const disks: string[] = [];
  const partitions: string[] = [];
  for (let i = 1; i <= guests; i++) {
    disks.push(
      `            - { name: disk${i}, blocks: 2048, blockSize: 512, sharedWith: [guest${i}] }`,
    );
    partitions.push(
      [
        `  - name: guest${i}`,
        '    kind: guest',
        '    buses: [{ busNo: 2, deviceCount: 1 }]',
        '    devices: [{ busNo: 2, devNo: 0, channelType: vhba, server: iosp0 }]',
        `    workloads: [{ kind: block, disk: disk${i}, queueDepth: 8, ops: ${OPS_PER_GUEST}, writeFraction: 0.5, maxBlocks: 8 }]`,
      ].join('\n'),
    );
  }
  return `description: scale bench, ${guests} guests under one rebooting IOSP
until: ${until}
partitions:
  - name: cp
    kind: command
  - name: iosp0
    kind: iosp
    hardware:
      scsi:
        - name: hba0
          disks:
${disks.join('\n')}
${partitions.join('\n')}
faults:
  - { action: reboot, partition: iosp0, at: 40ms, down: 30ms }
expect: ${EXPECT}
`;
}

/** Loads the scale scenario of `guests` guests. */
export function loadScaleScenario(guests: number, until: string): LoadedScenario {
  return loadBenchScenario(`scale-${guests}`, scaleScenarioYaml(guests, until));
}
