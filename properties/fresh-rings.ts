// A rebooted IOSP's rings are fresh before it serves (issue #14 item 4; spar-protocol.md §4.1:
// the server re-initialises each channel it serves at boot, §1.6): at every BOOTED of an IOSP,
// each queue of each device channel it serves has head = tail = 0. A server that kept a stale ring
// (one that already says READY) would serve commands the guest abandoned on pause and retried,
// executing them twice; the property sees the stale indices at the boot instead.
//
// The check runs on the trace record itself (`SimWorld.onRecord`): BOOTED is recorded after the
// boot's `iosp.initChannels` was performed and before any poll, so nothing can have moved the
// indices in between. Its findings are channel-invariants violations (storage-recovery's promise).

import { CH, SIGNAL_QUEUE_HEADER_BYTES, SQ } from '../src/channel/index.js';
import { channelTypeOf } from '../src/kinds/index.js';
import type { SimRun } from '../src/runtime/sim/index.js';

/** Watches one run for IOSPs that boot onto a ring whose head or tail is not 0. */
export class FreshRingWatch {
  /** One line per stale queue found (channel-invariants violations). */
  readonly violations: string[] = [];
  /** IOSP boots checked (a test asserts the check ran). */
  boots = 0;
  private attached = false;

  /** The `everyMs` hook: subscribes to the run's records once. */
  observe(run: SimRun): void {
    if (this.attached) return;
    this.attached = true;
    run.world.onRecord((record) => {
      if (record.event !== 'BOOTED' || record.actor !== `${record.partition}/lifecycle`) return;
      const served = run.channels
        .all()
        .filter((c) => c.kind === 'device' && c.serverPartition === record.partition);
      if (served.length > 0) this.boots++;
      for (const c of served) this.checkFresh(record.partition, c.id, c.buffer, c.typeName);
    });
  }

  private checkFresh(iosp: string, id: string, buffer: SharedArrayBuffer, typeName: string): void {
    const view = new DataView(buffer);
    const space = Number(view.getBigUint64(CH.chSpaceOffset, true));
    const queues = channelTypeOf(typeName).queues(buffer.byteLength).length;
    for (let q = 0; q < queues; q++) {
      const at = space + q * SIGNAL_QUEUE_HEADER_BYTES;
      if (at + SIGNAL_QUEUE_HEADER_BYTES > buffer.byteLength) return; // a hostile header: validation reports it
      const head = view.getUint32(at + SQ.head, true);
      const tail = view.getUint32(at + SQ.tail, true);
      if (head === 0 && tail === 0) continue;
      this.violations.push(
        `channel-invariants: ${iosp} booted with ${id} queue ${q} at head ${head}, tail ${tail} (a re-initialised ring starts at 0, 0)`,
      );
    }
  }
}
