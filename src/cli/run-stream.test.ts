// What `spar run` prints as a run goes: the summary keeps partition state changes and
// milestones; the filters combine; progress is one live line on a terminal (erased before output)
// and a plain line every few seconds otherwise; a fault's note is printed as it fires.

import { describe, expect, test } from 'vitest';
import type { TraceRecord } from '../partition/environment.js';
import { type RecordSelection, RunStream, selects } from './run-stream.js';

const record = (over: Partial<TraceRecord>): TraceRecord => ({
  atMs: 1,
  partition: 'guest1',
  actor: 'guest1/virthba:2:0',
  event: 'scsi.complete',
  state: '"running"',
  detail: { text: 'tag 7 vbus2:dev0' },
  ...over,
});
const lifecycle = record({
  actor: 'guest1/lifecycle',
  event: 'CRASH',
  detail: { text: 'crashed' },
});
const complete = record({});
const poll = record({ actor: 'guest1/visorchipset', event: 'controlvm.poll' });
const other = record({ partition: 'iosp0', actor: 'iosp0/lifecycle', event: 'BOOTED' });
const all: RecordSelection = { mode: 'timeline', partitions: [], actors: [], grep: null };
const line = (r: TraceRecord) => () => `${r.actor} ${r.event} ${String(r.detail?.['text'])}`;
const shown = (s: RecordSelection, rs: TraceRecord[]) => rs.filter((r) => selects(s, r, line(r)));

describe('which records a run prints', () => {
  test('the summary keeps lifecycle changes and milestones, not device traffic; none prints none', () => {
    const milestone = record({ actor: 'cp/command-partition', event: 'cp.guestFailed' });
    const records = [lifecycle, complete, poll, milestone];
    expect(shown({ ...all, mode: 'summary' }, records)).toEqual([lifecycle, milestone]);
    expect(shown({ ...all, mode: 'none' }, records)).toEqual([]);
    // The full timeline lists everything but the effects that recur every poll.
    expect(shown(all, records)).toEqual([lifecycle, complete, milestone]);
  });

  test('--partition, --actor and --grep each narrow the timeline, and combine', () => {
    const records = [lifecycle, complete, other];
    expect(shown({ ...all, partitions: ['iosp0'] }, records)).toEqual([other]);
    expect(shown({ ...all, actors: ['virthba'] }, records)).toEqual([complete]);
    expect(shown({ ...all, actors: ['lifecycle', 'virthba'] }, records)).toEqual(records);
    expect(shown({ ...all, grep: /CRASH|BOOTED/ }, records)).toEqual([lifecycle, other]);
    expect(shown({ ...all, partitions: ['guest1'], grep: /CRASH|BOOTED/ }, records)).toEqual([
      lifecycle,
    ]);
  });
});

describe('a run stream', () => {
  function stream(interactive: boolean) {
    const io = { out: '', progress: '', clock: 0 };
    const s = new RunStream(
      {
        out: (t) => {
          io.out += t;
        },
        err: () => {},
        progress: (t) => {
          io.progress += t;
        },
        colour: false,
        interactive,
        now: () => io.clock,
      },
      { ...all, mode: 'summary' },
      'virtual',
    );
    return { io, watch: s.watch(), s };
  }
  const at = (atMs: number) => ({
    atMs,
    events: atMs * 10,
    records: 0,
    faultsFired: 0,
    faultsTotal: 1,
  });

  test('off a terminal, progress is a plain line every 5 s of wall time', () => {
    const { io, watch } = stream(false);
    for (let t = 0; t <= 12_000; t += 1_000) {
      io.clock = t;
      watch.onProgress?.(at(t));
    }
    expect(io.progress.split('\n').filter((l) => l !== '')).toHaveLength(2); // at 5 s and 10 s
    expect(io.progress).toMatch(/^spar run: virtual time 5000 ms · 50,000 events \(10,000\/s\)/);
  });

  test('on a terminal, progress is redrawn in place and erased before a record and at the end', () => {
    const { io, watch, s } = stream(true);
    io.clock = 200;
    watch.onProgress?.(at(100));
    expect(io.progress.startsWith('\r\u001b[2Kvirtual time 100 ms')).toBe(true);
    watch.onFault?.({ index: 0, action: 'crash', partition: 'guest1', atMs: 100, refused: null });
    watch.onRecord?.({ ...lifecycle, atMs: 100 });
    expect(io.out).toBe(`note  fault 0: crash guest1: fired at 100 ms\n${io.out.split('\n')[1]}\n`);
    expect(io.out).toContain('injected fault 0');
    expect(io.progress.endsWith('\r\u001b[2K')).toBe(true); // erased before the note was written
    io.progress = '';
    s.end();
    expect(io.progress).toBe(''); // nothing drawn since: nothing to erase
  });
});
