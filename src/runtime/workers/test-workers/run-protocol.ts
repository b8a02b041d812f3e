// A tiny run protocol between the main thread and the test/bench workers of the cross-thread
// queue test and bench/channel.bench.ts. Each worker posts `ready` once it has attached to its
// transport, then serves any number of runs: main posts `{ type: 'run', count }`; the worker arms
// its state, posts `started`, does the work and posts `done` with a report. Workers stay alive
// between runs so a benchmark's measured runs reuse the JIT-warm code of its warm-up run.

import { parentPort, type MessagePort, type Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { assert } from '../../../base/assert.js';

/** Main → worker: transfer `count` signals (sequence numbers 0 .. count-1). */
interface RunRequest {
  readonly type: 'run';
  readonly count: number;
}

/** Worker → main. */
type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'started' }
  | { readonly type: 'done'; readonly report: unknown };

type DoneMessage = Extract<WorkerMessage, { type: 'done' }>;

function isRunRequest(message: unknown): message is RunRequest {
  return typeof message === 'object' && message !== null && (message as RunRequest).type === 'run';
}

/**
 * Worker side: serves runs with `run(count)`. The synchronous part of `run` (up to its first
 * `await`) must arm the worker, because `started` is posted right after it returns.
 */
export function serveRuns<Report>(run: (count: number) => Promise<Report>): void {
  const port = parentPort;
  assert(port !== null, 'serveRuns must be called inside a worker thread');
  // This listener stays registered, which also keeps the worker alive between runs.
  port.on('message', (message: unknown) => {
    assert(isRunRequest(message), `unexpected message ${JSON.stringify(message)}`);
    assert(Number.isSafeInteger(message.count) && message.count > 0, `bad count ${message.count}`);
    // A rejection is left unhandled on purpose: it ends the worker with an 'error' event,
    // which fails the caller's pending run.
    void serveOne(port, run, message.count);
  });
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
}

async function serveOne<Report>(
  port: MessagePort,
  run: (count: number) => Promise<Report>,
  count: number,
): Promise<void> {
  // A pending Atomics.waitAsync does not keep a Node event loop alive (nodejs/node#61941,
  // stack.md pitfall 4). The parentPort listener happens to, but an explicit ref'd handle for
  // the length of the run makes the doorbell waits safe whatever else the worker registers.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    const pending = run(count);
    port.postMessage({ type: 'started' } satisfies WorkerMessage);
    const report = await pending;
    port.postMessage({ type: 'done', report } satisfies WorkerMessage);
  } finally {
    clearInterval(keepAlive);
  }
}

/** One run in progress, seen from the main thread. */
export interface PendingRun<Report> {
  /** Resolves once the worker has armed itself for the run. */
  readonly started: Promise<void>;
  /** Resolves with the worker's report at the end of the run. */
  readonly done: Promise<Report>;
}

/** Main side of the run protocol for one worker; any worker error fails every pending wait. */
export class RunClient<Report> {
  private readonly inbox: WorkerMessage[] = [];
  private readonly waiters: Array<{
    resolve: (message: WorkerMessage) => void;
    reject: (error: Error) => void;
  }> = [];
  private failure: Error | null = null;

  private constructor(readonly worker: Worker) {
    worker.on('message', (message: WorkerMessage) => this.deliver(message));
    worker.on('error', (error: Error) => this.fail(error));
    worker.on('exit', (code: number) => this.fail(new Error(`worker exited with code ${code}`)));
  }

  /** Wraps `worker` and waits for its `ready`. */
  static async start<Report>(worker: Worker): Promise<RunClient<Report>> {
    const client = new RunClient<Report>(worker);
    await client.next('ready');
    return client;
  }

  /** Asks the worker for a run of `count` signals. */
  run(count: number): PendingRun<Report> {
    this.worker.postMessage({ type: 'run', count } satisfies RunRequest);
    const started = this.next('started').then(() => undefined);
    const done = this.next('done').then((m) => (m as DoneMessage).report as Report);
    // Marked handled here so a worker failure is reported once, by whichever wait the caller
    // is in, rather than again as an unhandled rejection of the promise it had not reached.
    started.catch(() => {});
    done.catch(() => {});
    return { started, done };
  }

  /** Stops the worker. */
  async terminate(): Promise<void> {
    this.failure ??= new Error('worker terminated');
    await this.worker.terminate();
  }

  private next(type: WorkerMessage['type']): Promise<WorkerMessage> {
    const got = new Promise<WorkerMessage>((resolve, reject) => {
      const queued = this.inbox.shift();
      if (queued !== undefined) resolve(queued);
      else if (this.failure !== null) reject(this.failure);
      else this.waiters.push({ resolve, reject });
    });
    return got.then((message) => {
      assert(message.type === type, `worker sent '${message.type}' where '${type}' was due`);
      return message;
    });
  }

  private deliver(message: WorkerMessage): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) this.inbox.push(message);
    else waiter.resolve(message);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }
}

/** Reports of one producer/consumer run and its wall time (benchmarks only; never asserted). */
export interface PairRun<ConsumerReport, ProducerReport> {
  /** What the consumer saw. */
  readonly consumer: ConsumerReport;
  /** What the producer did. */
  readonly producer: ProducerReport;
  /** From the producer's `run` request to both `done`s, in milliseconds. */
  readonly elapsedMs: number;
}

/** Runs `count` signals from `producer` to `consumer`, arming the consumer before the producer. */
export async function runPair<C, P>(
  consumer: RunClient<C>,
  producer: RunClient<P>,
  count: number,
): Promise<PairRun<C, P>> {
  const consuming = consumer.run(count);
  await consuming.started;
  const t0 = performance.now();
  const producing = producer.run(count);
  const [consumerReport, producerReport] = await Promise.all([consuming.done, producing.done]);
  return { consumer: consumerReport, producer: producerReport, elapsedMs: performance.now() - t0 };
}

/** Two started workers of a producer/consumer pair, and how to stop both. */
export interface StartedPair<C, P> {
  readonly consumer: RunClient<C>;
  readonly producer: RunClient<P>;
  /** Terminates both workers. */
  close(): Promise<void>;
}

/**
 * Waits for both workers' `ready`. Both RunClients are created at once: a Worker drops a message
 * that arrives before a 'message' listener exists, so waiting for one worker before listening
 * to the other would lose the other's `ready` and hang. A worker that fails to start must not
 * leave its partner running, so both are terminated on failure.
 */
export async function startPair<C, P>(
  consumerWorker: Worker,
  producerWorker: Worker,
): Promise<StartedPair<C, P>> {
  const close = async (): Promise<void> => {
    await Promise.all([consumerWorker.terminate(), producerWorker.terminate()]);
  };
  try {
    const [consumer, producer] = await Promise.all([
      RunClient.start<C>(consumerWorker),
      RunClient.start<P>(producerWorker),
    ]);
    return { consumer, producer, close };
  } catch (error) {
    await close();
    throw error;
  }
}
