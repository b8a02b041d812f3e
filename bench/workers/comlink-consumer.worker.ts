// Benchmark (d) consumer: exposes `deliver(signal)` with comlink on a MessageChannel port whose
// other end is in comlink-producer.worker.ts (stack.md §4: worker → worker comlink).

import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { workerData, type MessagePort } from 'node:worker_threads';
import { RunTally } from './run-roles.js';

/** `workerData` of both comlink workers. */
export interface ComlinkWorkerData {
  /** This worker's end of the MessageChannel comlink runs over. */
  readonly port: MessagePort;
  /** Calls the producer keeps in flight. */
  readonly inFlightCalls: number;
}

const { port } = workerData as ComlinkWorkerData;
const tally = new RunTally();

/** What the consumer exposes: one call per signal. */
export const deliverApi = {
  deliver(bytes: Uint8Array): void {
    tally.record(bytes);
  },
};

Comlink.expose(deliverApi, nodeEndpoint(port));
