// The guest's target scan: what it asks and how it reads each answer (a disk's serial page, the
// fabricated no-disk INQUIRY, DID_NO_CONNECT, a served READ, a reset that says neither).

import { describe, expect, test } from 'vitest';
import { DID_NO_CONNECT, DID_RESET } from '../../protocol/uiscmdrsp-linuxstat.js';
import { noDiskInquiry, type ScanRequest, TargetScan } from './target-scan.js';
import { vpd } from './scsi-pages.js';

function scan(maxId: number) {
  const asked: ScanRequest[] = [];
  const s = new TargetScan('iosp0', maxId, (q) => asked.push(q));
  s.start();
  return { s, asked };
}

describe('target scan', () => {
  test('smoke: asks INQUIRY of targets 0..max_id; a serial page is a disk, the fabricated answer is no disk and brings a READ', () => {
    const { s, asked } = scan(1);
    expect(asked).toEqual([
      { id: 0, op: 'inquiry' },
      { id: 1, op: 'inquiry' },
    ]);
    const page = vpd(0x80, { name: 'disk0', blocks: 8, blockSize: 512 });
    s.answered({ id: 0, op: 'inquiry' }, { ok: true, data: page ?? new Uint8Array(0) });
    s.answered({ id: 1, op: 'inquiry' }, { ok: true, data: noDiskInquiry(0) });
    expect(asked[2]).toEqual({ id: 1, op: 'read' });
    s.answered({ id: 1, op: 'read' }, { ok: false, linuxstat: DID_NO_CONNECT << 16 });
    expect(s.report()).toEqual({
      iosp: 'iosp0',
      targets: [
        { id: 0, inquiry: 'disk', serial: 'disk0' },
        { id: 1, inquiry: 'no-disk', read: 'no-disk' },
      ],
    });
  });

  test('a READ answered with data or a device status was served; a reset or no answer says neither', () => {
    const cases: [Parameters<TargetScan['answered']>[1], string][] = [
      [{ ok: true, data: new Uint8Array(512) }, 'served'],
      [{ ok: false, linuxstat: 0x02 }, 'served'], // DID_OK, CHECK CONDITION
      [{ ok: false, linuxstat: DID_RESET << 16 }, 'lost'],
      [{ ok: false }, 'lost'],
    ];
    for (const [answer, read] of cases) {
      const { s } = scan(0);
      s.answered({ id: 0, op: 'inquiry' }, { ok: true, data: noDiskInquiry(0) });
      s.answered({ id: 0, op: 'read' }, answer);
      expect(s.report().targets, JSON.stringify(answer)).toEqual([
        { id: 0, inquiry: 'no-disk', read },
      ]);
    }
  });

  test('an INQUIRY that failed, or a target never answered, stays lost', () => {
    const { s } = scan(1);
    s.answered({ id: 0, op: 'inquiry' }, { ok: false, linuxstat: DID_RESET << 16 });
    expect(s.report().targets).toEqual([
      { id: 0, inquiry: 'lost' },
      { id: 1, inquiry: 'lost' },
    ]);
  });
});
