// Control-plane convergence (spar-protocol.md §2.6, §3.1, §3.3–§3.5): for arbitrary sequences of
// command-partition requests a real guest (GuestHost: visorchipset, visorbus, the minimum driver
// set; sim runtime) ends with the device tree the CP believes in, every request expecting a
// response gets exactly one, and the host never throws. The test plays the CP on guest1's
// controlvm channel, so it can send what the real CP never would (duplicate CHIPSET_INIT, unknown
// ids, bogus addresses, destroys of nothing). The belief, and the answers the CP may go without,
// come from its own knowledge only: what it sent, the statuses it got, the channel at each address
// it used. The guest is read through sysfs only (§3.8), as an operator would.
//
// Choice: DEVICE_CREATE's `data_type_guid` is drawn too (the channel's own type, another, or vhba,
// which no loaded driver lists), so "CHANGESTATE with no driver bound" (§3.5 step 2) follows from
// CP knowledge: only a device announced as its own console type passes `visor_check_channel`.
// Choice: plain-data steps, not fc.commands: the promise is about the settled end state, and plain
// data can be stored and replayed by `spar fuzz`. The sim seed is drawn too (same-instant order).

import fc from 'fast-check';
import { Channel, CONTROLVM_CHANNEL, VBUS_CHANNEL } from '../src/channel/index.js';
import { channelTypeNamed } from '../src/kinds/index.js';
import {
  allocateChannels,
  doorbellOf,
  minimalGuestConfig,
  type ChannelRecord,
} from '../src/hypervisor/index.js';
import { ControlvmCpPort } from '../src/partition/controlvm-cp-port.js';
import { GuestHost } from '../src/partition/guest-host.js';
import type { ControlvmPacket } from '../src/protocol/controlvm-command.js';
import * as build from '../src/protocol/controlvm-request.js';
import {
  CONTROLVM_ID as ID,
  LINUX_ERRNO,
  type ControlvmHeader,
} from '../src/protocol/controlvm.js';
import type { TraceRecord } from '../src/partition/environment.js';
import { SimWorld } from '../src/runtime/sim/index.js';

/** The type DEVICE_CREATE announces; `own` is the type of the channel at its address. */
export type AnnouncedType = 'own' | 'video' | 'keyboard' | 'mouse' | 'vhba';

/** A request of the test's CP (response expected). Addresses: bus 1 and dev 0..2 on bus 1 name
 * their channels; bus 2 a bogus address, or bus 1's with `reuse`; other devices a bogus one. */
export type CpRequest =
  | { readonly op: 'chipsetInit' }
  | { readonly op: 'busCreate'; readonly busNo: number; readonly reuse: boolean }
  | { readonly op: 'busConfigure' | 'busDestroy'; readonly busNo: number }
  | {
      readonly op: 'deviceCreate';
      readonly busNo: number;
      readonly devNo: number;
      readonly announced: AnnouncedType;
    }
  | { readonly op: 'deviceDestroy'; readonly busNo: number; readonly devNo: number }
  | {
      readonly op: 'deviceChangeState';
      readonly busNo: number;
      readonly devNo: number;
      readonly state: number;
    }
  | { readonly op: 'unknownId'; readonly id: number };

/** A request, then the jiffies the guest runs before the next (0: the next shares its poll). */
export type CpStep = { readonly request: CpRequest; readonly gapJiffies: number };

// Weighted towards bus 1 and its three real devices: a uniform mix leaves the bus absent most of
// the time, and nearly every device request would only exercise ENODEV.
const busNo = fc.constantFrom(1, 1, 1, 2);
const devNo = fc.constantFrom(0, 1, 2, 0, 1, 2, 3);
const announced = fc.constantFrom<AnnouncedType>(
  'own',
  'own',
  'own',
  'video',
  'keyboard',
  'mouse',
  'vhba',
);
const of = <T extends CpRequest>(weight: number, arbitrary: fc.Arbitrary<T>) => ({
  weight,
  arbitrary,
});

