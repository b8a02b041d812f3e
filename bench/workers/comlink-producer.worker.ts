// Benchmark (d) producer: one comlink call per 64-byte signal to comlink-consumer.worker.ts,
// keeping a fixed number of calls in flight (run-roles.ts); a settled call returns its credit.

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { workerData } from 'node:worker_threads';
import type { ComlinkWorkerData, deliverApi } from './comlink-consumer.worker.js';
import { CreditWindow, serveWindowedProducer } from './run-roles.js';

const { port, inFlightCalls } = workerData as ComlinkWorkerData;
const remote = Comlink.wrap<typeof deliverApi>(nodeEndpoint(port));

// comlink posts synchronously inside the call, so the signal is cloned before it is reused.
serveWindowedProducer(
  new CreditWindow(inFlightCalls),
  (signal, done) => void remote.deliver(signal).then(done),
);
