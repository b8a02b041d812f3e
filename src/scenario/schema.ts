// The scenario file format (scenarios/*.yaml): one zod schema, from which both validation and the
// JSON Schema for editors (`spar schema`, scenarios/scenario.schema.json) come. Objects are strict:
// an unknown key is an error. Cross-references (a fault naming a partition, a disk shared with a
// guest) are checked after the shape, in `references.ts`, so each error can point at its line.
//
// Extending: later issues add workload kinds, fault actions and expectation names by adding
// members to the unions below (FAULT_ACTIONS, EXPECTATIONS, ...), not by changing the layout.

import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration: milliseconds as a number, or a string such as "250ms", "1.5s", "2m". */
export const durationSchema = z
  .union([z.number(), z.string()])
  .refine((v) => parseDuration(v) !== null, {
    error:
      'expected a duration such as 250, "250ms", "1.5s" or "2m" (whole milliseconds, not negative)',
  })
  .transform((v) => parseDuration(v) as number)
  .meta({ description: 'Milliseconds, or a string with a unit: "250ms", "1.5s", "2m".' });

const name = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a name of letters, digits, "_", "." or "-"' });
const u32 = z.number().int().min(0).max(0xffff_ffff);

const bus = z.strictObject({
  busNo: u32.meta({ description: 'bus_no, assigned by the command partition (§3.7).' }),
  deviceCount: u32.meta({
    description: 'dev_count: device slots on the bus; every devNo is below it.',
  }),
});

const device = z.strictObject({
  busNo: u32,
  devNo: u32,
  channelType: z.string().meta({
    description: 'Channel type: vhba, vnic, video, keyboard, mouse, console-serial, diag.',
  }),
  server: name.optional().meta({
    description:
      'Partition serving the channel; an IOSP for vhba/vnic, the command partition by default for console types.',
  }),
  promiscuous: z.boolean().optional().meta({
    description:
      'vnic only: the guest sets IFF_PROMISC (NET_RCV_PROMISC) and receives every frame of its segment.',
  }),
  segment: name.optional().meta({
    description:
      'vnic only: the IOSP\'s virtual switch segment the interface joins (default: the segment of the IOSP\'s first NIC, else "default").',
  }),
});

const disk = z.strictObject({
  name,
  blocks: z.number().int().min(1),
  blockSize: z
    .union([z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)])
    .default(512)
    .meta({ description: 'Logical block size in bytes: 512, 1024, 2048 or 4096.' }),
  sharedWith: z
    .array(name)
    .default([])
    .meta({ description: 'Guests that see this disk; others get "no disk" (§4.4.1).' }),
  latencyMs: z
    .strictObject({ min: z.number().min(0).max(60_000), max: z.number().min(0).max(60_000) })
    .refine((l) => l.min <= l.max, { error: 'expected min ≤ max' })
    .optional()
    .meta({
      description: 'Service time of one command in ms, uniform in [min, max] (default 0.1–1).',
    }),
});

const hardware = z.strictObject({
  scsi: z.array(z.strictObject({ name, disks: z.array(disk).default([]) })).default([]),
  nics: z
    .array(
      z.strictObject({
        name,
        switch: name.meta({ description: 'The virtual switch segment the NIC joins.' }),
      }),
    )
    .default([]),
});

/** Workloads run inside a guest; later issues add kinds (network traffic). */
const workload = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z
      .literal('block')
      .meta({ description: 'Writes and reads back blocks of a disk with verifiable content.' }),
    disk: name.meta({ description: 'A disk an IOSP shares with this guest.' }),
    queueDepth: z.number().int().min(1).max(128).default(8),
    ops: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(200)
      .meta({ description: 'Requests in total.' }),
    writeFraction: z.number().min(0).max(1).default(0.5),
    maxBlocks: z
      .number()
      .int()
      .min(1)
      .max(128)
      .default(8)
      .meta({ description: 'Largest request, in blocks (capped by the 64 KiB DMA buffer).' }),
    start: durationSchema
      .default(0)
      .meta({ description: 'When the workload starts, once its disk is there.' }),
  }),
  z.strictObject({
    kind: z.literal('ping').meta({
      description:
        "ICMP echo requests to another guest on the same IOSP and segment, or to the outside behind the IOSP's NIC.",
    }),
    to: name.meta({
      description: 'A guest with a vnic on the same IOSP and segment, or "outside".',
    }),
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
  }),
]);

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
  workloads: z.array(workload).default([]).meta({ description: 'What runs inside a guest.' }),
});