/** One request of the mix: duplicate CHIPSET_INITs, unknown ids and bogus addresses included. */
export const cpRequestArbitrary: fc.Arbitrary<CpRequest> = fc.oneof(
  of(1, fc.record({ op: fc.constant('chipsetInit' as const) })),
  of(3, fc.record({ op: fc.constant('busCreate' as const), busNo, reuse: fc.boolean() })),
  of(2, fc.record({ op: fc.constantFrom('busConfigure' as const, 'busDestroy' as const), busNo })),
  of(5, fc.record({ op: fc.constant('deviceCreate' as const), busNo, devNo, announced })),
  of(2, fc.record({ op: fc.constant('deviceDestroy' as const), busNo, devNo })),
  of(
    5,
    fc.record({
      op: fc.constant('deviceChangeState' as const),
      busNo,
      devNo,
      state: fc.constantFrom(0xf7, 0x73, 0x77),
    }),
  ),
  of(
    1,
    fc.record({
      op: fc.constant('unknownId' as const),
      id: fc.constantFrom(0x999, ID.CONTROLVM_BUS_CHANGESTATE),
    }),
  ),
);

/** The real CP's bring-up of bus 1 (§3.3, §3.4), so that most runs start from a device tree. */
const BRING_UP: readonly CpStep[] = [
  { request: { op: 'chipsetInit' }, gapJiffies: 1 },
  { request: { op: 'busCreate', busNo: 1, reuse: false }, gapJiffies: 1 },
  ...[0, 1, 2].map(
    (d): CpStep => ({
      request: { op: 'deviceCreate', busNo: 1, devNo: d, announced: 'own' },
      gapJiffies: 0,
    }),
  ),
];

const gapJiffies = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }));
const step: fc.Arbitrary<CpStep> = fc.record({ request: cpRequestArbitrary, gapJiffies });
// Each bring-up step is kept 2 times in 3, and shrinks towards dropped (cross-shrink to `false`).
const kept = fc.oneof({ withCrossShrink: true }, fc.constant(false), {
  weight: 2,
  arbitrary: fc.constant(true),
});

/** 1..30 steps: most of the bring-up, then random requests; a third of the gaps are 0 (batched). */
export const cpSequenceArbitrary: fc.Arbitrary<readonly CpStep[]> = fc
  .tuple(
    fc.tuple(...BRING_UP.map(() => kept)),
    fc.array(step, { minLength: 1, maxLength: 30, size: 'medium' }),
  )
  .map(([keep, steps]) => [...BRING_UP.filter((_, i) => keep[i]), ...steps].slice(0, 30));

/** Guest-physical address no channel has (page-aligned, below the hypervisor's 4 GiB base). */
const BOGUS_ADDR = 0xdead_b000n;
const INSTANCE_GUID = '8f1a2b3c-4d5e-4f60-8172-8394a5b6c7d8';
const BUS_GUIDS = { busDataTypeGuid: VBUS_CHANNEL.guid, busInstGuid: INSTANCE_GUID };
/** Virtual ms the guest runs after the last request: ample, as it polls every jiffy (§2.5). */
export const SETTLE_MS = 3_000;
/** Scheduler callbacks allowed per run slice; reaching it means a runaway loop. */
const EVENT_BUDGET = 500_000;

/** One request as sent: handle, id, and the address it named with the channel type there. */
export type SentRequest = {
  readonly handle: bigint;
  readonly id: number;
  readonly request: CpRequest;
} & {
  readonly channel: { readonly addr: bigint; readonly type: string | null };
};

/** What the CP saw: its requests in send order, the replies, and the guest's sysfs at the end. */
export interface RunRecord {
  readonly sent: readonly SentRequest[];
  readonly acks: readonly ControlvmHeader[];
  readonly responses: readonly ControlvmHeader[];
  readonly sysfs: Readonly<Record<string, string>>;
  /** The guest's trace (the CP's sends are the test's own, so not traced). */
  readonly trace: readonly TraceRecord[];
}

/** The channel a create names under the address rules of {@link CpRequest} (null: bogus). */
function channelFor(r: CpRequest, mine: readonly ChannelRecord[]): ChannelRecord | null {
  const vbus1 = mine.find((c) => c.kind === 'vbus' && c.busNo === 1) ?? null;
  if (r.op === 'busCreate') return r.busNo === 1 || r.reuse ? vbus1 : null;
  if (r.op !== 'deviceCreate' || r.busNo !== 1) return null;
  return mine.find((c) => c.kind === 'device' && c.busNo === 1 && c.devNo === r.devNo) ?? null;
}

