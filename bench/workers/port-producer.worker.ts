// Benchmark (c) producer: 64-byte signals as MessagePort.postMessage, worker → worker, through a
// MessageChannel port handed over in workerData. A credit window bounds the signals in flight,
// so the producer cannot run arbitrarily far ahead and the rate measured is the delivered rate.

import { workerData, type MessagePort } from 'node:worker_threads';
import { serveRuns } from '../../src/channel/test-workers/run-protocol.js';
import {
  fillSignal,
  signalBuffer,
  stampSequence,
} from '../../src/channel/test-workers/signal-payload.js';
import { CreditWindow } from './credit-window.js';

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

serveRuns(async (count) => {
  const signal = signalBuffer();
  fillSignal(signal.words, 0);
  for (let seq = 0; seq < count; seq++) {
    const waiting = window.take();
    if (waiting !== null) await waiting;
    stampSequence(signal.words, seq);
    // Structured clone copies the 64-byte ArrayBuffer, so reusing `signal` is safe.
    port.postMessage(signal.bytes);
  }
  // Quiesce: every credit back means the consumer has every signal of this run.
  await window.drain();
  return { sent: count };
});
