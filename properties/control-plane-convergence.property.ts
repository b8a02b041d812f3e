// Control-plane convergence (spar-protocol.md §2.6, §3.1, §3.3–§3.5): for arbitrary sequences of
// command-partition requests a real guest (GuestHost: visorchipset, visorbus, the minimum driver
// set; sim runtime) ends with the device tree the CP believes in, every request expecting a
// response gets exactly one, after its ack (§2.5 step 3b), and the host never throws. The test
// plays the CP on guest1's controlvm channel, collecting on every doorbell ring as the real CP
// does, so it can send what the real CP never would. The requests are drawn in
// control-plane-convergence.case.ts; the belief and the checks against it are in
// control-plane-convergence.judge.ts; this file runs a guest under the CP and registers the
// property.

import fc from 'fast-check';
import { ackOrderFindings, ackOrderText, ReplyOrder } from '../src/check/index.js';
import { formatJiffies } from '../src/base/format-time.js';
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
import { CONTROLVM_ID as ID, type ControlvmHeader } from '../src/protocol/controlvm.js';
import { SimWorld } from '../src/runtime/sim/index.js';
import {
  type ControlPlaneCase,
  type CpRequest,
  type CpStep,
  cpSequenceArbitrary,
  describeRequest,
} from './control-plane-convergence.case.js';
import {
  cpBelief,
  replyViolations,
  type RunRecord,
  type SentRequest,
  treeViolations,
} from './control-plane-convergence.judge.js';

/** Guest-physical address no channel has (page-aligned, below the hypervisor's 4 GiB base). */
const BOGUS_ADDR = 0xdead_b000n;
const INSTANCE_GUID = '8f1a2b3c-4d5e-4f60-8172-8394a5b6c7d8';
const BUS_GUIDS = { busDataTypeGuid: VBUS_CHANNEL.guid, busInstGuid: INSTANCE_GUID };
/** Virtual ms the guest runs after the last request: ample, as it polls every jiffy (§2.5). */
export const SETTLE_MS = 3_000;
/** Scheduler callbacks allowed per run slice; reaching it means a runaway loop. */
const EVENT_BUDGET = 500_000;

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
  const cpEnv = world.environment('cp');
  const cp = new ControlvmCpPort(attached.value, doorbellOf(controlvm), cpEnv);
  const record = {
    sent: [] as SentRequest[],
    acks: [] as ControlvmHeader[],
    responses: [] as ControlvmHeader[],
  };
  const order = new ReplyOrder();
  // Takes the replies as the CP would, on every ring of its doorbell and after each run slice.
  const collect = (): void => {
    const replies = cp.collect();
    if (replies.error !== null) throw new Error(`controlvm queue error: ${replies.error.message}`);
    record.acks.push(...replies.acks);
    record.responses.push(...replies.responses);
    const handles = (rs: readonly ControlvmHeader[]) => rs.map((r) => String(r.messageHandle));
    order.collect(handles(replies.acks), handles(replies.responses));
  };
  const stopListening = cpEnv.onRing(doorbellOf(controlvm), 'server', collect);
  // Runs the guest for `ms` virtual ms, then takes the replies.
  const run = (ms: number): void => {
    const summary = world.scheduler.runUntil(world.scheduler.now() + ms, EVENT_BUDGET);
    if (summary.stoppedBy === 'event-budget')
      throw new Error(`runaway at ${summary.nextEvent?.label}`);
    collect();
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
  stopListening();
  const sysfs = host.sysfs();
  host.stop();
  const exchanges = record.sent.map((s) => order.exchange('guest1', String(s.handle), s.id));
  return { ...record, exchanges, sysfs, trace: world.trace };
}

/** Every broken promise of one run (empty: it converged). */
function judgeRun(run: RunRecord): string[] {
  const { belief, violations } = cpBelief(run);
  const early = ackOrderFindings(run.exchanges).map(ackOrderText);
  return [...replyViolations(run), ...early, ...violations, ...treeViolations(belief, run.sysfs)];
}

/** The predicate: every broken promise of one run (empty: it converged). Host throws propagate. */
export function controlPlaneViolations(
  steps: readonly CpStep[],
  simSeed = 1,
  quirks: readonly string[] = [],
): string[] {
  return judgeRun(runControlPlane(steps, simSeed, quirks));
}

/** The registered property (`properties/registry.ts`): one definition for vitest and `spar fuzz`. */
export const controlPlaneConvergence = {
  name: 'control-plane-convergence',
  promise:
    "For any sequence of command-partition requests (duplicates, unknown ids, devices on missing buses, bogus addresses), the guest's device tree converges to what the command partition believes, and every request expecting a response gets exactly one, after its ack.",
  kind: 'safety' as const,
  arbitrary: fc.tuple(cpSequenceArbitrary, fc.nat(1_000)) as fc.Arbitrary<ControlPlaneCase>,
  run([steps, simSeed]: ControlPlaneCase, quirks: readonly string[]) {
    const run = runControlPlane(steps, simSeed, quirks);
    return { violations: judgeRun(run), trace: run.trace };
  },
  describe([steps, simSeed]: ControlPlaneCase): string {
    return [
      `sim seed ${simSeed}`,
      ...steps.map(
        (s, i) => `${i}: ${describeRequest(s.request)}; wait ${formatJiffies(s.gapJiffies)}`,
      ),
    ].join('\n');
  },
  testRuns: 80,
};