// The builders' flags (response expected, not server, not test) for the ids without a builder.
const withFlags = (id: number, packet: ControlvmPacket): build.ControlvmRequestBody =>
  Object.assign(build.chipsetInitRequest(0, 0), { id, packet });

function bodyOf(r: CpRequest, channel: ChannelRecord | null): build.ControlvmRequestBody {
  const channelAddr = String(channel?.channelAddr ?? BOGUS_ADDR);
  const place = { channelAddr, channelBytes: String(channel?.channelBytes ?? 4096) };
  switch (r.op) {
    case 'chipsetInit':
      return build.chipsetInitRequest(2, 0);
    case 'busCreate':
      return build.busCreateRequest({ busNo: r.busNo, devCount: 4, ...place, ...BUS_GUIDS });
    case 'busConfigure':
      return build.busConfigureRequest(r.busNo, '1');
    case 'busDestroy':
      return withFlags(ID.CONTROLVM_BUS_DESTROY, { kind: 'destroy_bus', busNo: r.busNo });
    case 'deviceCreate': {
      const type = r.announced === 'own' ? (channel?.typeName ?? 'video') : r.announced;
      const guids = {
        dataTypeGuid: channelTypeNamed(type)?.guid ?? '',
        devInstGuid: INSTANCE_GUID,
      };
      return build.deviceCreateRequest({ busNo: r.busNo, devNo: r.devNo, ...place, ...guids });
    }
    case 'deviceDestroy':
      return build.deviceDestroyRequest(r.busNo, r.devNo);
    case 'deviceChangeState':
      return build.deviceChangeStateRequest(r.busNo, r.devNo, r.state);
    case 'unknownId':
      return withFlags(r.id, { kind: 'other' });
  }
}

/**
 * Runs guest1 of `minimalGuestConfig` on a SimWorld seeded `simSeed`, plays the CP on its
 * controlvm channel with `steps`, lets the guest settle, and returns what the CP saw. Whatever
 * the guest host throws propagates.
 */
export function runControlPlane(
  steps: readonly CpStep[],
  simSeed = 1,
  quirks: readonly string[] = [],
): RunRecord {
  const config = minimalGuestConfig();
  const mine = allocateChannels(config).forPartition('guest1');
  const world = new SimWorld({ seed: simSeed });
  const env = world.environment('guest1');
  const withQuirks = { ...config, quirks };
  const host = new GuestHost({ partition: 'guest1', config: withQuirks, channels: mine, env });
  const controlvm = mine.find((c) => c.kind === 'controlvm');
  const attached = controlvm && Channel.attachAs(controlvm.buffer, CONTROLVM_CHANNEL);
  if (controlvm === undefined || !attached?.ok)
    throw new Error('guest1 has no valid controlvm channel');
  const cp = new ControlvmCpPort(attached.value, doorbellOf(controlvm), world.environment('cp'));
  const record = {
    sent: [] as SentRequest[],
    acks: [] as ControlvmHeader[],
    responses: [] as ControlvmHeader[],
  };
  // Runs the guest for `ms` virtual ms, then takes the replies as the CP would.
  const run = (ms: number): void => {
    const summary = world.scheduler.runUntil(world.scheduler.now() + ms, EVENT_BUDGET);
    if (summary.stoppedBy === 'event-budget')
      throw new Error(`runaway at ${summary.nextEvent?.label}`);
    const replies = cp.collect();
    if (replies.error !== null) throw new Error(`controlvm queue error: ${replies.error.message}`);
    record.acks.push(...replies.acks);
    record.responses.push(...replies.responses);
  };
  host.start();
  steps.forEach(({ request, gapJiffies }, index) => {
    const channel = channelFor(request, mine);
    const body = bodyOf(request, channel);
    const handle = BigInt(1000 + index);
    const bytes = build.encodeControlvmRequest({ ...body, messageHandle: String(handle) });
    // A full queue 2 is the CP's to retry (ControlvmCpPort.send); every poll drains it.
    let outcome = cp.send(bytes);
    for (let tries = 1; outcome === 'overflow' && tries <= 100; tries++, outcome = cp.send(bytes))
      run(5);
    if (outcome !== 'inserted') throw new Error(`send #${handle}: ${JSON.stringify(outcome)}`);
    const at = { addr: channel?.channelAddr ?? BOGUS_ADDR, type: channel?.typeName ?? null };
    record.sent.push({ handle, id: body.id, request, channel: at });
    if (gapJiffies > 0) run(gapJiffies * config.jiffyMs);
  });
  run(SETTLE_MS);
  const sysfs = host.sysfs();
  host.stop();
  return { ...record, sysfs, trace: world.trace };
}

