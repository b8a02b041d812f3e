// Benchmark (d) consumer: exposes `deliver(signal)` with comlink on a MessageChannel port whose
// other end is in comlink-producer.worker.ts (stack.md §4: worker → worker comlink).

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { workerData, type MessagePort } from 'node:worker_threads';
import { serveRuns } from '../../src/channel/test-workers/run-protocol.js';
import {
  DeliveryTally,
  type DeliveryReport,
} from '../../src/channel/test-workers/signal-payload.js';

/** `workerData` of both comlink workers. */
export interface ComlinkWorkerData {
  /** This worker's end of the MessageChannel comlink runs over. */
  readonly port: MessagePort;
  /** Calls the producer keeps in flight. */
  readonly inFlightCalls: number;
}

const { port } = workerData as ComlinkWorkerData;
let tally = new DeliveryTally(false);
let target = 0;
let finish: ((report: DeliveryReport) => void) | null = null;

/** What the consumer exposes: one call per signal. */
export const deliverApi = {
  deliver(bytes: Uint8Array): void {
    tally.record(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    if (tally.count === target) finish?.(tally.report());
  },
};

Comlink.expose(deliverApi, nodeEndpoint(port));

serveRuns(
  (count) =>
    new Promise<DeliveryReport>((resolve) => {
      tally = new DeliveryTally(false);
      target = count;
      finish = resolve;
    }),
);
