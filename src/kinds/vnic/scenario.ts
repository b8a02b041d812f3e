// What the vnic kind adds to the scenario format (docs/scenario-format.md): a vnic's `segment` and
// `promiscuous` options, an IOSP's physical NICs (`hardware.nics`), the top-level `segments`, the
// `ping` workload, the `nic-link` fault, and the checks that tie them together (a vnic on a
// declared segment, a ping to a real guest, a link fault on a NIC the IOSP owns, every vnic
// addressable and every ping answerable by the network plan).

import { z } from 'zod';
import type { Config } from '../../hypervisor/config.js';
import type { BadReference } from '../../scenario/references.js';
import type { Scenario } from '../../scenario/schema.js';
import { durationSchema, nameSchema as name, triggerShape } from '../../scenario/schema-parts.js';
import { didYouMean } from '../../base/did-you-mean.js';
import { guestProblem } from '../guest-reference.js';
import type { KindFault, KindScenario } from '../kind.js';
import { networkPlan } from './network.js';
import type { NicLinks } from './nic-links.js';

const deviceOptions = {
  promiscuous: z.boolean().optional().meta({
    description:
      'vnic only: the guest sets IFF_PROMISC (NET_RCV_PROMISC) and receives every frame of its segment.',
  }),
  segment: name.optional().meta({
    description:
      'vnic only: the IOSP\'s virtual switch segment the interface joins (default: the segment of the IOSP\'s first NIC, else "default").',
  }),
};

const segments = z.array(name).default([]).meta({
  description:
    "Switch segments that no NIC's `switch` names: for vnics that talk only to each other. A vnic's `segment` must be one of these or a NIC's.",
});

const nics = z
  .array(
    z.strictObject({
      name,
      switch: name.meta({ description: 'The virtual switch segment the NIC joins.' }),
    }),
  )
  .default([])
  .meta({ description: "The IOSP's physical NICs: each an uplink of its switch to the outside." });

const pingWorkload = z.strictObject({
  kind: z.literal('ping').meta({
    description:
      "ICMP echo requests to another guest on the same IOSP and segment, or to the outside behind the IOSP's NIC.",
  }),
  to: name.meta({ description: 'A guest with a vnic on the same IOSP and segment, or "outside".' }),
  count: z
    .number()
    .int()
    .min(1)
    .max(65_536)
    .default(100)
    .meta({ description: 'Echo requests in total (ICMP sequence numbers are 16 bits).' }),
  interval: durationSchema
    .default(10)
    .meta({ description: 'Time between requests; 0 floods (ping -f): the window is kept full.' }),
  size: z
    .number()
    .int()
    .min(60)
    .max(1514)
    .default(64)
    .meta({ description: 'Whole Ethernet frame bytes of each request (60–1514).' }),
  window: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .meta({ description: 'Requests outstanding at most (1: one at a time, as ping does).' }),
  timeout: durationSchema
    .refine((ms) => ms >= 1, { error: 'expected a timeout of at least 1 ms' })
    .default(1000)
    .meta({ description: 'A request unanswered this long counts as lost.' }),
  start: durationSchema
    .default(0)
    .meta({ description: 'When the workload starts (it waits for the link).' }),
});

const nicLinkFault = z.strictObject({
  action: z.literal('nic-link'),
  partition: name.meta({ description: 'The IOSP owning the NIC.' }),
  nic: name.meta({
    description:
      'The physical NIC (hardware.nics[].name) whose link goes down or comes up; the IOSP tells the guests on its segment (NET_CONNECT_STATUS, §4.3).',
  }),
  up: z.boolean().meta({
    description:
      'false: the link is lost (the outside unreachable, the guests lose carrier); true: it is back.',
  }),
  ...triggerShape,
});

/**
 * A ping workload inside a guest: ICMP echo requests to another guest on the same IOSP and
 * segment, or to the outside behind the IOSP's NIC (network.ts). Times in ms.
 */
export interface PingWorkloadConfig {
  readonly kind: 'ping';
  /** A guest's name, or `outside`. */
  readonly to: string;
  readonly count: number;
  readonly intervalMs: number;
  /** Whole Ethernet frame bytes of each request (60..1514). */
  readonly frameBytes: number;
  /** Requests outstanding at most. */
  readonly window: number;
  /** A request unanswered this long counts as lost. */
  readonly timeoutMs: number;
  readonly start: number;
}

/** A nic-link fault: the IOSP's NIC `nic` loses its link (`up: false`) or gets it back. */
export type NicLinkFault = z.output<typeof nicLinkFault>;

declare module '../../hypervisor/config.js' {
  interface DeviceOptions {
    /** vnic only: the virtual switch segment the interface joins (network.ts resolves the default). */
    readonly segment?: string;
    /** vnic only: the guest puts the interface in promiscuous mode. */
    readonly promiscuous?: boolean;
  }
  interface HardwareConfig {
    /** Physical NICs, each joined to a segment of the IOSP's switch. */
    readonly nics: readonly { readonly name: string; readonly switch: string }[];
  }
  interface WorkloadConfigs {
    readonly ping: PingWorkloadConfig;
  }
}