/** A fault's trigger: a time, or the first trace record matching a condition. */
const trigger = {
  at: durationSchema
    .optional()
    .meta({ description: 'When the fault fires (from the start of the run).' }),
  when: z
    .strictObject({
      partition: name.optional(),
      actor: z
        .string()
        .optional()
        .meta({ description: 'Actor systemId, e.g. guest1/visorchipset.' }),
      event: z
        .string()
        .meta({ description: 'Trace event, e.g. controlvm.respond, BOOTED (a lifecycle event).' }),
      occurrence: z
        .number()
        .int()
        .min(1)
        .default(1)
        .meta({ description: 'Fire at the Nth matching record (default the first).' }),
      after: durationSchema.default(0).meta({ description: 'Delay after the matching record.' }),
    })
    .optional()
    .meta({ description: 'Fires once, at the Nth trace record matching every field given.' }),
};

/** The fault actions; later issues add members. */
export const FAULT_ACTIONS = [
  'crash',
  'reboot',
  'hang',
  'shutdown',
  'boot',
  'disk-error',
  'nic-link',
] as const;

const fault = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('crash'), partition: name, ...trigger }),
  z.strictObject({
    action: z.literal('reboot'),
    partition: name,
    down: durationSchema.default(0).meta({ description: 'Down time before it boots again.' }),
    ...trigger,
  }),
  z.strictObject({ action: z.literal('hang'), partition: name, ...trigger }),
  z.strictObject({ action: z.literal('shutdown'), partition: name, ...trigger }),
  z.strictObject({ action: z.literal('boot'), partition: name, ...trigger }),
  z.strictObject({
    action: z.literal('disk-error'),
    partition: name.meta({ description: 'The IOSP owning the disk.' }),
    disk: name,
    op: z.enum(['read', 'write']),
    lba: z.number().int().min(0),
    count: z.number().int().min(1).default(1).meta({ description: 'Blocks from lba that fail.' }),
    times: z
      .number()
      .int()
      .min(1)
      .default(1)
      .meta({ description: 'How many operations fail before the disk heals.' }),
    ...trigger,
  }),
  z.strictObject({
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
    ...trigger,
  }),
]);

/** Named checks a scenario can expect; later issues add storage and network ones. */
export const EXPECTATIONS = {
  'guests-running': 'Every guest partition is running at the end (lifecycle state running).',
  'bring-up-complete':
    'The command partition brought every guest up: every create answered with success.',
  'every-request-answered': 'Every controlvm request that expected a response got exactly one.',
  'drivers-bound': 'Every configured device of every running guest has a bound driver.',
  'sysfs-matches-config': "Each guest's sysfs view shows exactly the configured buses and devices.",
  'no-lost-writes':
    'After the run every block holds the last acknowledged write to it, or a later unacknowledged one.',
  'exactly-once-completion':
    'Every workload request completed exactly once: never twice, never lost.',
  'io-resumes':
    'Every workload finished all its requests by the time limit (IO resumed after every fault).',
  'no-duplicate-frames':
    'No frame was delivered twice: no echo request answered twice, no reply received twice (at-most-once).',
  isolation:
    'No frame reached a guest outside its segment, and no receive buffer was read while the IOSP could still write it.',
  'link-recovers':
    'Every vnic whose IOSP is up has its link up at the end, and every ping flow got answers after its last link-up (or finished before it).',
} as const;

/** One of {@link EXPECTATIONS}. */
export type ExpectationName = keyof typeof EXPECTATIONS;

const expectationNames = Object.keys(EXPECTATIONS) as [ExpectationName, ...ExpectationName[]];

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
    faults: z.array(fault).default([]),
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

/** A validated scenario, defaults filled in, durations in milliseconds. */
export type Scenario = z.output<typeof scenarioSchema>;
/** One fault of a scenario. */
export type ScenarioFault = Scenario['faults'][number];
