// Benchmark (c) consumer: receives 64-byte signals from port-producer.worker.ts, checks their
// sequence numbers and returns credits in batches (one credit message per signal would double
// the message count and measure something else).

import { workerData } from 'node:worker_threads';
import type { PortWorkerData } from './port-producer.worker.js';
import { RunTally } from './run-roles.js';

const { port, windowSignals } = workerData as PortWorkerData;
const CREDIT_BATCH = Math.max(1, Math.floor(windowSignals / 8));
const tally = new RunTally();
let uncredited = 0;

port.on('message', (bytes: Uint8Array) => {
  uncredited++;
  const last = tally.record(bytes);
  if (uncredited === CREDIT_BATCH || last) {
    port.postMessage(uncredited);
    uncredited = 0;
  }
});
