// Benchmark (d) producer: one comlink call per 64-byte signal to comlink-consumer.worker.ts,
// keeping a fixed number of calls in flight with a counter semaphore. Not Promise.race over
// the pending set: that costs O(in flight) per call and made pipelining look slower than
// awaiting one call at a time (stack.md pitfall 15).

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { workerData } from 'node:worker_threads';
import { serveRuns } from '../../src/channel/test-workers/run-protocol.js';
import {
  fillSignal,
  signalBuffer,
  stampSequence,
} from '../../src/channel/test-workers/signal-payload.js';
import type { ComlinkWorkerData, deliverApi } from './comlink-consumer.worker.js';

const { port, inFlightCalls } = workerData as ComlinkWorkerData;
const remote = Comlink.wrap<typeof deliverApi>(nodeEndpoint(port));

let inFlight = 0;
let wake: (() => void) | null = null;

function settle(): void {
  inFlight--;
  const resume = wake;
  wake = null;
  resume?.();
}

function callSettles(): Promise<void> {
  return new Promise((resolve) => {
    wake = resolve;
  });
}

serveRuns(async (count) => {
  const signal = signalBuffer();
  fillSignal(signal.words, 0);
  for (let seq = 0; seq < count; seq++) {
    while (inFlight >= inFlightCalls) await callSettles();
    inFlight++;
    stampSequence(signal.words, seq);
    // comlink posts synchronously inside the call, so the buffer is cloned before it is reused.
    void remote.deliver(signal.bytes).then(settle);
  }
  while (inFlight > 0) await callSettles();
  return { sent: count };
});