/** What the CP believes exists at the end: buses with the address they were created at, devices. */
export type CpBelief = {
  readonly buses: ReadonlyMap<number, bigint>;
  readonly devices: ReadonlySet<string>;
};

// What the CP knows of a device it believes exists: `bound` when announced as its channel's own
// console type, which the minimum driver set binds (§6); `held` once a CHANGESTATE of it went
// unanswered, which the guest then holds for good (§3.1, §3.5 step 2).
type KnownDevice = { readonly bound: boolean; held: boolean };

const BOUND_TYPES: readonly (string | null)[] = ['video', 'keyboard', 'mouse'];

/** The status the CP can predict for an answered request, or null when any will do. */
function predictedStatus(
  r: CpRequest,
  device: KnownDevice | undefined,
  inited: boolean,
): number | null {
  if (r.op === 'chipsetInit') return inited ? 1 : 0; // ALREADY_DONE (§2.6)
  if (r.op === 'unknownId') return 4; // ID_UNKNOWN (§2.6)
  const onDevice = r.op === 'deviceDestroy' || r.op === 'deviceChangeState';
  return onDevice && device?.held === true ? LINUX_ERRNO.EIO : null; // pending header (§3.1)
}

/**
 * Folds the requests in send order, which is the guest's processing order (§2.5), with the answer
 * each got: the CP's belief, and every answer that breaks §2.6 / §3.1 / §3.5. A request may go
 * unanswered only if it is a CHANGESTATE the guest may hold for good: to a device the CP believes
 * exists and holds nothing yet, for a state neither running nor standby or with no driver bound.
 * Such a request, if answered, was refused (status ≠ 0).
 */
export function cpBelief(run: RunRecord): { belief: CpBelief; violations: string[] } {
  const violations: string[] = [];
  const answers = new Map<bigint, ControlvmHeader>();
  for (const r of run.responses) if (!answers.has(r.messageHandle)) answers.set(r.messageHandle, r);
  const buses = new Map<number, bigint>();
  const devices = new Map<string, KnownDevice>();
  let inited = false;
  for (const { handle, request: r, channel } of run.sent) {
    const what = `#${handle} ${describeRequest(r)}`;
    const status = answers.get(handle)?.completionStatus;
    const key = 'devNo' in r ? `${r.busNo}:${r.devNo}` : '';
    const device = devices.get(key);
    const holdable =
      r.op === 'deviceChangeState' && device?.held === false && (r.state === 0x77 || !device.bound);
    if (status === undefined) {
      if (holdable && device !== undefined) device.held = true;
      else violations.push(`${what}: never answered`);
      continue;
    }
    if (holdable && status === 0)
      violations.push(`${what}: success, but the guest cannot complete it`);
    const predicted = predictedStatus(r, device, inited);
    if (predicted !== null && status !== predicted)
      violations.push(`${what}: status ${status}, expected ${predicted}`);
    if (status !== 0) continue;
    // A success must agree with the belief, or §2.6 would have answered EEXIST / ENODEV / EINVAL.
    const existed = 'devNo' in r ? device !== undefined : 'busNo' in r && buses.has(r.busNo);
    if (r.op.endsWith('Create') && existed)
      violations.push(`${what}: success, but it existed already`);
    if (/Destroy|Configure/.test(r.op) && !existed) violations.push(`${what}: success on nothing`);
    if (r.op === 'chipsetInit') inited = true;
    else if (r.op === 'busCreate') buses.set(r.busNo, channel.addr);
    else if (r.op === 'busDestroy')
      buses.delete(r.busNo); // its devices stay (§3.3 step 3)
    else if (r.op === 'deviceDestroy') devices.delete(key);
    else if (r.op === 'deviceCreate') {
      const own = r.announced === 'own' || r.announced === channel.type;
      devices.set(key, { bound: own && BOUND_TYPES.includes(channel.type), held: false });
    }
  }
  return { belief: { buses, devices: new Set(devices.keys()) }, violations };
}

