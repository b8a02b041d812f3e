// The demo's guest side of the controlvm channel, following visorchipset's poll loop
// (spar-protocol.md §2.5): drain and discard queue 1, take commands from queue 2, ack each on
// queue 3 before handling it, answer on queue 0 when response_expected. Known bring-up ids are
// answered with success, anything else with CONTROLVM_RESP_ID_UNKNOWN (§2.6). The full
// visorchipset machine (bus and device state, errors of §2.6) is issue 3's.

import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../base/assert.js';
import { StructView } from '../base/struct.js';
import { Channel, channelTypes, Doorbell } from '../channel/index.js';
import { controlvmMessage } from '../protocol/controlvm-layout.js';
import {
  ackFor,
  CONTROLVM_FLAG,
  CONTROLVM_ID,
  CONTROLVM_QUEUE_ACK,
  CONTROLVM_QUEUE_EVENT,
  CONTROLVM_QUEUE_REQUEST,
  CONTROLVM_QUEUE_RESPONSE,
  CONTROLVM_RESP_ID_UNKNOWN,
  controlvmIdName,
  decodeControlvmHeader,
} from '../protocol/controlvm.js';
import type { DemoReport } from './timeline.js';

const { channel: buffer, bell: bellBuffer, epochMs, jiffyMs } = workerData as {
  channel: SharedArrayBuffer;
  bell: SharedArrayBuffer;
  epochMs: number;
  jiffyMs: number;
};
const port = parentPort;
assert(port !== null, 'guest.worker must run in a worker thread');
const report = (r: DemoReport) => port.postMessage(r);
const log = (text: string) => report({ kind: 'timeline', entry: { atMs: performance.timeOrigin + performance.now() - epochMs, partition: 'guest', text } });

const attached = Channel.attachAs(buffer, channelTypes.controlvm);
assert(attached.ok, 'the controlvm channel must validate before the guest polls it');
const channel = attached.value;
const bell = new Doorbell(bellBuffer);
const known = new Set<number>([
  CONTROLVM_ID.CONTROLVM_CHIPSET_INIT,
  CONTROLVM_ID.CONTROLVM_BUS_CREATE,
  CONTROLVM_ID.CONTROLVM_DEVICE_CREATE,
]);

let stopping = false;
port.on('message', (m: unknown) => {
  if (m === 'stop') stopping = true; // the listener also keeps this worker alive while it waits
});

const slot = new Uint8Array(128);
let handled = 0;
while (!stopping) {
  const seen = bell.seen('client');
  for (let i = 0; i < 64 && channel.queue(CONTROLVM_QUEUE_RESPONSE).remove(slot) === 'removed'; i++);
  while (channel.queue(CONTROLVM_QUEUE_EVENT).remove(slot) === 'removed') handle(slot);
  await bell.wait('client', seen, jiffyMs);
}
report({ kind: 'done', partition: 'guest', result: { handled } });

function handle(command: Uint8Array): void {
  const header = decodeControlvmHeader(command);
  if (!header.ok) return;
  const { id, messageHandle, flags } = header.value;
  if (channel.queue(CONTROLVM_QUEUE_ACK).insert(ackFor(command)) !== 'inserted') return; // §2.5 3b: dropped
  log(`-> q3  ack ${controlvmIdName(id)} handle=${messageHandle}`);
  handled++;
  if ((flags & CONTROLVM_FLAG.responseExpected) === 0) return;
  const response = ackFor(command);
  if (!known.has(id)) {
    const view = new StructView(controlvmMessage, response);
    view.set('hdr.flags', flags | CONTROLVM_FLAG.failed);
    view.set('hdr.completion_status', CONTROLVM_RESP_ID_UNKNOWN);
  }
  channel.queue(CONTROLVM_QUEUE_REQUEST).insert(response);
  log(`-> q0  response ${controlvmIdName(id)} handle=${messageHandle}${known.has(id) ? '' : ' ID_UNKNOWN'}`);
  bell.ring('server');
}
