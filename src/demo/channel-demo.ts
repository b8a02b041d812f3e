// `spar demo` (what `npm start` runs until the scenario runner lands): a command partition and a
// guest, each in its own worker thread, bring the guest's chipset, a bus and two devices up
// through one controlvm channel in shared memory. Prints a timeline and a verdict.

import { assert } from '../base/assert.js';
import { createChannel, Doorbell } from '../channel/index.js';
import { spawnWorker } from '../runtime/workers/spawn-worker.js';
import { formatEntry, type DemoReport, type TimelineEntry } from './timeline.js';

/** The outcome of a demo run. */
export interface DemoOutcome {
  readonly pass: boolean;
  readonly lines: readonly string[];
}

interface CpResult {
  sent: number;
  acks: Record<string, number>;
  responses: Record<string, { id: number; status: number; failed: boolean }>;
  counters: { sent: string; received: string; overflows: string }[];
}

/** Runs the demo in two worker threads; `colour` adds ANSI colours to the timeline. */
export async function runChannelDemo(colour: boolean): Promise<DemoOutcome> {
  const channel = createChannel('controlvm');
  const bell = Doorbell.allocate();
  const epochMs = performance.timeOrigin + performance.now();
  const workerData = { channel, bell: bell.buffer, epochMs, jiffyMs: 1 };
  const timeline: TimelineEntry[] = [];
  const guest = spawnWorker('./guest.worker', import.meta.url, { workerData });
  const cp = spawnWorker('./cp.worker', import.meta.url, { workerData });
  try {
    const guestDone = collect(guest, timeline);
    const cpResult = (await collect(cp, timeline)) as unknown as CpResult;
    guest.postMessage('stop');
    await guestDone;
    return report(timeline, cpResult, colour);
  } finally {
    await Promise.all([cp.terminate(), guest.terminate()]);
  }
}

function report(timeline: TimelineEntry[], cpResult: CpResult, colour: boolean): DemoOutcome {
  timeline.sort((a, b) => a.atMs - b.atMs);
  const checks = verdict(cpResult);
  const lines = [
    'spar demo: command partition and guest in two worker threads, one controlvm channel (36608 bytes of shared memory)',
    '',
    ...timeline.map((e) => formatEntry(e, colour)),
    '',
    ...checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    `verdict: ${checks.every((c) => c.ok) ? 'pass' : 'fail'}`,
  ];
  return { pass: checks.every((c) => c.ok), lines };
}

function collect(worker: ReturnType<typeof spawnWorker>, timeline: TimelineEntry[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    worker.on('message', (r: DemoReport) => {
      if (r.kind === 'timeline') timeline.push(r.entry);
      else resolve(r.result);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
  });
}

function verdict(r: CpResult): { name: string; ok: boolean; detail: string }[] {
  assert(r.sent > 0, 'the demo sends commands');
  const handles = Array.from({ length: r.sent }, (_, i) => String(i + 1));
  const ackedOnce = handles.filter((h) => r.acks[h] === 1).length;
  const answered = handles.filter((h) => r.responses[h] !== undefined).length;
  const unknown = r.responses[String(r.sent)];
  const balanced = r.counters.every((c) => c.sent === c.received && c.overflows === '0');
  return [
    { name: 'every-command-acked-once', ok: ackedOnce === r.sent, detail: `${ackedOnce}/${r.sent} acks on queue 3` },
    { name: 'every-command-answered', ok: answered === r.sent, detail: `${answered}/${r.sent} responses on queue 0, matched by message_handle` },
    {
      name: 'unknown-id-refused',
      ok: unknown?.failed === true && unknown.status === 4,
      detail: `DISK_CREATE answered failed with status ${unknown?.status ?? 'none'} (CONTROLVM_RESP_ID_UNKNOWN = 4)`,
    },
    { name: 'queue-counters-balance', ok: balanced, detail: r.counters.map((c, q) => `q${q} ${c.sent}/${c.received}`).join(', ') },
  ];
}
