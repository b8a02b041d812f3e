// Era A client-bus convergence (spar-protocol.md §5.7, §5.11, §5.12, §4.6, §4.7): for arbitrary
// sequences of DEVICE_CREATE, DEVICE_DESTROY and DEVICE_CHANGESTATE (standby / running) of a
// guest's virtual HBA and NIC, with the IOSP serving both channels, every request gets exactly
// one response, and at the end the devices with a bound virthba / virtnic are exactly those the
// command partition believes exist (created with success and not destroyed with success).
// The test plays the CP on the guest's controlvm channel and the IOSP's channel initialisation.
//
// The quirk `uislib-destroy-uses-bus-no` breaks it: a destroy is answered success but the driver
// stays bound (the fuzzer finds it within a few hundred runs).

import fc from 'fast-check';
import { formatJiffies } from '../src/base/format-time.js';
import { segmentStateText } from '../src/protocol/value-names.js';
import { VBUS_CHANNEL } from '../src/channel/index.js';
import { channelTypeNamed } from '../src/kinds/index.js';
import {
  ioGuestConfig,
  serverInitializeChannel,
  type ChannelRecord,
} from '../src/hypervisor/index.js';
import { guestBench } from '../src/partition/testing/guest-harness.js';
import * as build from '../src/protocol/controlvm-request.js';

/** One CP request on bus 1: dev 0 is the vhba, dev 1 the vnic. */
export type ClientBusOp =
  | { readonly op: 'create' | 'destroy'; readonly devNo: 0 | 1 }
  | { readonly op: 'changeState'; readonly devNo: 0 | 1; readonly state: 0x73 | 0xf7 };

/** A request and the jiffies the guest runs before the next. */
export interface ClientBusStep {
  readonly request: ClientBusOp;
  readonly gapJiffies: number;
}

const devNo = fc.constantFrom<0 | 1>(0, 1);
const op: fc.Arbitrary<ClientBusOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('create' as const), devNo }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('destroy' as const), devNo }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('changeState' as const),
      devNo,
      state: fc.constantFrom<0x73 | 0xf7>(0x73, 0xf7),
    }),
  },
);
const step = fc.record({
  request: op,
  gapJiffies: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 })),
});

/** One case: the request sequence and the sim seed. */
export type ClientBusCase = readonly [steps: readonly ClientBusStep[], simSeed: number];

const INSTANCE = '8f1a2b3c-4d5e-4f60-8172-8394a5b6c7d8';
/** Virtual ms the guest runs after the last request. */
const SETTLE_MS = 3_000;

function body(r: ClientBusOp, channel: ChannelRecord): build.ControlvmRequestBody {
  if (r.op === 'destroy') return build.deviceDestroyRequest(1, r.devNo);
  if (r.op === 'changeState') return build.deviceChangeStateRequest(1, r.devNo, r.state);
  const place = {
    channelAddr: String(channel.channelAddr),
    channelBytes: String(channel.channelBytes),
  };
  return build.deviceCreateRequest({
    busNo: 1,
    devNo: r.devNo,
    ...place,
    dataTypeGuid: channelTypeNamed(channel.typeName)?.guid ?? '',
    devInstGuid: INSTANCE,
  });
}

/** Runs one case; returns every broken promise and the guest's trace. */
export function runClientBus([steps, simSeed]: ClientBusCase, quirks: readonly string[]) {
  const b = guestBench(ioGuestConfig(), 'guest1', simSeed, quirks);
  const channels = [
    b.channel((c) => c.typeName === 'vhba'),
    b.channel((c) => c.typeName === 'vnic'),
  ] as const;
  for (const c of channels) serverInitializeChannel(c); // the IOSP serves both from the start
  const vbus = b.channel((c) => c.kind === 'vbus');
  const violations: string[] = [];
  b.send(build.chipsetInitRequest(2, 0));
  b.send(
    build.busCreateRequest({
      busNo: 1,
      devCount: 2,
      channelAddr: String(vbus.channelAddr),
      channelBytes: String(vbus.channelBytes),
      busDataTypeGuid: VBUS_CHANNEL.guid,
      busInstGuid: INSTANCE,
    }),
  );
  b.run(2);
  const sent = steps.map(({ request, gapJiffies }) => {
    const handle = b.send(body(request, channels[request.devNo]));
    if (gapJiffies > 0) b.run(gapJiffies);
    return { handle, request };
  });
  b.run(SETTLE_MS);
  const believed = new Set<number>();
  for (const { handle, request } of sent) {
    const answers = b.responses.filter((r) => r.messageHandle === handle);
    const what = `#${handle} ${request.op} dev ${request.devNo}${'state' in request ? ` 0x${request.state.toString(16)}` : ''}`;
    if (answers.length !== 1) violations.push(`${what}: ${answers.length} responses`);
    if (answers[0]?.completionStatus !== 0) continue;
    if (request.op === 'create') believed.add(request.devNo);
    if (request.op === 'destroy') believed.delete(request.devNo);
  }
  const snapshot = b.host.snapshot();
  const bound = new Set(
    [0, 1].filter((d) =>
      Object.keys(snapshot).some((id) => new RegExp(`/virt(hba|nic):1:${d}$`).test(id)),
    ),
  );
  for (const d of [0, 1]) {
    if (believed.has(d) !== bound.has(d))
      violations.push(
        `dev ${d}: ${believed.has(d) ? 'believed' : 'not believed'} by the CP, ${bound.has(d) ? 'bound' : 'not bound'} in the guest`,
      );
  }
  b.host.stop();
  return { violations, trace: b.world.trace };
}

/** The registered property (`properties/registry.ts`). */
export const clientBusConvergence = {
  name: 'client-bus-convergence',
  promise:
    "For any sequence of create, destroy, pause and resume of a guest's virtual HBA and NIC (Era A client bus, IOSP serving), every request gets exactly one response and the bound drivers end as the command partition believes.",
  kind: 'safety' as const,
  arbitrary: fc.tuple(
    fc.array(step, { minLength: 1, maxLength: 16 }),
    fc.nat(1_000),
  ) as fc.Arbitrary<ClientBusCase>,
  run: runClientBus,
  describe([steps, simSeed]: ClientBusCase): string {
    const text = (s: ClientBusStep) =>
      `${s.request.op} dev ${s.request.devNo}${'state' in s.request ? ` ${segmentStateText(s.request.state)}` : ''}; wait ${formatJiffies(s.gapJiffies)}`;
    return [`sim seed ${simSeed}`, ...steps.map((s, i) => `${i}: ${text(s)}`)].join('\n');
  },
  testRuns: 60,
};
