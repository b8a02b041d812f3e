// The scenario file format (scenarios/*.yaml): one zod schema, from which both validation and the
// JSON Schema for editors (`spar schema`, scenarios/scenario.schema.json) come. Objects are strict:
// an unknown key is an error. The control plane's parts are here; each device kind adds its own
// (src/kinds/<kind>/scenario.ts): device options, IOSP hardware, top-level keys, workloads and fault
// actions, whose types it declares in the interfaces below. Cross-references (a fault naming a
// partition, a disk shared with a guest) are checked after the shape, in `references.ts`.

import { z } from 'zod';
import type { BusConfig, DeviceOptions, HardwareConfig } from '../hypervisor/config.js';
import { CHANNEL_CORRUPTIONS } from '../channel/index.js';
import { DEVICE_CHANNEL_TYPES, deviceChannel, KINDS } from '../kinds/index.js';
import { EXPECTATIONS } from '../run/expectations.js';
import {
  nameSchema as name,
  triggerShape,
  u32Schema as u32,
  durationSchema,
} from './schema-parts.js';

/** A workload of a scenario, by `kind`: each device kind declares its own (e.g. `block`). */
// biome-ignore lint/suspicious/noEmptyInterface: kinds augment it with their workloads.
export interface ScenarioWorkloads {}

/** The top-level keys the device kinds add (e.g. vnic's `segments`). */
// biome-ignore lint/suspicious/noEmptyInterface: kinds augment it with their keys.
export interface ScenarioKindKeys {}

/** A fault action a device kind adds, by `action` (e.g. `disk-error`). */
// biome-ignore lint/suspicious/noEmptyInterface: kinds augment it with their faults.
export interface ScenarioKindFaults {}

const bus = z.strictObject({
  busNo: u32.meta({ description: 'bus_no, assigned by the command partition (§3.7).' }),
  deviceCount: u32.meta({
    description: 'dev_count: device slots on the bus; every devNo is below it.',
  }),
});

/** The channel types an IO service partition serves (the IO devices). */
const iospChannelTypes = DEVICE_CHANNEL_TYPES.filter((t) => deviceChannel(t)?.server === 'iosp');

const device = z.strictObject({
  busNo: u32,
  devNo: u32,
  channelType: z
    .string()
    .meta({ description: `Channel type: ${DEVICE_CHANNEL_TYPES.join(', ')}.` }),
  server: name.optional().meta({
    description: `Partition serving the channel: an IOSP for IO devices (${iospChannelTypes.join(', ')}), the command partition (the default) for the others.`,
  }),
  ...Object.assign({}, ...KINDS.map((k) => k.scenario?.deviceOptions ?? {})),
});

const hardware = z.strictObject(Object.assign({}, ...KINDS.map((k) => k.scenario?.hardware ?? {})));

const workloadSchemas = KINDS.flatMap((k) => (k.scenario?.workloads ?? []).map((w) => w.schema));

const partition = z.strictObject({
  name,
  kind: z.enum(['command', 'iosp', 'guest']),
  index: u32
    .optional()
    .meta({ description: 'partition_index; defaults to the position in the list.' }),
  buses: z.array(bus).default([]),
  devices: z.array(device).default([]),
  drivers: z.array(z.string()).default([]).meta({
    description:
      'Extra function-driver modules to load (a guest gets the minimum set plus what its devices need).',
  }),
  hardware: hardware
    .optional()
    .meta({ description: 'Physical devices an IO service partition owns.' }),
  workloads: z
    .array(z.discriminatedUnion('kind', nonEmpty(workloadSchemas, 'workload')))
    .default([])
    .meta({ description: 'What runs inside a guest.' }),
});

// A fault on a partition's channels, or on one of them by its id.
const channelShape = {
  channel: z.string().optional().meta({
    description: 'One channel of the partition by id (guest1/vbus1:dev0); default all of them.',
  }),
};

/**
 * The control plane's fault actions: the hypervisor does the lifecycle ones to a partition; the
 * channel ones act on the partition's doorbells and queues (src/run/channel-faults.ts).
 */
const coreFaults = [
  z.strictObject({ action: z.literal('crash'), partition: name, ...triggerShape }),
  z.strictObject({
    action: z.literal('reboot'),
    partition: name,
    down: durationSchema.default(0).meta({ description: 'Down time before it boots again.' }),
    ...triggerShape,
  }),
  z.strictObject({ action: z.literal('hang'), partition: name, ...triggerShape }),
  z.strictObject({ action: z.literal('shutdown'), partition: name, ...triggerShape }),
  z.strictObject({ action: z.literal('boot'), partition: name, ...triggerShape }),
  // Hostile memory at run time (docs/scenario-format.md "channel-corrupt"): the guest's IO device
  // channel (busNo, devNo), served by an IOSP, gets one field or slot written with a bad value.
  z.strictObject({
    action: z.literal('channel-corrupt'),
    partition: name.meta({ description: 'The guest whose device channel is corrupted.' }),
    busNo: u32,
    devNo: u32,
    corrupt: z.enum(CHANNEL_CORRUPTIONS).meta({
      description:
        'What is broken: signature, head, tail, queue-header (sig_base_offset), slot-oversized (signal_size), slot-torn (a half-garbage slot published).',
    }),
    queue: u32.default(1).meta({
      description: 'Signal queue: 0 guest → IOSP, 1 IOSP → guest (default). Not for signature.',
    }),
    value: u32.optional().meta({ description: 'The head or tail written (default 0xFFFFFFF0).' }),
    ...triggerShape,
  }),
  z.strictObject({
    action: z.literal('doorbell-lost'),
    partition: name.meta({ description: 'The partition whose doorbells lose rings.' }),
    ...channelShape,
    count: z.number().int().min(1).optional().meta({
      description: 'Rings to lose (default 1 without `for`, any number within `for`).',
    }),
    rate: z.number().gt(0).max(1).default(1).meta({
      description: 'Chance each ring is lost (seeded), e.g. 0.5; default every ring.',
    }),
    for: durationSchema.optional().meta({ description: 'How long rings may be lost.' }),
    ...triggerShape,
  }),
  z.strictObject({
    action: z.literal('doorbell-spurious'),
    partition: name.meta({
      description: 'The partition woken by doorbells that announce nothing.',
    }),
    ...channelShape,
    count: z.number().int().min(1).max(10_000).default(1).meta({
      description: 'Spurious rings of each doorbell.',
    }),
    for: durationSchema.default(0).meta({
      description: 'The rings fall at seeded instants within this span (0: all at once).',
    }),
    ...triggerShape,
  }),
  z.strictObject({
    action: z.literal('queue-full'),
    partition: name.meta({
      description: 'The serving partition (an IOSP) that stops taking commands off its queues.',
    }),
    ...channelShape,
    for: durationSchema.meta({ description: 'How long it leaves the queues undrained.' }),
    ...triggerShape,
  }),
] as const;

