// The demo's command partition: sends the guest-bring-up commands into the controlvm channel's
// event queue (queue 2), then collects the guest's acks (queue 3) and responses (queue 0),
// correlating both by message_handle (spar-protocol.md §2.1, §2.3).

import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../base/assert.js';
import { Channel, channelTypes, Doorbell } from '../channel/index.js';
import {
  CONTROLVM_FLAG,
  CONTROLVM_ID,
  CONTROLVM_QUEUE_ACK,
  CONTROLVM_QUEUE_EVENT,
  CONTROLVM_QUEUE_REQUEST,
  controlvmIdName,
  decodeControlvmHeader,
  encodeControlvmMessage,
  VISOR_CHIPSET_FEATURE_PARA_HOTPLUG,
} from '../protocol/controlvm.js';
import type { DemoReport } from './timeline.js';

const { channel: buffer, bell: bellBuffer, epochMs } = workerData as { channel: SharedArrayBuffer; bell: SharedArrayBuffer; epochMs: number };
const port = parentPort;
assert(port !== null, 'cp.worker must run in a worker thread');
const report = (r: DemoReport) => port.postMessage(r);
// A pending Atomics.waitAsync does not keep a worker alive (stack.md pitfall 4); a port
// listener does, until the main thread terminates this worker.
port.on('message', () => undefined);
const log = (text: string) => report({ kind: 'timeline', entry: { atMs: performance.timeOrigin + performance.now() - epochMs, partition: 'cp', text } });

const attached = Channel.attachAs(buffer, channelTypes.controlvm);
assert(attached.ok, 'the controlvm channel the hypervisor created must validate');
const channel = attached.value;
const bell = new Doorbell(bellBuffer);
const { CONTROLVM_CHIPSET_INIT, CONTROLVM_BUS_CREATE, CONTROLVM_DEVICE_CREATE } = CONTROLVM_ID;

// The bring-up sequence of DESIGN.md, plus a Era-A-only DISK_CREATE (0x221) the final guest
// answers with "unknown id".
const commands = [
  encodeControlvmMessage({ id: CONTROLVM_CHIPSET_INIT, messageHandle: 1n, flags: CONTROLVM_FLAG.responseExpected }, (v) => {
    v.set('cmd.init_chipset.bus_count', 1);
    v.set('cmd.init_chipset.features', VISOR_CHIPSET_FEATURE_PARA_HOTPLUG);
  }),
  encodeControlvmMessage({ id: CONTROLVM_BUS_CREATE, messageHandle: 2n, flags: CONTROLVM_FLAG.responseExpected }, (v) => {
    v.set('cmd.create_bus.bus_no', 1);
    v.set('cmd.create_bus.dev_count', 2);
    v.setGuid('cmd.create_bus.bus_data_type_guid', channelTypes.vbus.guid);
  }),
  ...(['vhba', 'vnic'] as const).map((type, dev) =>
    encodeControlvmMessage({ id: CONTROLVM_DEVICE_CREATE, messageHandle: BigInt(3 + dev), flags: CONTROLVM_FLAG.responseExpected }, (v) => {
      v.set('cmd.create_device.bus_no', 1);
      v.set('cmd.create_device.dev_no', dev);
      v.setGuid('cmd.create_device.data_type_guid', channelTypes[type].guid);
    }),
  ),
  encodeControlvmMessage({ id: CONTROLVM_ID.CONTROLVM_DISK_CREATE, messageHandle: 5n, flags: CONTROLVM_FLAG.responseExpected }),
];

const acks = new Map<bigint, number>();
const responses = new Map<bigint, { id: number; status: number; failed: boolean }>();
const event = channel.queue(CONTROLVM_QUEUE_EVENT);
for (const [i, message] of commands.entries()) {
  const outcome = event.insert(message);
  assert(outcome === 'inserted', `queue 2 refused command ${i}: ${JSON.stringify(outcome)}`);
  const header = decodeControlvmHeader(message);
  if (header.ok) log(`-> q2  ${controlvmIdName(header.value.id)} handle=${header.value.messageHandle}`);
}
bell.ring('client');

const slot = new Uint8Array(128);
const deadline = performance.now() + 5000;
while ((acks.size < commands.length || responses.size < commands.length) && performance.now() < deadline) {
  const seen = bell.seen('server');
  drain(CONTROLVM_QUEUE_ACK, (h) => {
    acks.set(h.messageHandle, (acks.get(h.messageHandle) ?? 0) + 1);
    log(`<- q3  ack ${controlvmIdName(h.id)} handle=${h.messageHandle}`);
  });
  drain(CONTROLVM_QUEUE_REQUEST, (h) => {
    const failed = (h.flags & CONTROLVM_FLAG.failed) !== 0;
    responses.set(h.messageHandle, { id: h.id, status: h.completionStatus, failed });
    log(`<- q0  response ${controlvmIdName(h.id)} handle=${h.messageHandle} status=${h.completionStatus}${failed ? ' (failed)' : ''}`);
  });
  if (acks.size < commands.length || responses.size < commands.length) await bell.wait('server', seen, 10);
}

function drain(queue: number, onMessage: (h: { id: number; messageHandle: bigint; completionStatus: number; flags: number }) => void): void {
  while (channel.queue(queue).remove(slot) === 'removed') {
    const header = decodeControlvmHeader(slot);
    if (header.ok) onMessage(header.value);
  }
}

const counters = [0, 1, 2, 3].map((q) => channel.queue(q).counters());
report({
  kind: 'done',
  partition: 'cp',
  result: {
    sent: commands.length,
    acks: Object.fromEntries([...acks].map(([k, v]) => [String(k), v])),
    responses: Object.fromEntries([...responses].map(([k, v]) => [String(k), v])),
    counters: counters.map((c) => ({ sent: String(c.numSent), received: String(c.numReceived), overflows: String(c.numOverflows) })),
  },
});
