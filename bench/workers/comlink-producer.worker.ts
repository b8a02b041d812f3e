// Benchmark (d) producer: one comlink call per 64-byte signal to comlink-consumer.worker.ts,
// keeping a fixed number of calls in flight with a counting semaphore (credit-window.ts).

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { workerData } from 'node:worker_threads';
import { serveRuns } from '../../src/channel/test-workers/run-protocol.js';
import {
  fillSignal,
  signalBuffer,
  stampSequence,
} from '../../src/channel/test-workers/signal-payload.js';
import { CreditWindow } from './credit-window.js';
import type { ComlinkWorkerData, deliverApi } from './comlink-consumer.worker.js';

const { port, inFlightCalls } = workerData as ComlinkWorkerData;
const remote = Comlink.wrap<typeof deliverApi>(nodeEndpoint(port));

const window = new CreditWindow(inFlightCalls);

serveRuns(async (count) => {
  const signal = signalBuffer();
  fillSignal(signal.words, 0);
  for (let seq = 0; seq < count; seq++) {
    const waiting = window.take();
    if (waiting !== null) await waiting;
    stampSequence(signal.words, seq);
    // comlink posts synchronously inside the call, so the buffer is cloned before it is reused.
    void remote.deliver(signal.bytes).then(() => window.give());
  }
  await window.drain();
  return { sent: count };
});
