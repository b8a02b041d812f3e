// Benchmark (c) producer: 64-byte signals as MessagePort.postMessage, worker → worker, through a
// MessageChannel port handed over in workerData. A credit window bounds the signals in flight,
// so the producer cannot run arbitrarily far ahead and the rate measured is the delivered rate.

import { workerData, type MessagePort } from 'node:worker_threads';
import { CreditWindow, serveWindowedProducer } from './run-roles.js';

/** `workerData` of both port workers. */
export interface PortWorkerData {
  /** This worker's end of the MessageChannel between producer and consumer. */
  readonly port: MessagePort;
  /** Signals the producer may have in flight (posted, not yet credited back). */
  readonly windowSignals: number;
}

const { port, windowSignals } = workerData as PortWorkerData;
const window = new CreditWindow(windowSignals);

// The consumer returns credits in batches as plain numbers.
port.on('message', (returned: number) => window.give(returned));

// Structured clone copies the 64-byte buffer, so reusing the signal is safe; credits come back
// in batches from the consumer, not per signal.
serveWindowedProducer(window, (signal) => port.postMessage(signal));
