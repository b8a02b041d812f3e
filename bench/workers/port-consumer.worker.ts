// Benchmark (c) consumer: receives 64-byte signals from port-producer.worker.ts, checks their
// sequence numbers and returns credits in batches (one credit message per signal would double
// the message count and measure something else).

import { workerData } from 'node:worker_threads';
import { serveRuns } from '../../src/channel/test-workers/run-protocol.js';
import {
  DeliveryTally,
  type DeliveryReport,
} from '../../src/channel/test-workers/signal-payload.js';
import type { PortWorkerData } from './port-producer.worker.js';

const { port, windowSignals } = workerData as PortWorkerData;
const CREDIT_BATCH = Math.max(1, Math.floor(windowSignals / 8));

let tally = new DeliveryTally(false);
let target = 0;
let uncredited = 0;
let finish: ((report: DeliveryReport) => void) | null = null;

port.on('message', (bytes: Uint8Array) => {
  tally.record(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
  uncredited++;
  const last = tally.count === target;
  if (uncredited === CREDIT_BATCH || last) {
    port.postMessage(uncredited);
    uncredited = 0;
  }
  if (last) finish?.(tally.report());
});

serveRuns(
  (count) =>
    new Promise<DeliveryReport>((resolve) => {
      tally = new DeliveryTally(false);
      target = count;
      finish = resolve;
    }),
);