/** Every ack and response names a handle the CP sent, with its id, once; every command is acked. */
export function replyViolations(run: RunRecord): string[] {
  const violations: string[] = [];
  const ids = new Map(run.sent.map((s) => [s.handle, s.id]));
  for (const [kind, replies] of [
    ['ack', run.acks],
    ['response', run.responses],
  ] as const) {
    const seen = new Set<bigint>();
    for (const { messageHandle: h, id } of replies) {
      if (ids.get(h) !== id) violations.push(`${kind} #${h} id 0x${id.toString(16)}: never sent`);
      if (seen.has(h)) violations.push(`second ${kind} for #${h}`);
      seen.add(h);
    }
    if (kind === 'ack' && seen.size < ids.size)
      violations.push(`${ids.size - seen.size} commands never acked`);
  }
  return violations;
}

const BUS_ADDR_FILE = /^\/sys\/devices\/visorbus(\d+)\/channel_addr$/;
const MODALIAS_FILE = /^\/sys\/devices\/visorbus(\d+)\/vbus(\d+):dev(\d+)\/modalias$/;

/** sysfs (§3.8) against the belief: exactly the believed buses, at their addresses, and devices. */
export function treeViolations(
  belief: CpBelief,
  sysfs: Readonly<Record<string, string>>,
): string[] {
  const shown = new Set<string>();
  for (const [path, contents] of Object.entries(sysfs)) {
    const bus = BUS_ADDR_FILE.exec(path);
    if (bus !== null) shown.add(`bus ${bus[1]} at ${contents}`);
    const dev = MODALIAS_FILE.exec(path);
    if (dev !== null)
      shown.add(`device ${dev[2]}:${dev[3]}${dev[1] === dev[2] ? '' : ` in visorbus${dev[1]}`}`);
  }
  const buses = [...belief.buses].map(([n, addr]) => `bus ${n} at 0x${addr.toString(16)}`);
  const believed = new Set([...buses, ...[...belief.devices].map((d) => `device ${d}`)]);
  const missing = [...believed]
    .filter((x) => !shown.has(x))
    .map((x) => `${x}: believed, not in sysfs`);
  return [
    ...missing,
    ...[...shown].filter((x) => !believed.has(x)).map((x) => `${x}: in sysfs, not believed`),
  ];
}

/** The predicate: every broken promise of one run (empty: it converged). Host throws propagate. */
export function controlPlaneViolations(steps: readonly CpStep[], simSeed = 1): string[] {
  const run = runControlPlane(steps, simSeed);
  const { belief, violations } = cpBelief(run);
  return [...replyViolations(run), ...violations, ...treeViolations(belief, run.sysfs)];
}

/** A request for messages, e.g. `deviceChangeState 1 0 0x77` (ids and states in hex). */
export function describeRequest(r: CpRequest): string {
  return Object.values(r)
    .map((v) => (typeof v === 'number' && v > 9 ? `0x${v.toString(16)}` : String(v)))
    .join(' ');
}

/** One case: the CP's request sequence and the sim seed (same-instant order). */
export type ControlPlaneCase = readonly [steps: readonly CpStep[], simSeed: number];

/** The registered property (`properties/registry.ts`): one definition for vitest and `spar fuzz`. */
export const controlPlaneConvergence = {
  name: 'control-plane-convergence',
  promise:
    "For any sequence of command-partition requests (duplicates, unknown ids, devices on missing buses, bogus addresses), the guest's device tree converges to what the command partition believes, and every request expecting a response gets exactly one.",
  kind: 'safety' as const,
  arbitrary: fc.tuple(cpSequenceArbitrary, fc.nat(1_000)) as fc.Arbitrary<ControlPlaneCase>,
  run([steps, simSeed]: ControlPlaneCase, quirks: readonly string[]) {
    const run = runControlPlane(steps, simSeed, quirks);
    const { belief, violations } = cpBelief(run);
    return {
      violations: [...replyViolations(run), ...violations, ...treeViolations(belief, run.sysfs)],
      trace: run.trace,
    };
  },
  describe([steps, simSeed]: ControlPlaneCase): string {
    return [
      `sim seed ${simSeed}`,
      ...steps.map((s, i) => `${i}: ${describeRequest(s.request)} +${s.gapJiffies}j`),
    ].join('\n');
  },
  testRuns: 80,
};