declare module '../../scenario/schema.js' {
  interface ScenarioKindKeys {
    /** Segments declared without a NIC (a vnic's `segment` must be declared). */
    readonly segments: readonly string[];
  }
  interface ScenarioWorkloads {
    readonly ping: z.output<typeof pingWorkload>;
  }
  interface ScenarioKindFaults {
    readonly 'nic-link': NicLinkFault;
  }
}

/**
 * Choice: a link changes whatever state its IOSP is in (the hardware does not ask); an IOSP that
 * is down sees it at its next boot.
 */
const nicLink: KindFault<NicLinks> = {
  action: 'nic-link',
  schema: nicLinkFault,
  apply: (links, fault) => {
    if (fault.action !== 'nic-link') return `not a nic-link fault: ${fault.action}`;
    const set = links?.set(fault.partition, fault.nic, fault.up) ?? false;
    return set ? null : `${fault.partition} owns no NIC named ${fault.nic}`;
  },
};

/** The vnic kind's part of the scenario format. */
export const vnicScenario: KindScenario<NicLinks> = {
  deviceOptions,
  hardware: { nics },
  topLevel: { segments },
  workloads: [
    {
      kind: 'ping',
      schema: pingWorkload,
      toConfig: (w) => {
        if (w.kind !== 'ping') throw new Error(`not a ping workload: ${w.kind}`);
        const { to, count, window, start } = w;
        const times = { intervalMs: w.interval, timeoutMs: w.timeout };
        return { kind: 'ping', to, count, frameBytes: w.size, window, start, ...times };
      },
    },
  ],
  faults: [nicLink],
  check: checkNetwork,
  checkConfig: checkPlan,
};

// A vnic on a declared segment, a ping to a guest (not itself) or the outside, a link fault on a
// NIC its IOSP owns.
function checkNetwork(scenario: Scenario, errors: BadReference[]): void {
  checkSegments(scenario, errors);
  for (const [i, p] of scenario.partitions.entries()) {
    for (const [j, w] of p.workloads.entries()) {
      if (w.kind !== 'ping' || p.kind !== 'guest') continue;
      const path = ['partitions', i, 'workloads', j, 'to'];
      if (w.to === p.name) errors.push({ path, message: `${p.name} cannot ping itself` });
      else if (w.to !== 'outside') {
        const message = guestProblem(scenario, w.to, '"outside"');
        if (message !== null) errors.push({ path, message });
      }
    }
  }
  const nicsOf = (iosp: string): string[] =>
    (
      scenario.partitions.find((p) => p.name === iosp && p.kind === 'iosp')?.hardware?.nics ?? []
    ).map((n) => n.name);
  scenario.faults.forEach((f, i) => {
    if (f.action !== 'nic-link' || nicsOf(f.partition).includes(f.nic)) return;
    const have = nicsOf(f.partition);
    const list = have.length === 0 ? '' : ` (have ${have.join(', ')})`;
    errors.push({
      path: ['faults', i, 'nic'],
      message: `${f.partition} owns no NIC named "${f.nic}"${list}`,
    });
  });
}

// Every vnic gets an address and every ping can be answered (network.ts says when not).
function checkPlan(config: Config, scenario: Scenario, errors: BadReference[]): void {
  const plan = networkPlan(config);
  for (const u of plan.unaddressable) {
    const i = scenario.partitions.findIndex((p) => p.name === u.guest);
    const devices = scenario.partitions[i]?.devices ?? [];
    const j = devices.findIndex((d) => d.busNo === u.busNo && d.devNo === u.devNo);
    errors.push({
      path: ['partitions', i, 'devices', j],
      message: `no address for this vnic: ${u.reason}`,
    });
  }
  const named = new Set(errors.map((e) => e.path.join('.')));
  for (const u of plan.unreachable) {
    const i = scenario.partitions.findIndex((p) => p.name === u.guest);
    const path = ['partitions', i, 'workloads', u.workload, 'to'];
    // One error per line.
    if (!named.has(path.join('.')))
      errors.push({ path, message: `ping cannot be answered: ${u.reason}` });
  }
}

/**
 * A vnic's `segment` is declared: named by a NIC's `switch` (of any IOSP) or in `segments:`. A
 * misspelt one would otherwise be a segment of its own, cut off from every other.
 */
function checkSegments(scenario: Scenario, errors: BadReference[]): void {
  const declared = [
    ...scenario.partitions.flatMap((p) => (p.hardware?.nics ?? []).map((n) => n.switch)),
    ...scenario.segments,
  ];
  for (const [i, p] of scenario.partitions.entries()) {
    for (const [j, d] of p.devices.entries()) {
      if (d.channelType !== 'vnic' || d.segment === undefined || declared.includes(d.segment))
        continue;
      const known = [...new Set(declared)];
      const have = known.length === 0 ? 'none yet' : known.join(', ');
      errors.push({
        path: ['partitions', i, 'devices', j, 'segment'],
        message: `unknown segment "${d.segment}"${didYouMean(d.segment, known)}: declare it in segments: or as a NIC's switch (declared: ${have})`,
      });
    }
  }
}