const kindFaults = KINDS.flatMap((k) => (k.scenario?.faults ?? []).map((f) => f.schema));

/** Every fault action: the control plane's, then each device kind's. */
export const FAULT_ACTIONS: readonly string[] = [
  ...coreFaults.map((f) => f.shape.action.value),
  ...KINDS.flatMap((k) => (k.scenario?.faults ?? []).map((f) => f.action)),
];

const expectationNames = nonEmpty(Object.keys(EXPECTATIONS), 'expectation');

/** The whole file. */
export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Path of the JSON Schema, for editors.' }),
    description: z.string().optional().meta({ description: 'What the scenario shows.' }),
    seed: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .meta({ description: 'Default seed when --seed is not given.' }),
    jiffyMs: z
      .number()
      .positive()
      .optional()
      .meta({ description: 'Milliseconds per jiffy: 1 (HZ=1000, default) or 4 (HZ=250).' }),
    until: durationSchema.meta({
      description: 'Time limit: virtual time in the sim runtime, wall time in workers.',
    }),
    partitions: z.array(partition).min(1),
    ...Object.assign({}, ...KINDS.map((k) => k.scenario?.topLevel ?? {})),
    faults: z.array(z.discriminatedUnion('action', [...coreFaults, ...kindFaults])).default([]),
    quirks: z.array(z.string()).default([]).meta({
      description: 'Upstream quirks to switch on for the whole run (spar list shows them).',
    }),
    expect: z
      .array(z.enum(expectationNames))
      .default(['guests-running', 'bring-up-complete', 'every-request-answered']),
  })
  .meta({
    title: 'spar-sim scenario',
    description: 'A spar-sim scenario: partitions, hardware, faults, time limit and expectations.',
  });

/** One workload of a scenario (each kind's). */
export type ScenarioWorkload = ScenarioWorkloads[keyof ScenarioWorkloads];

/** One fault of a scenario: the control plane's, or a device kind's. */
export type ScenarioFault =
  | z.output<(typeof coreFaults)[number]>
  | ScenarioKindFaults[keyof ScenarioKindFaults];

/** One device of a scenario, its kind's options included. */
export interface ScenarioDevice extends DeviceOptions {
  readonly busNo: number;
  readonly devNo: number;
  readonly channelType: string;
  readonly server?: string;
}

/** One partition of a scenario. */
export interface ScenarioPartition {
  readonly name: string;
  readonly kind: 'command' | 'iosp' | 'guest';
  readonly index?: number;
  readonly buses: readonly BusConfig[];
  readonly devices: readonly ScenarioDevice[];
  readonly drivers: readonly string[];
  readonly hardware?: HardwareConfig;
  readonly workloads: readonly ScenarioWorkload[];
}

/** A validated scenario, defaults filled in, durations in milliseconds. */
export interface Scenario extends ScenarioKindKeys {
  readonly $schema?: string;
  readonly description?: string;
  readonly seed?: number;
  readonly jiffyMs?: number;
  readonly until: number;
  readonly partitions: readonly ScenarioPartition[];
  readonly faults: readonly ScenarioFault[];
  readonly quirks: readonly string[];
  readonly expect: readonly string[];
}

/**
 * `data` checked against the schema: the scenario, or zod's issues. The schema is composed from
 * the same fragments whose output types the kinds declare above, so its output is a Scenario.
 */
export function safeParseScenario(
  data: unknown,
): { success: true; data: Scenario } | { success: false; error: z.ZodError } {
  const parsed = scenarioSchema.safeParse(data);
  return parsed.success ? { success: true, data: asScenario(parsed.data) } : parsed;
}

/** `data` as a scenario; throws on a shape error (for scenarios built in code). */
export function parseScenario(data: unknown): Scenario {
  return asScenario(scenarioSchema.parse(data));
}

// The composed schema's output: its kind parts are typed by the interfaces the kinds augment.
function asScenario(data: object): Scenario {
  return data as Scenario;
}

// zod's unions and enums need at least one member; spar-sim registers kinds that provide them.
function nonEmpty<T>(items: readonly T[], what: string): [T, ...T[]] {
  const [first, ...rest] = items;
  if (first === undefined) throw new Error(`no ${what} is registered`);
  return [first, ...rest];
}
